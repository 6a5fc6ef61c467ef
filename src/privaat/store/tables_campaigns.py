"""The campaigns tables (issue 10 items 5-6), on the shared metadata of ``privaat.store.tables``.

campaigns          a campaign's texts per language and the set of its links (no person)
campaign_sends     one row per campaign and person: never twice (unique), and the row
                   the unsubscribe and engagement tokens name
suppressions       who must get no more marketing mail: checked at send and at delivery
engagement_events  opens, clicks and purchases after a click, only with consent (L18)
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from privaat.store.registry import SubjectTable, Unlinked, personal, technical
from privaat.store.tables import UTC_TIME, _id, _subject_fk, metadata

__all__ = ["campaign_sends", "campaigns", "engagement_events", "suppressions"]

_CampaignRef = BigInteger().with_variant(Integer(), "sqlite")
MARKETING_EMAIL = "marketing_email"
EMAIL_ENGAGEMENT = "email_engagement"

# A campaign's content is the provider's, not a person's: its texts per language as JSON
# ({"nl": {"subject": ..., "body": ...}, ...}) and the URLs its bodies contain (a JSON list):
# the click redirect goes to one of those and nowhere else (never an open redirect).
campaigns = Table(
    "campaigns",
    metadata,
    _id(),
    technical("name", String(200), nullable=False, unique=True),
    technical("content", Text, nullable=False),
    technical("links", Text, nullable=False),
    technical("created_at", UTC_TIME, nullable=False),
    info={"subject": Unlinked("a campaign's own texts and links; no person in it")},
)

campaign_sends = Table(
    "campaign_sends",
    metadata,
    _id(),
    technical(
        "campaign_id",
        _CampaignRef,
        ForeignKey("campaigns.id", ondelete="CASCADE"),
        nullable=False,
    ),
    _subject_fk(),
    personal("queued_at", UTC_TIME, nullable=False, activity=MARKETING_EMAIL, category=None),
    # the language the mail was written in: the unsubscribe page answers in it
    personal("lang", String(8), nullable=False, activity=MARKETING_EMAIL, category=None),
    # whether the mail carried the pixel and personal links (engagement consent at send)
    personal("tracked", Boolean, nullable=False, activity=EMAIL_ENGAGEMENT, category=None),
    # RFC 8058 needs no second mail: the same person never gets one campaign twice
    Index("uq_campaign_sends_campaign_subject", "campaign_id", "subject_id", unique=True),
    Index("ix_campaign_sends_subject", "subject_id"),
    info={"subject": SubjectTable("subject_id", clock="queued_at")},
)

# LEGAL L11: a withdrawal reaches the mail service; the address's keyed hash is listed too,
# so a second account with the same address is stopped as well. A new give lifts it.
suppressions = Table(
    "suppressions",
    metadata,
    _id(),
    _subject_fk(),
    technical("activity", String(64), nullable=False),
    personal(
        "email_bidx",
        LargeBinary,
        nullable=True,
        activity=MARKETING_EMAIL,
        category="email_address",
    ),
    personal("at", UTC_TIME, nullable=False, activity=MARKETING_EMAIL, category=None),
    technical("reason", String(32), nullable=False),
    Index("ix_suppressions_subject", "subject_id", "activity"),
    Index("ix_suppressions_email_bidx", "email_bidx"),
    info={"subject": SubjectTable("subject_id", clock="at")},
)

# P11, L18: each event under the subject's key; the link or order reference is sealed
engagement_events = Table(
    "engagement_events",
    metadata,
    _id(),
    _subject_fk(),
    technical(
        "campaign_id",
        _CampaignRef,
        ForeignKey("campaigns.id", ondelete="CASCADE"),
        nullable=False,
    ),
    personal("kind", String(16), nullable=False, activity=EMAIL_ENGAGEMENT, category=None),
    personal("at", UTC_TIME, nullable=False, activity=EMAIL_ENGAGEMENT, category=None),
    personal(
        "detail_enc",
        LargeBinary,
        nullable=True,
        activity=EMAIL_ENGAGEMENT,
        category="email_engagement",
    ),
    Index("ix_engagement_events_subject", "subject_id", "kind", "at"),
    info={"subject": SubjectTable("subject_id", clock="at")},
)
