"""The breach register: record, count, report, tell (issue 13 item 4, P10, GDPR art. 33/34).

    record(draft) ── discovery checked (domain.breaches) ── scope resolved against the data
        │            registry: tables by name, an activity → the tables whose columns name it,
        │            a window → each table's own clock column ── rows and distinct subjects
        │            counted (ids and times only, never a personal column) ── the deadline:
        │            72 h, or 24 h for the policy's public ECS (L70) ── a RECORDED update
        ├── add(update)                 art. 33(4): further information, in phases
        ├── reported(at, reference)     the authority's receipt
        ├── not_reported(reason)        art. 33(5): the breach stays, with why
        ├── assess(risk) / exempt(...)  art. 34(3): why the people need not be told
        ├── notification(language)      the prefilled art. 33(3)(a)-(d) report, text or JSON
        └── notify(words)               art. 34: the people of the same scope, each once,
                                        through the outbox under ``breach_handling``

Nothing is ever deleted from the register (L68); every step is one unit of work, so a
refused step changes nothing, and the audit trail names the breach by its number only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    Table,
    func,
    insert,
    select,
    union,
    update,
)
from sqlalchemy.exc import IntegrityError

from privaat.domain.breaches import (
    BREACH_HANDLING,
    BreachFieldError,
    Exemption,
    Nature,
    ReportClock,
    RiskLevel,
    UpdateKind,
    check_discovery,
    check_occurred,
    report_clock,
    report_deadline,
    reporting_hours,
)
from privaat.domain.clock import Clock
from privaat.domain.principal import StaffMember, StaffRole
from privaat.i18n import N_
from privaat.mail.breach_notice import BREACH_TEMPLATE, NoticeWords, breach_notice_text
from privaat.mail.transport import OutgoingMail
from privaat.policy.schema import Policy
from privaat.services.breach_report import Art33Report, art33_report
from privaat.services.errors import Conflict, InvalidField, NotPermitted, ServiceError
from privaat.services.outbox import queue
from privaat.services.subject_access import Operation, SubjectAccess
from privaat.services.text_fields import TextRefused, check_text
from privaat.store.audit import AuditTrail
from privaat.store.key_store import KeyStore
from privaat.store.registry import ACCOUNT_CLOSURE, SubjectTable, personal_columns, subject_tables
from privaat.store.tables import metadata, subjects
from privaat.store.tables_breaches import breach_notices, breach_updates, breaches
from privaat.store.unit_of_work import UnitOfWork

__all__ = [
    "BreachDraft",
    "BreachNotFound",
    "BreachRegister",
    "BreachSummary",
    "BreachUpdate",
    "BreachView",
    "NotifyReport",
    "Scope",
    "ScopeCount",
    "TableCount",
]

_OFFICER = StaffRole.PRIVACY_OFFICER  # art. 38(4), 39: the register is the officer's


class BreachNotFound(ServiceError):
    """No breach with that number in the register."""

    def __init__(self) -> None:
        super().__init__(N_("No breach with this number is in the register."))


@dataclass(frozen=True, slots=True)
class Scope:
    """What a breach touched: tables by name, activities, and a time window on their clocks."""

    tables: tuple[str, ...] = ()
    activities: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None

    @property
    def empty(self) -> bool:
        return not self.tables and not self.activities

    def as_json(self) -> dict[str, Any]:
        return {
            "tables": list(self.tables),
            "activities": list(self.activities),
            "from": self.start.isoformat() if self.start else None,
            "until": self.end.isoformat() if self.end else None,
        }

    @classmethod
    def from_json(cls, text: str | None) -> Scope:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(
            tables=tuple(data["tables"]),
            activities=tuple(data["activities"]),
            start=datetime.fromisoformat(data["from"]) if data["from"] else None,
            end=datetime.fromisoformat(data["until"]) if data["until"] else None,
        )


@dataclass(frozen=True, slots=True)
class TableCount:
    """The rows of one table inside the scope; ``whole`` when it has no time to filter on."""

    table: str
    rows: int
    whole: bool


@dataclass(frozen=True, slots=True)
class ScopeCount:
    """What the data says a scope holds: records per table, distinct people across them."""

    tables: tuple[TableCount, ...]
    people: int
    activities: frozenset[str]  # every activity the scope touches (for the 24-hour rule)
    # the data categories the registry declares for the columns of the tables counted
    categories: frozenset[str] = frozenset()

    @property
    def records(self) -> int:
        return sum(t.rows for t in self.tables)


@dataclass(frozen=True, slots=True)
class BreachDraft:
    """What the officer enters to record a breach; the counts come from ``scope`` when it names
    tables or activities, otherwise from the estimates."""

    discovered_at: datetime | None
    nature: str
    risk: str
    description: str
    consequences: str
    measures: str
    data_categories: tuple[str, ...] = ()
    subject_categories: tuple[str, ...] = ()
    occurred_from: datetime | None = None
    occurred_until: datetime | None = None
    scope: Scope = field(default_factory=Scope)
    people_estimate: int | None = None
    records_estimate: int | None = None


@dataclass(frozen=True, slots=True)
class BreachUpdate:
    """One timestamped entry of a breach's history."""

    at: datetime
    by: str
    kind: UpdateKind
    text: str


