"""What the request watchdog keeps (issue 15 item 7): the alerts it sent, once each, and the
failures of the stores outside privaat that stopped a request.

    request_alerts          one row per (request, alert, key): STUCK and STORE_FAILING once
                            per stay in a status (the key names the status and since when),
                            so the watchdog's hourly run mails nothing twice; the console
                            shows a request's open alerts ("stuck since …")
    request_store_failures  one row per failed access or erasure attempt: which store, when,
                            the connector's words (StoreUnavailable, StoreMismatch); never a
                            value of the person

The due-date reminders (a week, two days, overdue) stay in ``request_reminders`` (issue 11
item 3). Both tables are kept with the request under its hold (RIGHTS, art. 5(2)): the proof
that it was watched outlives the erased person, and neither names them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table

from privaat.domain.activities import RIGHTS
from privaat.store.registry import ErasureMode, SubjectTable, personal, technical
from privaat.store.tables import UTC_TIME, SubjectRef, metadata

__all__ = ["request_alerts", "request_store_failures"]

_KEY = BigInteger().with_variant(Integer(), "sqlite")


def _of_a_request() -> tuple[Column[Any], ...]:
    return (
        technical("id", _KEY, primary_key=True, autoincrement=True),
        technical(
            "request_id",
            _KEY,
            ForeignKey("subject_requests.id", ondelete="CASCADE"),
            nullable=False,
        ),
        technical(
            "subject_id", SubjectRef, ForeignKey("subjects.id", ondelete="CASCADE"), nullable=False
        ),
        personal(
            "at", UTC_TIME, nullable=False, activity=RIGHTS, category=None, erasure=ErasureMode.HOLD
        ),
    )


request_alerts = Table(
    "request_alerts",
    metadata,
    *_of_a_request(),
    technical("alert", String(16), nullable=False),  # domain.request_dwell.Alert
    # once per key: "<status>@<entered at>" for STUCK and STORE_FAILING
    technical("key", String(80), nullable=False),
    technical("status", String(16), nullable=False),  # the request's status when alerted
    technical("since", UTC_TIME, nullable=False),  # stuck since, or the store's failure
    technical("store", String(64), nullable=True),  # the failing store, for STORE_FAILING
    Index("uq_request_alerts_once", "request_id", "alert", "key", unique=True),
    info={"subject": SubjectTable("subject_id", clock="at", hold=RIGHTS)},
)

request_store_failures = Table(
    "request_store_failures",
    metadata,
    *_of_a_request(),
    technical("store", String(64), nullable=False),
    technical("operation", String(16), nullable=False),  # access, erasure
    technical("reason", String(300), nullable=False),  # the connector's words, cut short
    Index("ix_request_store_failures_request", "request_id", "at"),
    info={"subject": SubjectTable("subject_id", clock="at", hold=RIGHTS)},
)
