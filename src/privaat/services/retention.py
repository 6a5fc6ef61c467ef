"""The retention sweep (issue 13 item 1; P20, LEGAL L51-L53): one run over the rules that
``privaat.domain.retention`` derives from the policy and the registry.

    preview   the dry run: per activity and table, how many rows would go (or be minimised)
              and the oldest clock among them; reads only, writes nothing
    sweep     for each rule, batches of primary keys (default 2,000), each batch its own short
              transaction (SQLite's write lock is held for one batch only), one statement:
              ``DELETE … WHERE key IN (SELECT key … LIMIT n)``; on PostgreSQL the inner select
              is ``FOR UPDATE SKIP LOCKED``, so several workers (threads, own connections)
              share a sweep and never take the same rows.
              Then the closure rule: closed accounts past the account's period are erased
              through ``services.erasure`` (its holds kept, L52). Last, one audit entry per
              activity with the counts (numbers, activity id, table names) and the sweep row
              marked finished, in one transaction.

On PostgreSQL the sweep first drops whole the month partitions of the event tables whose
every row a delete rule would remove (``store.partitions``; a month holding one row that
stays is left to the batches).

Every batch skips the rows of a subject an open request holds (``services.request_hold``,
L60) and of a subject under a legal hold (``subjects.legal_hold``, art. 17(3)(e)); a row whose
clock is NULL (its event has not happened) never goes. Each batch writes its count in
``retention_batches`` in its own transaction, so a worker killed mid-way loses nothing: the
next sweep takes over the stale sweep row, finishes the work, and the audit entries add up to
every row removed. A second sweep while one beats is refused (``SweepRunning``).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    MetaData,
    Select,
    Table,
    and_,
    delete,
    exists,
    false,
    func,
    insert,
    or_,
    select,
    text,
    true,
    tuple_,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError

from privaat.domain.clock import Clock
from privaat.domain.principal import SystemJob
from privaat.domain.retention import (
    DeleteRule,
    MinimiseRule,
    RetentionPlan,
    RetentionRuleError,
    Withdrawal,
    cutoff,
    derive_rules,
)
from privaat.policy.schema import Policy
from privaat.services.activities import PolicyIncomplete
from privaat.services.erasure import Erasure, ErasureWaits
from privaat.services.errors import ServiceError
from privaat.services.request_hold import held_subjects, not_held
from privaat.store.audit import AuditTrail
from privaat.store.partitions import (
    PARTITIONED,
    Partition,
    ensure_partitions,
    is_partitioned,
    partitions,
)
from privaat.store.tables import accounts, consent_decisions, consent_events, metadata, subjects
from privaat.store.tables_retention import RUNNING, retention_batches, retention_sweeps
from privaat.store.unit_of_work import UnitOfWork

__all__ = [
    "DEFAULT_BATCH",
    "retention_plan",
    "SWEEP_JOB",
    "PreviewLine",
    "RetentionSweeps",
    "SweepReport",
    "SweepRunning",
]

DEFAULT_BATCH = 2_000
SWEEP_JOB = SystemJob("retention")
DELETED, MINIMISED, ERASED = "deleted", "minimised", "erased"
_HEARTBEAT_EVERY = timedelta(seconds=5)
_CLOSED = "closed"
# PostgreSQL: how long a partition drop may wait for its parent table's lock (a writer queued
# behind the sweep waits at most this), and how often it tries before the batches take over
_DROP_WAIT_MS, _DROP_TRIES = 50, 5

Progress = Callable[[int], None]


class SweepRunning(ServiceError):
    """Another sweep is running (its heartbeat is fresh): this one does not start."""

    def __init__(self, started_at: datetime, worker: str) -> None:
        super().__init__(
            f"a sweep started at {started_at.isoformat(timespec='seconds')} by {worker} is still "
            "running; wait for it to finish (it is taken over once its heartbeat is stale)"
        )
        self.started_at = started_at


@dataclass(frozen=True, slots=True)
class PreviewLine:
    activity: str
    table: str
    action: str  # deleted, minimised, erased
    rows: int
    oldest: datetime | None


@dataclass(frozen=True, slots=True)
class SweepReport:
    sweep_id: int
    resumed: bool  # a stale sweep taken over
    counts: dict[str, dict[str, dict[str, int]]]  # activity -> table -> action -> rows

    @property
    def total(self) -> int:
        return sum(
            n for tables in self.counts.values() for t in tables.values() for n in t.values()
        )


def retention_plan(
    policy: Policy, schema: MetaData, *, idle: Collection[str] = ()
) -> RetentionPlan:
    """The rules for ``policy``; a table without one refuses the start (``privaat: …``, exit 2)."""
    try:
        return derive_rules(policy, schema, idle=idle)
    except RetentionRuleError as error:
        raise PolicyIncomplete(f"retention: {error}") from None


def _table(name: str) -> Table:
    return metadata.tables[name]


def _key_columns(table: Table) -> list[Any]:
    """The columns naming one row: the primary key, or the first unique index (objections)."""
    columns = list(table.primary_key.columns)
    if not columns:
        unique = next(index for index in table.indexes if index.unique)
        columns = list(unique.columns)
    return columns


class RetentionSweeps:
    """Runs the plan's rules: the dry run, the sweep, its lock and its evidence."""

    def __init__(
        self,
        *,
        plan: RetentionPlan,
        erasure: Erasure,
        clock: Clock,
        batch: int = DEFAULT_BATCH,
        stale_after: timedelta = timedelta(minutes=2),
        pause: float = 0.0,
    ) -> None:
        if batch < 1:
            raise ValueError("a batch holds at least one row")
        self.plan, self._erasure, self._clock = plan, erasure, clock
        self._batch, self._stale_after = batch, stale_after
        self._pause = pause  # seconds between batches, the write lock free (none by default)

    # --- the conditions --------------------------------------------------------------------

    def _free(
        self, table: Table, subject_column: str, *, by_pseudonym: bool
    ) -> ColumnElement[bool]:
        """Rows no open request (L60) and no legal hold (art. 17(3)(e)) keeps."""
        column = table.c[subject_column]
        legal = select(subjects.c.id).where(subjects.c.legal_hold == true())
        if by_pseudonym:
            kept = select(subjects.c.pseudonym).where(
                or_(subjects.c.id.in_(held_subjects()), subjects.c.legal_hold == true())
            )
            return or_(column.is_(None), column.not_in(kept))
        return and_(not_held(column), column.not_in(legal))

    @staticmethod
    def _withdrawn(table: Table, withdrawal: Withdrawal, before: datetime) -> ColumnElement[bool]:
        """The subject's latest consent event for the activity is a withdrawal before ``before``."""
        latest = consent_events.alias("latest")
        history = consent_events.alias("history")  # an alias: the table may be the log itself
        subject = table.c.subject_id

        def withdrawn(activity: Any) -> ColumnElement[bool]:
            last_id = (
                select(history.c.id)
                .where(
                    history.c.subject_id == subject,
                    history.c.activity == activity,
                    consent_decisions(history),  # a request awaiting its link decides nothing
                )
                .order_by(history.c.id.desc())
                .limit(1)
                .correlate(table)  # two levels down: name the row's table explicitly
                .scalar_subquery()
            )
            return exists(
                select(latest.c.id).where(
                    latest.c.id == last_id, latest.c.given == false(), latest.c.at < before
                )
            )

        if withdrawal.column is not None:
            return withdrawn(table.c[withdrawal.column])
        return or_(*(withdrawn(activity) for activity in withdrawal.activities))

    def _delete_where(self, rule: DeleteRule, now: datetime) -> list[ColumnElement[bool]]:
        table = _table(rule.table)
        before = cutoff(rule.period, now)
        clock = table.c[rule.clock]
        where = [
            clock.is_not(None),
            clock < before,
            self._free(table, rule.subject_column, by_pseudonym=rule.by_pseudonym),
        ]
        if rule.withdrawal is not None:
            where.append(self._withdrawn(table, rule.withdrawal, before))
        return where

    def _minimise_where(self, rule: MinimiseRule, now: datetime) -> list[ColumnElement[bool]]:
        table = _table(rule.table)
        clock = table.c[rule.clock]
        return [
            clock.is_not(None),
            clock < cutoff(rule.after, now),
            or_(*(table.c[name].is_not(None) for name in rule.columns)),
            self._free(table, rule.subject_column, by_pseudonym=False),
        ]

    def _closed_where(self, now: datetime) -> list[ColumnElement[bool]]:
        closure = self.plan.closure
        if closure is None:
            raise LookupError("the plan has no closure rule")
        return [
            accounts.c.status == _CLOSED,
            accounts.c.closed_at.is_not(None),
            accounts.c.closed_at < cutoff(closure.period, now),
            self._free(accounts, "subject_id", by_pseudonym=False),
        ]

    # --- the dry run -----------------------------------------------------------------------

    def preview(self, uow: UnitOfWork, *, now: datetime | None = None) -> list[PreviewLine]:
        """What a sweep now would remove or minimise, per rule; changes nothing."""
        moment = now or self._clock.now()
        lines: list[PreviewLine] = []
        with uow.reading() as connection:
            for rule in self.plan.deletes:
                table = _table(rule.table)
                lines.append(
                    self._count(
                        connection,
                        table,
                        rule.clock,
                        self._delete_where(rule, moment),
                        rule.activity,
                        DELETED,
                    )
                )
            for mrule in self.plan.minimisations:
                table = _table(mrule.table)
                lines.append(
                    self._count(
                        connection,
                        table,
                        mrule.clock,
                        self._minimise_where(mrule, moment),
                        mrule.activity,
                        MINIMISED,
                    )
                )
            if self.plan.closure is not None:
                lines.append(
                    self._count(
                        connection,
                        accounts,
                        "closed_at",
                        self._closed_where(moment),
                        self.plan.closure.activity,
                        ERASED,
                    )
                )
        return lines

    @staticmethod
    def _count(
        connection: Connection,
        table: Table,
        clock: str,
        where: Sequence[ColumnElement[bool]],
        activity: str,
        action: str,
    ) -> PreviewLine:
        row = connection.execute(
            select(func.count(), func.min(table.c[clock])).select_from(table).where(*where)
        ).one()
        return PreviewLine(activity, table.name, action, int(row[0]), row[1])

    # --- the sweep -------------------------------------------------------------------------

    def sweep(
        self,
        uow_factory: Callable[[], UnitOfWork],
        *,
        workers: int = 1,
        progress: Progress | None = None,
        now: datetime | None = None,
    ) -> SweepReport:
        """Run every rule to the end; SweepRunning while another sweep beats."""
        if workers < 1:
            raise ValueError("at least one worker")
        moment = now or self._clock.now()
        worker = f"{socket.gethostname()}:{os.getpid()}"[:128]
        errors: list[BaseException] = []
        lock = threading.Lock()

        def advance(n: int) -> None:
            if progress is not None:
                with lock:
                    progress(n)

        with uow_factory() as uow:
            sweep_id, resumed = self._start(uow, worker, moment)
            if uow.engine.dialect.name == "postgresql":
                with uow.writing() as connection:
                    ensure_partitions(connection, moment)  # the coming months ready
                self._drop_partitions(uow, sweep_id, moment, advance)

        def run() -> None:
            try:
                with uow_factory() as own:
                    self._work(own, sweep_id, moment, advance)
            except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
                errors.append(error)

        if workers == 1:
            run()
        else:
            threads = [threading.Thread(target=run, name=f"retention-{n}") for n in range(workers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        if errors:
            raise errors[0]
        with uow_factory() as uow:
            self._close_accounts(uow, sweep_id, moment, advance)
            counts = self._finish(uow, sweep_id)
        return SweepReport(sweep_id=sweep_id, resumed=resumed, counts=counts)

    def _start(self, uow: UnitOfWork, worker: str, now: datetime) -> tuple[int, bool]:
        try:
            with uow.writing() as connection:
                running = connection.execute(
                    select(retention_sweeps).where(retention_sweeps.c.status == RUNNING)
                ).first()
                if running is not None:
                    if running.heartbeat_at > now - self._stale_after:
                        raise SweepRunning(running.started_at, running.worker)
                    connection.execute(
                        update(retention_sweeps)
                        .where(retention_sweeps.c.id == running.id)
                        .values(worker=worker, heartbeat_at=now)
                    )
                    return int(running.id), True
                sweep_id = connection.execute(
                    insert(retention_sweeps)
                    .values(
                        started_at=now,
                        heartbeat_at=now,
                        worker=worker,
                        dry_run=False,
                        status=RUNNING,
                    )
                    .returning(retention_sweeps.c.id)
                ).scalar_one()
                return int(sweep_id), False
        except IntegrityError:  # another start won the race to the one running row
            with uow.reading() as connection:
                row = connection.execute(
                    select(retention_sweeps).where(retention_sweeps.c.status == RUNNING)
                ).one()
            raise SweepRunning(row.started_at, row.worker) from None

    def _drop_partitions(
        self, uow: UnitOfWork, sweep_id: int, now: datetime, advance: Progress
    ) -> None:
        """PostgreSQL: a month partition wholly before a delete rule's cutoff, every row of
        which the rule would delete, is dropped whole (store.partitions); a partition holding
        one row that stays (held, not yet due, a live consent) is left to the batches."""
        for rule in self.plan.deletes:
            if rule.table not in PARTITIONED:
                continue
            with uow.reading() as connection:
                if not is_partitioned(connection, rule.table):
                    continue
                months = partitions(connection, rule.table)
            before = cutoff(rule.period, now)
            for month in months:
                if month.end is not None and month.end <= before:
                    self._drop_if_due(uow, sweep_id, rule, month, now, advance)

    def _drop_if_due(
        self,
        uow: UnitOfWork,
        sweep_id: int,
        rule: DeleteRule,
        month: Partition,
        now: datetime,
        advance: Progress,
    ) -> None:
        table = _table(rule.table)
        key = table.c[PARTITIONED[rule.table]]
        quote = uow.engine.dialect.identifier_preparer.quote
        with uow.writing() as connection:
            # no row enters or leaves the month while it is counted and dropped; readers go on
            connection.execute(text(f"LOCK TABLE {quote(month.name)} IN EXCLUSIVE MODE"))
            total, due = connection.execute(
                select(func.count(), func.count().filter(and_(*self._delete_where(rule, now))))
                .select_from(table)
                .where(key >= month.start, key < month.end)
            ).one()
            if total != due:
                return  # a row stays: the batches take the rest
            # dropping a partition locks its parent (and the tables it references); writers
            # wait for that moment only, and a sweep that cannot have the locks within
            # _DROP_WAIT_MS leaves the month to the batches
            if not self._drop(connection, quote(rule.table), quote(month.name)):
                return
            if due:
                connection.execute(
                    insert(retention_batches).values(
                        sweep_id=sweep_id,
                        activity=rule.activity,
                        table_name=table.name,
                        action=DELETED,
                        rows=due,
                    )
                )
        if due:
            advance(int(due))

    @staticmethod
    def _drop(connection: Connection, parent: str, month: str) -> bool:
        for attempt in range(_DROP_TRIES):
            savepoint = connection.begin_nested()
            try:
                connection.execute(text(f"SET LOCAL lock_timeout = '{_DROP_WAIT_MS}ms'"))
                connection.execute(text(f"LOCK TABLE {parent} IN ACCESS EXCLUSIVE MODE"))
                connection.execute(text(f"DROP TABLE {month}"))
            except OperationalError:  # lock_not_available: a long reader or writer holds one
                savepoint.rollback()
                time.sleep(0.05 * (attempt + 1))
                continue
            savepoint.commit()
            connection.execute(text("SET LOCAL lock_timeout = 0"))
            return True
        return False

    def _work(self, uow: UnitOfWork, sweep_id: int, now: datetime, advance: Progress) -> None:
        postgres = uow.engine.dialect.name == "postgresql"
        beat = [self._clock.now()]
        for rule in self.plan.deletes:
            table = _table(rule.table)
            self._batches(
                uow,
                sweep_id,
                table,
                rule.activity,
                DELETED,
                self._delete_where(rule, now),
                None,
                postgres,
                advance,
                beat,
            )
        for mrule in self.plan.minimisations:
            table = _table(mrule.table)
            self._batches(
                uow,
                sweep_id,
                table,
                mrule.activity,
                MINIMISED,
                self._minimise_where(mrule, now),
                mrule.columns,
                postgres,
                advance,
                beat,
            )

    def _batches(
        self,
        uow: UnitOfWork,
        sweep_id: int,
        table: Table,
        activity: str,
        action: str,
        where: Sequence[ColumnElement[bool]],
        emptied: tuple[str, ...] | None,
        postgres: bool,
        advance: Progress,
        beat: list[datetime],
    ) -> None:
        keys = _key_columns(table)
        key: Any = keys[0] if len(keys) == 1 else tuple_(*keys)
        # one statement a batch: the keys are chosen inside the database (no round trip of
        # 2,000 ids); on PostgreSQL the chosen rows are locked, and those another worker
        # holds are skipped, so two workers never take the same row
        chosen: Select[Any] = select(*keys).where(*where).limit(self._batch)
        if postgres:
            chosen = chosen.with_for_update(skip_locked=True)
        if emptied is None:
            statement: Any = delete(table).where(key.in_(chosen))
        else:
            statement = update(table).where(key.in_(chosen)).values(dict.fromkeys(emptied))
        while True:
            with uow.writing() as connection:
                done = connection.execute(statement).rowcount
                if not done:
                    return
                connection.execute(
                    insert(retention_batches).values(
                        sweep_id=sweep_id,
                        activity=activity,
                        table_name=table.name,
                        action=action,
                        rows=done,
                    )
                )
            if self._pause:
                time.sleep(self._pause)  # the lock is free: a waiting writer may go first
            advance(done)
            self._heartbeat(uow, sweep_id, beat)

    def _heartbeat(self, uow: UnitOfWork, sweep_id: int, beat: list[datetime]) -> None:
        moment = self._clock.now()
        if moment - beat[0] < _HEARTBEAT_EVERY:
            return
        beat[0] = moment
        with uow.writing() as connection:
            connection.execute(
                update(retention_sweeps)
                .where(retention_sweeps.c.id == sweep_id)
                .values(heartbeat_at=moment)
            )

    def _close_accounts(
        self, uow: UnitOfWork, sweep_id: int, now: datetime, advance: Progress
    ) -> None:
        """L52: a closed account past its period is erased (issue 9), its holds kept."""
        closure = self.plan.closure
        if closure is None:
            return
        with uow.reading() as connection:
            due = list(
                connection.execute(
                    select(accounts.c.subject_id)
                    .where(*self._closed_where(now))
                    .order_by(accounts.c.subject_id)
                ).scalars()
            )
        for subject_id in due:
            try:
                self._erasure.erase(uow, SWEEP_JOB, subject_id, ground="retention: account closed")
            except ErasureWaits:  # a legal hold arrived meanwhile: it waits
                continue
            with uow.writing() as connection:
                connection.execute(
                    insert(retention_batches).values(
                        sweep_id=sweep_id,
                        activity=closure.activity,
                        table_name=accounts.name,
                        action=ERASED,
                        rows=1,
                    )
                )
            advance(1)

    def _finish(self, uow: UnitOfWork, sweep_id: int) -> dict[str, dict[str, dict[str, int]]]:
        """One audit entry per activity with its counts, and the sweep finished: atomically."""
        moment = self._clock.now()
        with uow.writing() as connection:
            rows = connection.execute(
                select(
                    retention_batches.c.activity,
                    retention_batches.c.table_name,
                    retention_batches.c.action,
                    func.sum(retention_batches.c.rows),
                )
                .where(retention_batches.c.sweep_id == sweep_id)
                .group_by(
                    retention_batches.c.activity,
                    retention_batches.c.table_name,
                    retention_batches.c.action,
                )
            ).all()
            counts: dict[str, dict[str, dict[str, int]]] = {}
            for activity, table_name, action, total in rows:
                if total:
                    tables = counts.setdefault(activity, {})
                    tables.setdefault(table_name, {})[action] = int(total)
            for activity in sorted(counts):
                tables = counts[activity]
                AuditTrail.append(
                    connection,
                    at=moment,
                    actor=SWEEP_JOB.actor,
                    action="retention.swept",
                    subject_pseudonym=None,
                    detail={
                        "sweep": sweep_id,
                        "activity": activity,
                        "tables": ",".join(sorted(tables)),
                        DELETED: sum(t.get(DELETED, 0) for t in tables.values()),
                        MINIMISED: sum(t.get(MINIMISED, 0) for t in tables.values()),
                        ERASED: sum(t.get(ERASED, 0) for t in tables.values()),
                    },
                )
            connection.execute(
                update(retention_sweeps)
                .where(retention_sweeps.c.id == sweep_id)
                .values(
                    status="finished",
                    finished_at=moment,
                    heartbeat_at=moment,
                    counts=json.dumps(counts, sort_keys=True, separators=(",", ":")),
                )
            )
        return counts