@dataclass(frozen=True, slots=True)
class BreachSummary:
    """A breach as the register lists it, with its clock now."""

    id: int
    discovered_at: datetime
    nature: Nature
    risk: RiskLevel
    report_hours: int
    clock: ReportClock
    people: int | None
    records: int | None
    estimated: bool
    notified: int

    @property
    def reference(self) -> str:
        return f"B-{self.id:04d}"


@dataclass(frozen=True, slots=True)
class BreachView:
    """One breach with everything the register holds about it."""

    summary: BreachSummary
    recorded_at: datetime
    recorded_by: str
    occurred_from: datetime | None
    occurred_until: datetime | None
    description: str
    consequences: str
    measures: str
    data_categories: tuple[str, ...]
    subject_categories: tuple[str, ...]
    scope: Scope
    reported_at: datetime | None
    authority_reference: str | None
    not_reported_reason: str | None
    exemption: Exemption | None
    exemption_reason: str | None
    notified_at: datetime | None
    updates: tuple[BreachUpdate, ...]


@dataclass(frozen=True, slots=True)
class NotifyReport:
    """What one notify step did: queued now, told before (not again), and not reachable."""

    queued: int
    already: int
    unreachable: int  # no account address, or the guard refused


def _text(name: str, value: str, *, required: bool = True) -> str:
    if not value.strip():
        if required:
            raise InvalidField(name, N_("This field is required."))
        return ""
    try:
        return check_text(value, multiline=True)
    except TextRefused as error:
        raise InvalidField(name, str(error)) from error


def _field(error: BreachFieldError) -> InvalidField:
    return InvalidField(error.field, error.message)


