"""The retention sweep's runs and evidence (issue 13 item 1).

    retention_sweeps    one row per sweep: who runs it, its heartbeat, how it ended, and its
                        counts (JSON, written when it finishes). At most one is ``running``
                        (a partial unique index): a second sweep is refused while the first
                        beats, and takes it over once its heartbeat is stale (a killed worker)
    retention_batches   one row per batch done, written in the batch's own transaction: what
                        a killed worker did is counted, so the audit entries written at the
                        end (per activity) add up to the rows removed, nothing twice

Counts, activity ids and table names only: no row names a subject.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Table, Text, text

from privaat.store.registry import Unlinked, technical
from privaat.store.tables import UTC_TIME, metadata

__all__ = ["retention_batches", "retention_sweeps"]

_ID = BigInteger().with_variant(Integer(), "sqlite")
RUNNING = "running"

retention_sweeps = Table(
    "retention_sweeps",
    metadata,
    technical("id", _ID, primary_key=True, autoincrement=True),
    technical("started_at", UTC_TIME, nullable=False),
    technical("finished_at", UTC_TIME, nullable=True),
    technical("heartbeat_at", UTC_TIME, nullable=False),
    technical("worker", String(128), nullable=False),  # host:pid of the process running it
    technical("dry_run", Boolean, nullable=False, default=False),
    technical("status", String(16), nullable=False),  # running, finished
    technical("counts", Text, nullable=True),  # canonical JSON: activity -> table -> counts
    Index(
        "uq_retention_sweeps_running",
        "status",
        unique=True,
        sqlite_where=text("status = 'running'"),
        postgresql_where=text("status = 'running'"),
    ),
    info={"subject": Unlinked("a sweep's run: times, a worker name and counts, no subject")},
)

retention_batches = Table(
    "retention_batches",
    metadata,
    technical("id", _ID, primary_key=True, autoincrement=True),
    technical(
        "sweep_id",
        _ID,
        ForeignKey("retention_sweeps.id", ondelete="CASCADE"),
        nullable=False,
    ),
    technical("activity", String(64), nullable=False),
    technical("table_name", String(64), nullable=False),
    technical("action", String(16), nullable=False),  # deleted, minimised, erased
    technical("rows", Integer, nullable=False),
    Index("ix_retention_batches_sweep", "sweep_id"),
    info={"subject": Unlinked("a sweep's counts per batch: numbers and table names only")},
)
