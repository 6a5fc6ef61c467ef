"""Policy publication notices and site notices (issue 13 item 3, P19).

``policy_publications``: one row per version published with ``privaat policy publish``. The
version's text is in ``policy_versions``; this row says when it takes effect, whether its
change from the version before is material, and how many change e-mails were queued. The
site notice of the privacy centre and the choice of the version in force at start-up read
it (``services.policy_publishing``). It names no person.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Date, Integer, String, Table

from privaat.store.registry import Unlinked, technical
from privaat.store.tables import UTC_TIME, metadata

__all__ = ["policy_publications"]

policy_publications = Table(
    "policy_publications",
    metadata,
    technical("policy_id", String(64), primary_key=True),
    technical("version", Integer, primary_key=True, autoincrement=False),
    technical("published_at", UTC_TIME, nullable=False),
    technical("effective", Date, nullable=False),  # enforced from this day, not before
    technical("previous_version", Integer, nullable=True),  # the version it follows
    technical("material", Boolean, nullable=False),
    technical("notice_days", Integer, nullable=False),  # the setting when it was published
    technical("mails_queued", Integer, nullable=False),
    info={"subject": Unlinked("a published statement's dates belong to no subject")},
)
