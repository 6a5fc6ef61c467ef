"""Monthly range partitions of the high-volume event tables on PostgreSQL (issue 13 item 1, L51).

On PostgreSQL each table in ``PARTITIONED`` is partitioned by range of its event time (``at``):
one partition a calendar month (UTC), named ``<table>_pYYYYMM``, and a ``<table>_default``
partition that catches any row no month partition covers (a device clock in 1970, a sweep that
has not run for months), so an insert never fails for want of a partition. The retention sweep
keeps ``MONTHS_AHEAD`` months ready and, when every row of a month past the cutoff would go,
drops the month whole instead of deleting its rows one by one (``services.retention``).

A partitioned table's primary key and unique constraints must hold the partition key, so on
PostgreSQL the primary key is ``(id, at)``; ``id`` still comes from the table's own sequence.
The telemetry tables' idempotency constraint is ``(service_id, event_id, at)`` on both
databases: a retried event carries its own ``at`` again, so the retry still collides; the
ingestion's look-up by ``(service_id, event_id)`` refuses a repeat sent with another time.

SQLite has no partitions: there the sweep deletes in short batches (it never holds the write
lock long). Nothing here runs on SQLite.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, text

__all__ = [
    "MONTHS_AHEAD",
    "PARTITIONED",
    "Partition",
    "add_months",
    "convert",
    "ensure_partitions",
    "is_partitioned",
    "month_start",
    "partitions",
    "revert",
]

# the event tables named by issue 13 (telemetry, log-ins, engagement, the access log) and the
# column each is partitioned by
PARTITIONED: dict[str, str] = {
    "voip_sync_events": "at",
    "app_analytics_events": "at",
    "service_logins": "at",
    "login_events": "at",
    "engagement_events": "at",
    "access_log": "at",
}
MONTHS_AHEAD = 3  # months made ready beyond the current one
MONTHS_BACK = 36  # converting a table: the earliest month given a partition of its own
DEFAULT = "default"
_KEYED = re.compile(r"^(PRIMARY KEY|UNIQUE) \((?P<columns>[^)]*)\)(?P<rest>.*)$", re.S)


@dataclass(frozen=True, slots=True)
class Partition:
    """One partition of a table: its range of the partition key, or none (the default)."""

    name: str
    start: datetime | None
    end: datetime | None

    @property
    def is_default(self) -> bool:
        return self.start is None


def month_start(moment: datetime) -> datetime:
    """The first instant (UTC) of ``moment``'s month."""
    utc = moment.astimezone(UTC)
    return datetime(utc.year, utc.month, 1, tzinfo=UTC)


def add_months(start: datetime, months: int) -> datetime:
    """The first instant of the month ``months`` after (before, if negative) ``start``'s."""
    index = start.year * 12 + (start.month - 1) + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def _next_month(start: datetime) -> datetime:
    return add_months(start, 1)


def _month_name(table: str, start: datetime) -> str:
    return f"{table}_p{start.year:04d}{start.month:02d}"


def _quote(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)


def is_partitioned(connection: Connection, table: str) -> bool:
    """Whether ``table`` is a partitioned table here (never on SQLite)."""
    if connection.dialect.name != "postgresql":
        return False
    kind = connection.execute(
        text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:table)"), {"table": table}
    ).scalar()
    return kind == "p"


def partitions(connection: Connection, table: str) -> list[Partition]:
    """The partitions of ``table``, oldest month first, the default partition last."""
    rows = connection.execute(
        text(
            "SELECT c.relname,"
            " (regexp_match(pg_get_expr(c.relpartbound, c.oid),"
            "   'FROM \\(''([^'']+)''\\)'))[1]::timestamptz,"
            " (regexp_match(pg_get_expr(c.relpartbound, c.oid),"
            "   'TO \\(''([^'']+)''\\)'))[1]::timestamptz"
            " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = to_regclass(:table)"
        ),
        {"table": table},
    ).all()
    found = [Partition(str(name), start, end) for name, start, end in rows]
    return sorted(found, key=lambda p: (p.is_default, p.start or datetime.max.replace(tzinfo=UTC)))


def _create_month(connection: Connection, table: str, key: str, start: datetime) -> str | None:
    """The month's partition, unless the default partition holds rows of that month already
    (PostgreSQL would refuse it; those rows stay in the default and go row by row)."""
    end = _next_month(start)
    name = _month_name(table, start)
    default = _quote(connection, f"{table}_{DEFAULT}")
    crowded = connection.execute(
        text(
            f"SELECT EXISTS (SELECT 1 FROM {default} "  # noqa: S608 - quoted identifiers
            f"WHERE {_quote(connection, key)} >= :start AND {_quote(connection, key)} < :end)"
        ),
        {"start": start, "end": end},
    ).scalar()
    if crowded:
        return None
    connection.execute(
        text(
            f"CREATE TABLE {_quote(connection, name)} PARTITION OF {_quote(connection, table)} "
            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        )
    )
    return name


