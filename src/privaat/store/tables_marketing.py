"""The marketing tables (issue 10 items 2, 4), on the shared metadata of ``privaat.store.tables``.

customer_services     the services on a customer's account (P4 "services and subscriptions"):
                      the service encrypted, and a keyed blind index to select on
marketing_profiles    one row per subject who may be selected for marketing: the country and
                      city of their newest located log-in and their marketing language, as
                      blind indexes only (never an IP, never clear text: L17)
marketing_interests   the topics and channels a subject chose, as blind indexes

The two marketing tables are a projection for SQL filtering, written in the same transaction
as the preferences or the log-in they derive from; their truth stays in ``preferences`` and
``login_events`` (encrypted per subject).
"""

from __future__ import annotations

from sqlalchemy import Index, LargeBinary, Table

from privaat.domain.activities import ACCOUNT
from privaat.store.registry import ACCOUNT_CLOSURE, SubjectTable, personal
from privaat.store.tables import UTC_TIME, _subject_fk, metadata

__all__ = [
    "MARKETING_SELECTION",
    "customer_services",
    "marketing_interests",
    "marketing_profiles",
]

MARKETING_SELECTION = "marketing_selection"  # P4: selecting who gets which marketing e-mail
_SELECTION = MARKETING_SELECTION

# P4: the services on the account (hosting, e-mail, VoIP, web shop, apps): the contract's data
customer_services = Table(
    "customer_services",
    metadata,
    _subject_fk(primary_key=True),
    personal(
        "service_bidx",
        LargeBinary(32),
        primary_key=True,
        activity=ACCOUNT,
        category="products_and_services",
    ),
    personal(
        "service_enc",
        LargeBinary,
        nullable=False,
        activity=ACCOUNT,
        category="products_and_services",
    ),
    personal("since", UTC_TIME, nullable=False, activity=ACCOUNT, category=None),
    Index("ix_customer_services_service", "service_bidx", "subject_id"),
    info={"subject": SubjectTable("subject_id", clock=ACCOUNT_CLOSURE)},
)

# L17: coarse location only (country, city), and only as keyed hashes
marketing_profiles = Table(
    "marketing_profiles",
    metadata,
    _subject_fk(primary_key=True),
    personal("country_bidx", LargeBinary(32), activity=_SELECTION, category="coarse_location"),
    personal("city_bidx", LargeBinary(32), activity=_SELECTION, category="coarse_location"),
    personal("language_bidx", LargeBinary(32), activity=_SELECTION, category="preferences"),
    personal("updated_at", UTC_TIME, nullable=False, activity=_SELECTION, category=None),
    Index("ix_marketing_profiles_country", "country_bidx"),
    Index("ix_marketing_profiles_city", "city_bidx"),
    info={"subject": SubjectTable("subject_id", clock="updated_at")},
)

# the topics and channels chosen (one row each), under blind-index kinds of their own
marketing_interests = Table(
    "marketing_interests",
    metadata,
    _subject_fk(primary_key=True),
    personal(
        "interest_bidx",
        LargeBinary(32),
        primary_key=True,
        activity=_SELECTION,
        category="preferences",
    ),
    Index("ix_marketing_interests_interest", "interest_bidx", "subject_id"),
    info={"subject": SubjectTable("subject_id", clock=ACCOUNT_CLOSURE)},
)