class BreachRegister:
    """The privacy officer's breach register (P10, art. 33/34, LEGAL L68-L71)."""

    activities = frozenset({BREACH_HANDLING})

    def __init__(
        self,
        *,
        access: SubjectAccess,
        keys: KeyStore,
        policy: Policy,
        clock: Clock,
        **_unused: object,
    ) -> None:
        self._access, self._keys, self._policy, self._clock = access, keys, policy, clock
        self._tables: dict[str, tuple[Table, SubjectTable]] = {
            table.name: (table, spec) for table, spec in subject_tables(metadata)
        }

    @property
    def table_names(self) -> tuple[str, ...]:
        """The tables a scope may name: every table whose rows belong to a person."""
        return tuple(sorted(self._tables))

    # -- the scope, counted from the data --------------------------------------------------

    def _resolve(self, scope: Scope) -> tuple[list[tuple[Table, SubjectTable]], frozenset[str]]:
        chosen: dict[str, tuple[Table, SubjectTable]] = {}
        touched: set[str] = set()
        for name in scope.tables:
            if name not in self._tables:
                raise InvalidField("tables", N_("No table of personal data has this name."))
            chosen[name] = self._tables[name]
            touched |= {role.activity for _c, role in personal_columns(self._tables[name][0])}
        for activity in scope.activities:
            if activity not in self._policy.activity_ids:
                raise InvalidField("activities", N_("The policy has no activity of this name."))
            touched.add(activity)
            for name, (table, spec) in self._tables.items():
                if any(role.activity == activity for _c, role in personal_columns(table)):
                    chosen[name] = (table, spec)
        for name, moment in (("from", scope.start), ("until", scope.end)):
            if moment is not None and moment.tzinfo is None:
                raise InvalidField(name, N_("A time needs its time zone (UTC)."))
        if scope.start and scope.end and scope.start > scope.end:
            raise InvalidField("until", N_("The end of the window lies before its start."))
        ordered = [chosen[name] for name in self._tables if name in chosen]
        return ordered, frozenset(touched)

    @staticmethod
    def _window(table: Table, spec: SubjectTable, scope: Scope) -> list[Any] | None:
        """The window's conditions on the table's clock; None when it has no time column."""
        if spec.clock == ACCOUNT_CLOSURE or spec.clock not in table.c:
            return None
        clock = table.c[spec.clock]
        where = []
        if scope.start is not None:
            where.append(clock >= scope.start)
        if scope.end is not None:
            where.append(clock < scope.end)
        return where

    def _pseudonyms(self, table: Table, spec: SubjectTable, scope: Scope) -> Select[Any]:
        """The pseudonyms of the people in ``table``'s rows of the scope.

        People are counted by pseudonym, not subject id: the held logs keep naming a person
        whose subject row erasure removed, and they are still people the breach concerns."""
        window = self._window(table, spec, scope) or []
        column = table.c[spec.subject_column]
        if spec.by_pseudonym:
            return select(column.label("pseudonym")).where(column.is_not(None), *window)
        if table is subjects:
            return select(subjects.c.pseudonym.label("pseudonym")).where(*window)
        return (
            select(subjects.c.pseudonym.label("pseudonym"))
            .select_from(table.join(subjects, subjects.c.id == column))
            .where(*window)
        )

    def count(self, connection: Connection, scope: Scope) -> ScopeCount:
        """Rows per table and distinct people of ``scope``; InvalidField for an unknown name."""
        chosen, touched = self._resolve(scope)
        counts = []
        for table, spec in chosen:
            window = self._window(table, spec, scope)
            rows = connection.execute(
                select(func.count()).select_from(table).where(*(window or []))
            ).scalar_one()
            whole = window is None and (scope.start is not None or scope.end is not None)
            counts.append(TableCount(table.name, int(rows), whole))
        people = 0
        if chosen:
            ids = union(*(self._pseudonyms(t, s, scope) for t, s in chosen)).subquery()
            # a union of one select is that select: count distinct ids, whatever the union
            distinct = select(func.count(ids.c.pseudonym.distinct()))
            people = int(connection.execute(distinct).scalar_one())
        categories = frozenset(
            role.category
            for table, _spec in chosen
            for _column, role in personal_columns(table)
            if role.category is not None
        )
        return ScopeCount(tuple(counts), people, touched, categories)

    def _people(self, connection: Connection, scope: Scope) -> list[int | None]:
        """Each person of the scope: their subject id, or None when erasure removed it."""
        chosen, _touched = self._resolve(scope)
        if not chosen:
            return []
        ids = union(*(self._pseudonyms(t, s, scope) for t, s in chosen)).subquery()
        found = connection.execute(
            select(ids.c.pseudonym, subjects.c.id)
            .select_from(ids.outerjoin(subjects, subjects.c.pseudonym == ids.c.pseudonym))
            .distinct()  # per pseudonym: every erased person counts, not one NULL for all
            .order_by(subjects.c.id, ids.c.pseudonym)
        )
        return [None if row.id is None else int(row.id) for row in found]

    # -- recording -------------------------------------------------------------------------

    def _officer(self, staff: StaffMember) -> None:
        if staff.role is not _OFFICER:  # the console's role table keeps others out first
            raise NotPermitted(N_("The breach register is the privacy officer's."))

    def _hours(self, touched: frozenset[str]) -> int:
        meta = self._policy.policy
        return reporting_hours(
            public_ecs=meta.public_electronic_communications_service,
            ecs_activities=frozenset(meta.electronic_communications_activities),
            touched=touched,
        )

    def record(self, uow: UnitOfWork, staff: StaffMember, draft: BreachDraft) -> int:
        """Enter a breach in the register; its number. InvalidField names a refused field."""
        self._officer(staff)
        now = self._clock.now()
        try:
            discovered = check_discovery(draft.discovered_at, now)
            start, end = check_occurred(draft.occurred_from, draft.occurred_until, discovered)
        except BreachFieldError as error:
            raise _field(error) from error
        try:
            nature, risk = Nature(draft.nature), RiskLevel(draft.risk)
        except ValueError as error:
            name = "risk" if draft.nature in set(Nature) else "nature"
            raise InvalidField(name, N_("Choose one of the listed values.")) from error
        description = _text("description", draft.description)
        consequences = _text("consequences", draft.consequences)
        measures = _text("measures", draft.measures)
        known = {c.id for c in self._policy.data_categories}
        for category in draft.data_categories:
            if category not in known:
                raise InvalidField(
                    "data_categories", N_("The policy has no data category of this name.")
                )
        people_kinds = tuple(_text("subject_categories", s) for s in draft.subject_categories)
        for name, value in (
            ("people_estimate", draft.people_estimate),
            ("records_estimate", draft.records_estimate),
        ):
            if value is not None and value < 0:
                raise InvalidField(name, N_("A count cannot be negative."))
        with uow.writing() as connection:
            counted = self.count(connection, draft.scope) if not draft.scope.empty else None
            windowed = draft.scope.start is not None or draft.scope.end is not None
            if counted is None and windowed:
                raise InvalidField("tables", N_("A time window needs the tables or activities."))
            people: int | None
            records: int | None
            named = set(draft.data_categories)
            if counted is not None:
                people, records, estimated = counted.people, counted.records, False
                touched = counted.activities
                named |= counted.categories  # what the tables hold, besides what staff name
            else:
                people, records = draft.people_estimate, draft.records_estimate
                estimated, touched = True, frozenset()
            hours = self._hours(touched)
            breach_id = connection.execute(
                insert(breaches)
                .values(
                    recorded_at=now,
                    recorded_by=staff.actor,
                    discovered_at=discovered,
                    occurred_from=start,
                    occurred_until=end,
                    nature=nature.value,
                    risk=risk.value,
                    description=description,
                    data_categories=json.dumps(sorted(named)),
                    subject_categories=json.dumps(list(people_kinds)),
                    scope=None if draft.scope.empty else json.dumps(draft.scope.as_json()),
                    people_count=people,
                    records_count=records,
                    counts_estimated=estimated,
                    consequences=consequences,
                    measures=measures,
                    report_hours=hours,
                    due_at=report_deadline(discovered, hours),
                    notified_count=0,
                )
                .returning(breaches.c.id)
            ).scalar_one()
            self._log(connection, breach_id, staff, UpdateKind.RECORDED, description, now)
        return int(breach_id)

    def _log(
        self,
        connection: Connection,
        breach_id: int,
        staff: StaffMember,
        kind: UpdateKind,
        text: str,
        now: datetime,
    ) -> None:
        connection.execute(
            insert(breach_updates).values(
                breach_id=breach_id, at=now, by=staff.actor, kind=kind.value, text=text
            )
        )
        AuditTrail.append(
            connection,
            at=now,
            actor=staff.actor,
            action=f"breach.{kind.value}",
            subject_pseudonym=None,
            detail={"breach": breach_id},
        )

    def _row(self, connection: Connection, breach_id: int) -> Any:
        row = connection.execute(select(breaches).where(breaches.c.id == breach_id)).first()
        if row is None:
            raise BreachNotFound()
        return row

    def add(self, uow: UnitOfWork, staff: StaffMember, breach_id: int, text: str) -> None:
        """Further information, in phases (art. 33(4)); the earlier entries stay as they were."""
        self._officer(staff)
        words = _text("text", text)
        with uow.writing() as connection:
            self._row(connection, breach_id)
            self._log(connection, breach_id, staff, UpdateKind.ADDITION, words, self._clock.now())

    def reported(
        self,
        uow: UnitOfWork,
        staff: StaffMember,
        breach_id: int,
        *,
        at: datetime | None,
        reference: str,
    ) -> None:
        """Record that the authority has the report: when, and the reference it gave."""
        self._officer(staff)
        now = self._clock.now()
        ref = _text("reference", reference)
        if len(ref) > 128 or "\n" in ref:
            raise InvalidField("reference", N_("The authority's reference is one short line."))
        with uow.writing() as connection:
            row = self._row(connection, breach_id)
            moment = at or now
            if moment.tzinfo is None:
                raise InvalidField("reported_at", N_("A time needs its time zone (UTC)."))
            if moment > now:
                raise InvalidField("reported_at", N_("The report cannot lie in the future."))
            if moment < row.discovered_at:
                raise InvalidField(
                    "reported_at", N_("The report cannot come before the discovery.")
                )
            if row.reported_at is not None:
                raise Conflict(N_("This breach is reported already; add an update instead."))
            connection.execute(
                update(breaches)
                .where(breaches.c.id == breach_id)
                .values(reported_at=moment, authority_reference=ref, not_reported_reason=None)
            )
            entry = f"{moment.isoformat()} {ref}"
            self._log(connection, breach_id, staff, UpdateKind.REPORTED, entry, now)

    def not_reported(
        self, uow: UnitOfWork, staff: StaffMember, breach_id: int, reason: str
    ) -> None:
        """Record why the breach is not reported (art. 33(5)); it stays in the register."""
        self._officer(staff)
        words = _text("reason", reason)
        with uow.writing() as connection:
            row = self._row(connection, breach_id)
            if row.reported_at is not None:
                raise Conflict(N_("This breach is reported already."))
            connection.execute(
                update(breaches).where(breaches.c.id == breach_id).values(not_reported_reason=words)
            )
            now = self._clock.now()
            self._log(connection, breach_id, staff, UpdateKind.NOT_REPORTED, words, now)

    def assess(
        self, uow: UnitOfWork, staff: StaffMember, breach_id: int, risk: str, reason: str
    ) -> None:
        """A new assessment of the risk, with its reason; the earlier one stays in the history."""
        self._officer(staff)
        try:
            level = RiskLevel(risk)
        except ValueError as error:
            raise InvalidField("risk", N_("Choose one of the listed values.")) from error
        words = _text("reason", reason)
        with uow.writing() as connection:
            self._row(connection, breach_id)
            connection.execute(
                update(breaches).where(breaches.c.id == breach_id).values(risk=level.value)
            )
            entry = f"{level.value}: {words}"
            self._log(connection, breach_id, staff, UpdateKind.ASSESSED, entry, self._clock.now())

    def exempt(
        self, uow: UnitOfWork, staff: StaffMember, breach_id: int, exemption: str, reason: str
    ) -> None:
        """Record an art. 34(3) exemption: the people are not told, and why."""
        self._officer(staff)
        try:
            ground = Exemption(exemption)
        except ValueError as error:
            raise InvalidField("exemption", N_("Choose one of the listed grounds.")) from error
        words = _text("reason", reason)
        with uow.writing() as connection:
            row = self._row(connection, breach_id)
            if row.notified_count:
                raise Conflict(N_("The people were told already."))
            connection.execute(
                update(breaches)
                .where(breaches.c.id == breach_id)
                .values(exemption=ground.value, exemption_reason=words)
            )
            entry = f"{ground.value}: {words}"
            self._log(connection, breach_id, staff, UpdateKind.EXEMPTED, entry, self._clock.now())

    # -- reading ---------------------------------------------------------------------------

    def _summary(self, row: Any, now: datetime) -> BreachSummary:
        return BreachSummary(
            id=row.id,
            discovered_at=row.discovered_at,
            nature=Nature(row.nature),
            risk=RiskLevel(row.risk),
            report_hours=row.report_hours,
            clock=report_clock(
                due=row.due_at,
                now=now,
                reported_at=row.reported_at,
                not_reported=row.not_reported_reason is not None,
            ),
            people=row.people_count,
            records=row.records_count,
            estimated=row.counts_estimated,
            notified=row.notified_count,
        )

    def register(self, uow: UnitOfWork, staff: StaffMember) -> list[BreachSummary]:
        """Every breach, newest discovery first, each with its clock now."""
        self._officer(staff)
        now = self._clock.now()
        with uow.reading() as connection:
            rows = connection.execute(
                select(breaches).order_by(breaches.c.discovered_at.desc(), breaches.c.id.desc())
            ).all()
        return [self._summary(row, now) for row in rows]

    def exists(self, uow: UnitOfWork, breach_id: int) -> bool:
        with uow.reading() as connection:
            found = connection.execute(
                select(breaches.c.id).where(breaches.c.id == breach_id)
            ).first()
        return found is not None

    def breach(self, uow: UnitOfWork, staff: StaffMember, breach_id: int) -> BreachView:
        """One breach with its whole history."""
        self._officer(staff)
        with uow.reading() as connection:
            row = self._row(connection, breach_id)
            updates = connection.execute(
                select(breach_updates)
                .where(breach_updates.c.breach_id == breach_id)
                .order_by(breach_updates.c.at, breach_updates.c.id)
            ).all()
        return BreachView(
            summary=self._summary(row, self._clock.now()),
            recorded_at=row.recorded_at,
            recorded_by=row.recorded_by,
            occurred_from=row.occurred_from,
            occurred_until=row.occurred_until,
            description=row.description,
            consequences=row.consequences,
            measures=row.measures,
            data_categories=tuple(json.loads(row.data_categories)),
            subject_categories=tuple(json.loads(row.subject_categories)),
            scope=Scope.from_json(row.scope),
            reported_at=row.reported_at,
            authority_reference=row.authority_reference,
            not_reported_reason=row.not_reported_reason,
            exemption=Exemption(row.exemption) if row.exemption else None,
            exemption_reason=row.exemption_reason,
            notified_at=row.notified_at,
            updates=tuple(BreachUpdate(u.at, u.by, UpdateKind(u.kind), u.text) for u in updates),
        )

    def notification(
        self, uow: UnitOfWork, staff: StaffMember, breach_id: int, language: str
    ) -> Art33Report:
        """The art. 33(3) notification, prefilled from the register, for staff to copy."""
        view = self.breach(uow, staff, breach_id)
        return art33_report(view, self._policy, language)

    # -- art. 34: telling the people -------------------------------------------------------

    def notify(
        self,
        uow: UnitOfWork,
        staff: StaffMember,
        breach_id: int,
        words: Mapping[str, NoticeWords],
    ) -> NotifyReport:
        """Queue the art. 34 notice to everyone the breach's scope finds, each person once."""
        self._officer(staff)
        checked = self._words(words)
        now = self._clock.now()
        with uow.writing() as connection:
            row = self._row(connection, breach_id)
            if RiskLevel(row.risk) is not RiskLevel.HIGH:
                raise Conflict(N_("Only a high-risk breach is told to the people (art. 34(1))."))
            if row.exemption is not None:
                raise Conflict(N_("An art. 34(3) exemption is recorded for this breach."))
            scope = Scope.from_json(row.scope)
            if scope.empty:
                raise Conflict(N_("The breach names no tables or activities: nobody to find."))
            told = set(
                connection.execute(
                    select(breach_notices.c.subject_id).where(
                        breach_notices.c.breach_id == breach_id
                    )
                ).scalars()
            )
            queued = unreachable = 0
            people = self._people(connection, scope)
            for subject_id in people:
                if subject_id is None:  # erased: no address is left to write to
                    unreachable += 1
                    continue
                if subject_id in told:
                    continue
                if self._tell(connection, staff, subject_id, Nature(row.nature), checked, now):
                    connection.execute(
                        insert(breach_notices).values(
                            breach_id=breach_id, subject_id=subject_id, queued_at=now
                        )
                    )
                    queued += 1
                else:
                    unreachable += 1
            already = len(told)
            if queued:
                connection.execute(
                    update(breaches)
                    .where(breaches.c.id == breach_id)
                    .values(notified_count=already + queued, notified_at=now)
                )
                # what the people were told, kept in the register (art. 33(5), 34(2))
                said = {lang: asdict(w) for lang, w in checked.items()}
                entry = json.dumps({"queued": queued, "words": said}, ensure_ascii=False)
                self._log(connection, breach_id, staff, UpdateKind.NOTIFIED, entry, now)
        return NotifyReport(queued=queued, already=already, unreachable=unreachable)

    def _words(self, words: Mapping[str, NoticeWords]) -> dict[str, NoticeWords]:
        checked = {}
        for lang in self._policy.policy.languages:
            given = words.get(lang)
            values = {}
            for name in ("happened", "consequences", "measures", "advice"):
                value = getattr(given, name) if given else ""
                values[name] = _text(f"{name}_{lang}", value)
            checked[lang] = NoticeWords(**values)
        return checked

    def _tell(
        self,
        connection: Connection,
        staff: StaffMember,
        subject_id: int,
        nature: Nature,
        words: Mapping[str, NoticeWords],
        now: datetime,
    ) -> bool:
        opened = self._access.open_if_allowed(
            connection, staff, subject_id, BREACH_HANDLING, operation=Operation.READ
        )
        if opened is None or opened.record.get("email_enc") is None:
            return False
        address = opened.decrypt("accounts.email", opened.record["email_enc"])
        if not address:
            return False
        languages = self._policy.policy.languages
        lang = opened.record.get("language") or languages[0]
        if lang not in words:
            lang = languages[0]
        policy = self._policy
        text = breach_notice_text(
            words[lang],
            lang,
            nature=nature,
            provider=policy.controller.name,
            contact=policy.privacy_contact.email,
            authority=policy.supervisory_authority.name,
            complaint_url=policy.supervisory_authority.complaint_url,
        )
        try:
            queue(
                connection,
                opened,
                template=BREACH_TEMPLATE,
                mail=OutgoingMail(to=address, subject=text.subject, body=text.body),
                at=now,
            )
        except IntegrityError:  # pragma: no cover - the subject went meanwhile
            return False
        return True