def ensure_partitions(
    connection: Connection,
    now: datetime,
    *,
    ahead: int = MONTHS_AHEAD,
    since: datetime | None = None,
) -> list[str]:
    """Make every month partition from ``since`` (default: this month) to ``ahead`` months past
    ``now`` that is missing; the names made. Does nothing on SQLite."""
    made: list[str] = []
    if connection.dialect.name != "postgresql":
        return made
    last = add_months(month_start(now), ahead)
    for table, key in PARTITIONED.items():
        if not is_partitioned(connection, table):
            continue
        have = {p.name for p in partitions(connection, table)}
        month = month_start(since or now)
        while month <= last:
            if _month_name(table, month) not in have:
                name = _create_month(connection, table, key, month)
                if name is not None:
                    made.append(name)
            month = _next_month(month)
    return made


def _keyed(definition: str, key: str, *, add: bool) -> str:
    """A primary key or unique constraint's definition with ``key`` added to (or taken from)
    its columns; any other definition unchanged."""
    match = _KEYED.match(definition)
    if match is None:
        return definition
    columns = [c.strip() for c in match["columns"].split(",")]
    if add and key not in columns:
        columns.append(key)
    if not add and key in columns and len(columns) > 1:
        columns.remove(key)
    return f"{match[1]} ({', '.join(columns)}){match['rest']}"


def _rebuild(
    connection: Connection, table: str, key: str, *, partition: bool, now: datetime
) -> None:
    """Replace ``table`` by a partitioned (or a plain) copy with the same columns, rows,
    sequence, constraints and indexes, in the caller's transaction."""
    q = _quote(connection, table)
    old = f"{table}__old"
    constraints = connection.execute(
        text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = to_regclass(:table) AND contype IN ('p', 'u', 'f', 'c')"
            " ORDER BY contype DESC, conname"  # p, then u, f, c: the keys before the references
        ),
        {"table": table},
    ).all()
    indexes = connection.execute(
        text(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema()"
            " AND tablename = :table AND indexname NOT IN"
            " (SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(:table))"
            " ORDER BY indexname"
        ),
        {"table": table},
    ).scalars()
    index_definitions = list(indexes)
    sequence = connection.execute(
        text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table}
    ).scalar()
    first = connection.execute(
        text(f"SELECT min({_quote(connection, key)}) FROM {q}")  # noqa: S608 - quoted names
    ).scalar()
    connection.execute(text(f"ALTER TABLE {q} RENAME TO {_quote(connection, old)}"))
    tail = f" PARTITION BY RANGE ({_quote(connection, key)})" if partition else ""
    connection.execute(
        text(f"CREATE TABLE {q} (LIKE {_quote(connection, old)} INCLUDING DEFAULTS){tail}")
    )
    if sequence is not None:
        connection.execute(text(f"ALTER SEQUENCE {sequence} OWNED BY {q}.id"))
    if partition:
        default = _quote(connection, f"{table}_{DEFAULT}")
        connection.execute(text(f"CREATE TABLE {default} PARTITION OF {q} DEFAULT"))
        this_month = month_start(now)
        earliest = add_months(this_month, -MONTHS_BACK)
        month = this_month if first is None else min(max(month_start(first), earliest), this_month)
        last = add_months(this_month, MONTHS_AHEAD)
        while month <= last:
            _create_month(connection, table, key, month)
            month = _next_month(month)
    connection.execute(
        text(f"INSERT INTO {q} SELECT * FROM {_quote(connection, old)}")  # noqa: S608
    )
    connection.execute(text(f"DROP TABLE {_quote(connection, old)}"))
    for name, definition in constraints:
        changed = _keyed(definition, key, add=partition)
        connection.execute(
            text(f"ALTER TABLE {q} ADD CONSTRAINT {_quote(connection, name)} {changed}")
        )
    for definition in index_definitions:
        connection.execute(text(definition))


def convert(connection: Connection, now: datetime) -> None:
    """Partition every table of ``PARTITIONED`` not partitioned yet (a migration's step)."""
    for table, key in PARTITIONED.items():
        if not is_partitioned(connection, table):
            _rebuild(connection, table, key, partition=True, now=now)


def revert(connection: Connection) -> None:
    """Turn every partitioned table of ``PARTITIONED`` back into a plain one (the downgrade)."""
    for table, key in PARTITIONED.items():
        if is_partitioned(connection, table):
            _rebuild(connection, table, key, partition=False, now=datetime.now(UTC))
