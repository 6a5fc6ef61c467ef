"""Business customers as controllers of what privaat's processor services hold for them
(issue 15 item 10; GDPR art. 28(2)).

    business_customers (tables_opendsr) ──< business_services      which processor services
                        │                                           (policy processor_services)
                        ├── business_contacts                        where notices go: the
                        │                                           address sealed under the
                        │                                           system key business-contacts
                        └──< subprocessor_notices                   each sub-processor change
                                                                    told to each customer, with
                                                                    its objection window

A business customer is a company (no data subject); its contact address may still name an
employee, so it is sealed, never in clear. A notice holds the policy version, the change
(recipient ids added and removed), the window's end (the version's effective day), the
delivery (queued, sent, failing) and the objection, if any, with its reason sealed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from privaat.domain.activities import ACCOUNT
from privaat.store.registry import Unlinked, personal, technical
from privaat.store.tables import UTC_TIME, metadata

__all__ = ["business_contacts", "business_services", "subprocessor_notices"]

_KEY = BigInteger().with_variant(Integer(), "sqlite")
_COMPANY = "business customers are companies, controllers of their own users: no data subject"


def _customer() -> Column[Any]:
    return technical(
        "customer_id", _KEY, ForeignKey("business_customers.id", ondelete="CASCADE"), nullable=False
    )


business_services = Table(
    "business_services",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    _customer(),
    technical("service", String(64), nullable=False),
    technical("since", UTC_TIME, nullable=False),
    UniqueConstraint("customer_id", "service", name="uq_business_services"),
    info={"subject": Unlinked(_COMPANY, clock="since")},
)

business_contacts = Table(
    "business_contacts",
    metadata,
    technical(
        "customer_id",
        _KEY,
        ForeignKey("business_customers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    # sealed under the system key business-contacts: it may name an employee (the
    # customer's contract: the account activity, whose business customers give a VAT number)
    personal(
        "contact_enc", LargeBinary(), nullable=False, activity=ACCOUNT, category="email_address"
    ),
    technical("language", String(2), nullable=False),
    technical("updated_at", UTC_TIME, nullable=False),
    info={"subject": Unlinked(_COMPANY, clock="updated_at")},
)

subprocessor_notices = Table(
    "subprocessor_notices",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    _customer(),
    technical("service", String(64), nullable=False),
    technical("policy_version", Integer(), nullable=False),
    technical("changes", Text(), nullable=False),  # JSON: ServiceChange.document
    technical("created_at", UTC_TIME, nullable=False),
    technical("objection_until", Date(), nullable=False),  # the version's effective day
    technical("sent_at", UTC_TIME, nullable=True),
    technical("attempts", Integer(), nullable=False, default=0),
    technical("last_error", String(300), nullable=True),
    technical("objected_at", UTC_TIME, nullable=True),
    personal("objection_enc", LargeBinary(), nullable=True, activity=ACCOUNT, category="comments"),
    UniqueConstraint(
        "customer_id", "service", "policy_version", name="uq_subprocessor_notices_once"
    ),
    Index("ix_subprocessor_notices_unsent", "sent_at"),
    info={"subject": Unlinked(_COMPANY, clock="created_at")},
)
