"""Support access under the customer's time-limited grant (issue 12 item 2, P7, L29).

    customer ── grant(1 hour | 24 hours | 7 days) ──▶ consent to support_account_access in the
        │                                              ledger + a support_grants row (its end)
        ├── revoke(grant) ──▶ the consent withdrawn (art. 7(3)) + revoked_at
        └── grants / staff_reads ──▶ every grant with every staff view; every staff read of
                                     their data in the access log (art. 5(2), 15)

    staff ── open_section(grant, section) on every request:
                 the grant exists, is not revoked and has not expired ──no──▶ NoLiveGrant (403)
                 SubjectAccess.open(staff, support_account_access) ──────no──▶ AccessDenied (403)
                 a support_access_views row + the access log, then the section's fields

A grant is live while it is neither revoked nor past its end *and* the ledger's consent
counts (the guard): withdrawing the consent on the preferences page ends it as well. Nothing
holds a staff session open: each request asks again, so a revocation ends access at once.
Sections show only fields whose data category the activity declares (art. 5(1)(c)).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from sqlalchemy import Connection, and_, insert, select, update

from privaat.domain.activities import SECURITY_LOG
from privaat.domain.clock import Clock
from privaat.domain.errors import AccessDenied
from privaat.domain.guard import DenyReason
from privaat.domain.principal import DataSubject, StaffMember, StaffRole
from privaat.i18n import N_
from privaat.policy.schema import Policy
from privaat.services.consents import ConsentMethod, Consents, Evidence
from privaat.services.errors import Conflict, InvalidField, NotPermitted, ServiceError
from privaat.services.notifier import Notifier
from privaat.services.subject_access import Opened, SubjectAccess
from privaat.store.key_store import KeyStore
from privaat.store.tables import access_log
from privaat.store.tables_marketing import customer_services
from privaat.store.tables_support_access import support_access_views, support_grants
from privaat.store.tables_telemetry import app_analytics_events, voip_sync_events
from privaat.store.unit_of_work import UnitOfWork

__all__ = [
    "DESK_ROLES",
    "OVERVIEW",
    "SECTIONS",
    "SUPPORT_ACCESS",
    "AccessSection",
    "GrantDuration",
    "GrantNotFound",
    "GrantState",
    "LiveGrant",
    "NoLiveGrant",
    "SectionEntry",
    "SectionView",
    "StaffRead",
    "StaffView",
    "SupportAccessGrants",
    "SupportGrant",
    "grant_state",
    "parse_actor",
]

SUPPORT_ACCESS = "support_account_access"  # P7: staff log into the account, with consent
SUPPORT_DESK = "support_desk"  # the desk's own activity: whose grant it is (the name)
OVERVIEW = "overview"  # the grant's first page: which sections there are
# the support desk's roles: the console's role table keeps others out, this is the backstop
DESK_ROLES = frozenset({StaffRole.SUPPORT, StaffRole.SUPPORT_LEAD})
_RECENT_LOGS = 20  # diagnostic logs per kind on a section page: the newest only
_STAFF_READS = 500  # access-log entries on "who viewed my data": the newest


class GrantDuration(StrEnum):
    """How long a grant lasts: the customer's choice, never more than the policy's cap."""

    HOUR = "1h"  # one hour: a quick question
    DAY = "24h"  # a day: a problem that needs a second look
    WEEK = "7d"  # seven days: the policy's expires_after (P7D), the longest there is

    @property
    def length(self) -> timedelta:
        return _LENGTHS[self]


_LENGTHS: Mapping[GrantDuration, timedelta] = MappingProxyType(
    {
        GrantDuration.HOUR: timedelta(hours=1),
        GrantDuration.DAY: timedelta(hours=24),
        GrantDuration.WEEK: timedelta(days=7),
    }
)


class GrantState(StrEnum):
    """Where a grant is; only LIVE opens the account."""

    LIVE = "live"  # given, not revoked, before its end
    EXPIRED = "expired"  # its end passed (L29: by itself)
    REVOKED = "revoked"  # the customer withdrew it (art. 7(3))


@dataclass(frozen=True, slots=True)
class AccessSection:
    """A part of the account a support agent can open, and the data category it shows."""

    key: str
    category: str
    title: str  # msgid


# the account's parts, each shown only if the activity declares its category (art. 5(1)(c))
SECTIONS: tuple[AccessSection, ...] = (
    AccessSection("services", "products_and_services", N_("Products and services")),
    AccessSection("logs", "diagnostic_logs", N_("Problem and event logs")),
)


class NoLiveGrant(ServiceError):
    """No live grant with that id: none, expired, revoked, or its consent withdrawn (L29)."""

    def __init__(self) -> None:
        super().__init__("there is no live support-access grant with this id")


class GrantNotFound(ServiceError):
    """The customer has no grant with that id (another person's is not found, not refused)."""

    def __init__(self) -> None:
        super().__init__("no such support-access grant")


@dataclass(frozen=True, slots=True)
class StaffView:
    """One page or record a staff member opened under a grant."""

    at: datetime
    staff_id: int
    staff_role: StaffRole
    section: str


@dataclass(frozen=True, slots=True)
class SupportGrant:
    """One grant as the customer sees it, with every staff view under it."""

    id: int
    granted_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    state: GrantState
    views: tuple[StaffView, ...] = ()


@dataclass(frozen=True, slots=True)
class LiveGrant:
    """A live grant as the console lists it: whose, until when."""

    id: int
    name: str | None  # None when the desk's activity may not read it
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class SectionEntry:
    """One line of a section: when, what kind, the value (None when withheld, art. 18)."""

    at: datetime
    kind: str
    value: str | None


@dataclass(frozen=True, slots=True)
class SectionView:
    """What a staff member sees on one page under a grant."""

    grant_id: int
    expires_at: datetime
    sections: tuple[AccessSection, ...]  # every section the policy allows
    section: AccessSection | None  # the one opened; None on the overview
    entries: tuple[SectionEntry, ...]


@dataclass(frozen=True, slots=True)
class StaffRead:
    """One staff read of the person's data from the access log."""

    at: datetime
    staff_id: int
    staff_role: StaffRole | None  # None for a role this version no longer knows
    activity: str
    operation: str


def grant_state(*, expires_at: datetime, revoked_at: datetime | None, now: datetime) -> GrantState:
    """The grant's state at ``now``: a revocation counts from its moment, the end is exclusive."""
    if revoked_at is not None and revoked_at <= now:
        return GrantState.REVOKED
    if expires_at <= now:
        return GrantState.EXPIRED
    return GrantState.LIVE


def parse_actor(actor: str) -> tuple[int, StaffRole | None] | None:
    """``staff:<id>:<role>`` as the access log records a staff member; None for anyone else."""
    kind, _, rest = actor.partition(":")
    staff_id, _, role = rest.partition(":")
    if kind != "staff" or not staff_id.isdigit():
        return None
    try:
        return int(staff_id), StaffRole(role)
    except ValueError:
        return int(staff_id), None


class SupportAccessGrants:
    """Grants, staff sessions under a live grant, and what staff viewed."""

    activities: frozenset[str] = frozenset({SUPPORT_ACCESS})

    def __init__(
        self,
        *,
        access: SubjectAccess,
        keys: KeyStore,
        policy: Policy,
        clock: Clock,
        notifier: Notifier,
        base_url: str,
        consents: Consents,
    ) -> None:
        self._access, self._keys, self._policy, self._clock = access, keys, policy, clock
        self._notifier, self._base_url = notifier, base_url
        self._consents = consents

    # --- what the policy allows ------------------------------------------------------------

    @property
    def offered(self) -> bool:
        """Whether the policy declares support access at all (another provider may not)."""
        return any(a.id == SUPPORT_ACCESS for a in self._policy.activities)

    def durations(self) -> tuple[GrantDuration, ...]:
        """The grant lengths to offer: those within the policy's ``expires_after`` (L29)."""
        declared = self._policy.activity(SUPPORT_ACCESS).consent
        cap = None if declared is None else declared.expires_after
        now = self._clock.now()
        return tuple(d for d in GrantDuration if cap is None or now + d.length <= cap.after(now))

    def sections(self) -> tuple[AccessSection, ...]:
        """The account's sections whose data category the activity declares."""
        if not self.offered:
            return ()
        declared = set(self._policy.activity(SUPPORT_ACCESS).data_categories)
        return tuple(s for s in SECTIONS if s.category in declared)

    def check_duration(self, duration: str) -> GrantDuration:
        """The offered duration ``duration`` names, or InvalidField("duration")."""
        offered = self.durations()
        try:
            chosen = GrantDuration(duration)
        except ValueError:
            chosen = None
        if chosen is None or chosen not in offered:
            raise InvalidField(
                "duration",
                "choose one of " + ", ".join(d.value for d in offered) + " (at most the policy's)",
            )
        return chosen

    # --- the customer ------------------------------------------------------------------

    def grant(
        self,
        uow: UnitOfWork,
        subject: DataSubject,
        duration: str,
        *,
        lang: str | None,
        evidence: Evidence,
    ) -> SupportGrant:
        """Give consent to support access for ``duration`` (art. 7(1)) and record its end;
        Conflict while a grant is live, AccessDenied when the account cannot be opened now."""
        chosen = self.check_duration(duration)
        declared = self._consents.check_activity(SUPPORT_ACCESS)
        with uow.writing() as connection:
            # two submits at once: the second waits here and then sees the first one's grant
            self._access.lock_subject(connection, subject.subject_id)
            now = self._clock.now()
            before = self._access.decide(connection, subject, subject.subject_id, SUPPORT_ACCESS)
            live = self._live_id(connection, subject.subject_id, now)
            if live is not None and before.allowed:
                raise Conflict("support access is already granted: revoke it first")
            if live is not None:  # its consent was withdrawn on the preferences page: ended
                connection.execute(
                    update(support_grants).where(support_grants.c.id == live).values(revoked_at=now)
                )
            if before.allowed or before.reason is DenyReason.CONSENT_EXPIRED:
                # a consent left from an ended grant (or given on the preferences page): it is
                # withdrawn first, so the ledger shows this grant's own consent and its own end
                self._consents.decline_in(
                    connection,
                    subject,
                    subject.subject_id,
                    declared,
                    lang=self._policy.policy.languages[0],
                    method=ConsentMethod.SUPPORT_ACCESS_PAGE,
                    evidence=evidence,
                )
            record = self._consents.give_in(
                connection,
                subject,
                subject.subject_id,
                declared,
                lang=lang,
                method=ConsentMethod.SUPPORT_ACCESS_PAGE,
                evidence=evidence,
                lasts=chosen.length,  # the consent ends with the grant, not 7 days later
            )
            after = self._access.decide(connection, subject, subject.subject_id, SUPPORT_ACCESS)
            if not after.allowed:  # closed, restricted, a minor: no grant that could not work
                raise AccessDenied(after)
            expires_at = now + chosen.length
            if record.expires_at is not None:
                expires_at = min(expires_at, record.expires_at)
            grant_id: int = connection.execute(
                insert(support_grants)
                .values(
                    subject_id=subject.subject_id,
                    consent_id=record.id,
                    granted_at=now,
                    expires_at=expires_at,
                    revoked_at=None,
                )
                .returning(support_grants.c.id)
            ).scalar_one()
        return SupportGrant(grant_id, now, expires_at, None, GrantState.LIVE)

    def revoke(
        self, uow: UnitOfWork, subject: DataSubject, grant_id: int, *, evidence: Evidence
    ) -> SupportGrant:
        """End the grant now and withdraw its consent (art. 7(3)): the next staff request is
        refused. An ended grant stays as it is; another person's: GrantNotFound."""
        declared = self._consents.check_activity(SUPPORT_ACCESS)
        with uow.writing() as connection:
            self._access.lock_subject(connection, subject.subject_id)
            now = self._clock.now()
            self._access.open(connection, subject, subject.subject_id, SECURITY_LOG)
            row = connection.execute(
                select(support_grants).where(
                    support_grants.c.id == grant_id,
                    support_grants.c.subject_id == subject.subject_id,
                )
            ).first()
            if row is None:
                raise GrantNotFound()
            state = grant_state(expires_at=row.expires_at, revoked_at=row.revoked_at, now=now)
            if state is not GrantState.LIVE:
                return SupportGrant(row.id, row.granted_at, row.expires_at, row.revoked_at, state)
            connection.execute(
                update(support_grants).where(support_grants.c.id == grant_id).values(revoked_at=now)
            )
            self._consents.decline_in(
                connection,
                subject,
                subject.subject_id,
                declared,
                lang=self._policy.policy.languages[0],
                method=ConsentMethod.SUPPORT_ACCESS_PAGE,
                evidence=evidence,
            )
        return SupportGrant(row.id, row.granted_at, row.expires_at, now, GrantState.REVOKED)

    def grants(self, uow: UnitOfWork, subject: DataSubject) -> list[SupportGrant]:
        """Every grant of the person, newest first, each with every staff view under it."""
        with uow.reading() as connection:
            # the record of access rests on security_logging: readable after a withdrawal
            self._access.open(connection, subject, subject.subject_id, SECURITY_LOG)
            allowed = self._access.decide(
                connection, subject, subject.subject_id, SUPPORT_ACCESS
            ).allowed
            rows = connection.execute(
                select(support_grants)
                .where(support_grants.c.subject_id == subject.subject_id)
                .order_by(support_grants.c.granted_at.desc(), support_grants.c.id.desc())
            ).all()
            views = connection.execute(
                select(support_access_views)
                .where(support_access_views.c.subject_id == subject.subject_id)
                .order_by(support_access_views.c.at, support_access_views.c.id)
            ).all()
        now = self._clock.now()
        by_grant: dict[int, list[StaffView]] = {}
        for view in views:
            by_grant.setdefault(view.grant_id, []).append(
                StaffView(view.at, view.staff_id, StaffRole(view.staff_role), view.section)
            )
        out = []
        for row in rows:
            state = grant_state(expires_at=row.expires_at, revoked_at=row.revoked_at, now=now)
            if state is GrantState.LIVE and not allowed:
                state = GrantState.REVOKED  # its consent was withdrawn elsewhere
            out.append(
                SupportGrant(
                    row.id,
                    row.granted_at,
                    row.expires_at,
                    row.revoked_at,
                    state,
                    tuple(by_grant.get(row.id, ())),
                )
            )
        return out

    def staff_reads(self, uow: UnitOfWork, subject: DataSubject) -> list[StaffRead]:
        """Every staff read of the person's data in the access log, newest first (art. 15)."""
        with uow.reading() as connection:
            opened = self._access.open(connection, subject, subject.subject_id, SECURITY_LOG)
            rows = connection.execute(
                select(access_log)
                .where(
                    access_log.c.subject_pseudonym == opened.pseudonym,
                    access_log.c.actor.like("staff:%"),
                )
                .order_by(access_log.c.at.desc(), access_log.c.id.desc())
                .limit(_STAFF_READS)
            ).all()
        out = []
        for row in rows:
            who = parse_actor(row.actor)
            if who is not None:
                out.append(StaffRead(row.at, who[0], who[1], row.activity, row.operation))
        return out

    # --- the staff ---------------------------------------------------------------------

    def live_grants(self, uow: UnitOfWork, staff: StaffMember) -> list[LiveGrant]:
        """Every live grant, soonest end first: whose (the name, under the desk's activity)."""
        _desk_only(staff)
        desk = SUPPORT_DESK in {a.id for a in self._policy.activities}
        now = self._clock.now()
        out = []
        with uow.reading() as connection:
            rows = connection.execute(
                select(
                    support_grants.c.id, support_grants.c.subject_id, support_grants.c.expires_at
                )
                .where(support_grants.c.revoked_at.is_(None), support_grants.c.expires_at > now)
                .order_by(support_grants.c.expires_at, support_grants.c.id)
            ).all()
            for row in rows:
                if not self._access.decide(
                    connection, staff, row.subject_id, SUPPORT_ACCESS
                ).allowed:
                    continue  # its consent was withdrawn or ran out: not live
                name = None
                opened = (
                    self._access.open_if_allowed(connection, staff, row.subject_id, SUPPORT_DESK)
                    if desk
                    else None
                )
                if opened is not None and not opened.withholds("accounts.name"):
                    name = opened.decrypt("accounts.name", opened.record.get("name_enc"))
                out.append(LiveGrant(row.id, name, row.expires_at))
        return out

    def open_section(
        self, uow: UnitOfWork, staff: StaffMember, grant_id: int, section: str | None
    ) -> SectionView:
        """One page of the account under a live grant, recorded as a view and in the access
        log; NoLiveGrant (none, ended, revoked), AccessDenied (the consent does not count),
        InvalidField("section") for a section the policy does not allow."""
        _desk_only(staff)
        if not self.offered:
            raise NoLiveGrant()  # a policy without support access grants none
        sections = self.sections()
        chosen = None
        if section is not None:
            chosen = next((s for s in sections if s.key == section), None)
            if chosen is None:
                raise InvalidField("section", "no such section of the account")
        with uow.writing() as connection:
            now = self._clock.now()
            row = connection.execute(
                select(support_grants).where(support_grants.c.id == grant_id)
            ).first()
            if row is None or (
                grant_state(expires_at=row.expires_at, revoked_at=row.revoked_at, now=now)
                is not GrantState.LIVE
            ):
                raise NoLiveGrant()
            under = StaffMember(staff.staff_id, staff.role, grant_id)
            opened = self._access.open(connection, under, row.subject_id, SUPPORT_ACCESS)
            connection.execute(
                insert(support_access_views).values(
                    grant_id=grant_id,
                    subject_id=row.subject_id,
                    staff_id=staff.staff_id,
                    staff_role=staff.role.value,
                    at=now,
                    section=OVERVIEW if chosen is None else chosen.key,
                )
            )
            entries = () if chosen is None else tuple(self._entries(connection, opened, chosen))
        return SectionView(grant_id, row.expires_at, sections, chosen, entries)

    # --- the steps ---------------------------------------------------------------------

    def _live_id(self, connection: Connection, subject_id: int, now: datetime) -> int | None:
        found: int | None = connection.execute(
            select(support_grants.c.id).where(
                and_(
                    support_grants.c.subject_id == subject_id,
                    support_grants.c.revoked_at.is_(None),
                    support_grants.c.expires_at > now,
                )
            )
        ).scalar()
        return found

    def _entries(
        self, connection: Connection, opened: Opened, section: AccessSection
    ) -> Sequence[SectionEntry]:
        if section.key == "services":
            rows = connection.execute(
                select(customer_services.c.service_enc, customer_services.c.since)
                .where(customer_services.c.subject_id == opened.subject_id)
                .order_by(customer_services.c.since)
            ).all()
            return [
                SectionEntry(r.since, "service", _value(opened, "customer_services.service", r[0]))
                for r in rows
            ]
        entries = []
        for table, kind in ((voip_sync_events, "voip"), (app_analytics_events, "app")):
            rows = connection.execute(
                select(table.c.log_enc, table.c.at)
                .where(table.c.subject_id == opened.subject_id, table.c.log_enc.is_not(None))
                .order_by(table.c.at.desc())
                .limit(_RECENT_LOGS)
            ).all()
            entries += [
                SectionEntry(r.at, kind, _value(opened, f"{table.name}.log", r[0])) for r in rows
            ]
        return sorted(entries, key=lambda e: e.at, reverse=True)


def _desk_only(staff: StaffMember) -> None:
    if staff.role not in DESK_ROLES:
        raise NotPermitted(f"the {staff.role.value} role opens no account under a grant")


def _value(opened: Opened, column: str, blob: bytes | None) -> str | None:
    # art. 18(1): a restricted category stays shut; the page says it is withheld
    return None if opened.withholds(column) else opened.decrypt(column, blob)
