"""Hosting customers' sites and their consent scopes (issue 14 item 7), on the shared metadata.

    site_scopes ──< site_domains          a customer's scope and the domains it answers on
        │
        ├──< site_visitors >── subjects   a visitor cookie (its SHA-256) → the scope's visitor
        └──< site_consent_events >── subjects   the scope's own consent ledger (append-only)
    site_carries                          the nonces of carry tokens already spent

A customer is a company, a controller of its own (art. 28): its scope row and domains name no
person. Its visitors are subjects like the provider's own visitors, but of one scope only: a
cookie's token is looked up with the scope of the request's host, so nothing crosses scopes.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from privaat.domain.activities import CONSENT_RECORDS
from privaat.store.registry import ErasureMode, SubjectTable, Unlinked, personal, technical
from privaat.store.tables import UTC_TIME, _id, _subject_fk, metadata
from privaat.store.tables_visitors import ESSENTIAL_COOKIES

__all__ = [
    "site_carries",
    "site_consent_events",
    "site_domains",
    "site_scopes",
    "site_visitors",
]

_SCOPE = BigInteger().with_variant(Integer(), "sqlite")


def _scope_fk() -> Column[int]:
    return technical(
        "scope_id", _SCOPE, ForeignKey("site_scopes.id", ondelete="RESTRICT"), nullable=False
    )


site_scopes = Table(
    "site_scopes",
    metadata,
    _id(),
    technical("customer", String(63), nullable=False, unique=True),  # the site file's id
    technical("name", String(200), nullable=False),  # the controller, as the banner names it
    # the validated site file as canonical JSON, and what the banner's visitors chose for
    technical("definition", Text, nullable=False),
    technical("vendors_sha256", String(64), nullable=False),
    technical("created_at", UTC_TIME, nullable=False),
    technical("updated_at", UTC_TIME, nullable=False),
    # removed: its domains are freed; its visitors and ledger stay (art. 7(1) proof)
    technical("removed_at", UTC_TIME, nullable=True),
    info={
        "subject": Unlinked(
            "hosting customers' site declarations: companies, controllers of their own sites"
        )
    },
)

site_domains = Table(
    "site_domains",
    metadata,
    # the primary key: a domain belongs to at most one scope, whoever adds it first
    technical("domain", String(253), primary_key=True),
    _scope_fk(),
    Index("ix_site_domains_scope_id", "scope_id"),
    info={"subject": Unlinked("the domains of hosting customers' sites: no person")},
)

site_visitors = Table(
    "site_visitors",
    metadata,
    # SHA-256 of the visitor cookie's random token on one of the scope's domains
    technical("token_hash", LargeBinary(32), primary_key=True),
    _scope_fk(),
    _subject_fk(),
    personal("created_at", UTC_TIME, nullable=False, activity=ESSENTIAL_COOKIES, category=None),
    personal("chosen_at", UTC_TIME, nullable=False, activity=ESSENTIAL_COOKIES, category=None),
    personal(
        "vendors_sha256",
        String(64),
        nullable=False,
        activity=ESSENTIAL_COOKIES,
        category="privacy_choices",
    ),
    personal(
        "gpc", Boolean, nullable=False, activity=ESSENTIAL_COOKIES, category="privacy_choices"
    ),
    Index("ix_site_visitors_subject_id", "subject_id"),
    Index("ix_site_visitors_scope_id", "scope_id"),
    info={"subject": SubjectTable("subject_id", clock="chosen_at")},
)

_HOLD = ErasureMode.HOLD

site_consent_events = Table(
    "site_consent_events",
    metadata,
    _id(),
    _scope_fk(),
    _subject_fk(),
    *(
        personal(
            name,
            type_,
            nullable=nullable,
            activity=CONSENT_RECORDS,
            category=category,
            erasure=_HOLD,
        )
        for name, type_, nullable, category in (
            ("category", String(63), False, "privacy_choices"),
            ("given", Boolean, False, "privacy_choices"),
            # the SHA-256 of the request text shown (a withdrawal: of the consent it ends)
            ("text_sha256", String(64), False, "privacy_choices"),
            ("lang", String(8), True, "privacy_choices"),
            ("channel", String(32), False, "privacy_choices"),
            ("at", UTC_TIME, False, None),
            ("evidence_enc", LargeBinary, True, "online_identifiers"),
        )
    ),
    Index("ix_site_consent_events_subject", "subject_id", "category", "id"),
    Index("ix_site_consent_events_scope_id", "scope_id"),
    info={"subject": SubjectTable("subject_id", clock="at", hold=CONSENT_RECORDS)},
)

site_carries = Table(
    "site_carries",
    metadata,
    # the SHA-256 of a spent carry token's nonce: a token links one browser, once
    technical("nonce_hash", LargeBinary(32), primary_key=True),
    technical("expires_at", UTC_TIME, nullable=False),
    info={"subject": Unlinked("spent carry-token nonces: random values, no person")},
)
