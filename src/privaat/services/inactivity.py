"""Inactive accounts: a notice, then closure after the grace period (P20, LEGAL L52).

The seed keeps data "as long as the account is considered active"; the policy's
``account_activity`` says what that is (``policy.schema.AccountActivity``). This module is
the one definition of the signs of activity the data holds:

    a log-in          sessions.last_seen_at (the privacy centre), login_events.at,
                      service_logins.at with outcome "success" (servers, webmail, the PBX)
    an order          shop_orders.placed_at
    the account       accounts.created_at (a new account is not inactive)
    an answer         inactivity_notices.kept_at: the holder asked to keep it (``keep``)
    a live service    any customer_services row: an account with one is never inactive

``AccountInactivity.run`` (``privaat jobs close-inactive``, daily) does three things, each
subject in a transaction of its own, so a crash loses nothing and a rerun finishes the job:

1. cancel: a notice whose account shows activity after it (a log-in, an order, a service,
   the holder's answer recorded by ``keep``) or is no longer active is withdrawn;
2. close: an account noticed more than ``notice`` ago and still inactive is closed like a
   closure by its holder (status closed, sessions ended, the "account closed" notice, an
   ``account.closed`` audit entry), after which each activity's retention runs (L52);
3. notice: an active account without activity for ``inactive_after`` and not yet noticed
   gets the ``account_inactive`` notice through the outbox (its language, under
   ``important_notices`` through the guard) and a row in ``inactivity_notices``, so it is
   sent once.

A person the guard does not let the job write to (e.g. under a restriction of processing)
is skipped, not closed. The audit trail gets an entry per notice and per closure, naming the
person by pseudonym only, and a summary of counts; nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from babel.dates import format_date
from sqlalchemy import Connection, Select, delete, exists, func, insert, select, union_all, update

from privaat.domain.activities import ACCOUNT
from privaat.domain.clock import Clock
from privaat.domain.principal import Principal, SystemJob
from privaat.domain.subject import AccountStatus
from privaat.mail.notices import Notice
from privaat.policy.schema import AccountActivity, Policy
from privaat.services.accounts import mark_closed
from privaat.services.errors import Conflict
from privaat.services.notifier import Notifier
from privaat.services.subject_access import Operation, SubjectAccess
from privaat.store.audit import AuditTrail
from privaat.store.tables import accounts, login_events, sessions
from privaat.store.tables_lifecycle import inactivity_notices
from privaat.store.tables_marketing import customer_services
from privaat.store.tables_shop import shop_orders
from privaat.store.tables_telemetry import service_logins
from privaat.store.unit_of_work import UnitOfWork

__all__ = ["INACTIVITY_JOB", "AccountInactivity", "InactivityReport", "last_activity"]

INACTIVITY_JOB = SystemJob("inactivity")
BATCH = 500  # subjects read per query; each is then handled in a transaction of its own


def last_activity(subject_id: int | None = None) -> Select[Any]:
    """Per account (subject_id), the newest sign of activity: the one definition (P20);
    ``subject_id`` narrows every source to one account."""
    branches = [
        (accounts.c.subject_id, accounts.c.created_at, None),
        (sessions.c.subject_id, sessions.c.last_seen_at, None),
        (login_events.c.subject_id, login_events.c.at, None),
        (service_logins.c.subject_id, service_logins.c.at, service_logins.c.outcome == "success"),
        (shop_orders.c.subject_id, shop_orders.c.placed_at, None),
        (
            inactivity_notices.c.subject_id,
            inactivity_notices.c.kept_at,
            inactivity_notices.c.kept_at.is_not(None),
        ),
    ]
    selects = []
    for subject, at, condition in branches:
        branch = select(subject.label("subject_id"), at.label("at"))
        if condition is not None:
            branch = branch.where(condition)
        if subject_id is not None:
            branch = branch.where(subject == subject_id)
        selects.append(branch)
    sources = union_all(*selects).subquery("activity")
    return select(sources.c.subject_id, func.max(sources.c.at).label("last_at")).group_by(
        sources.c.subject_id
    )


def _live_service(subject_id: Any) -> Any:
    return exists().where(customer_services.c.subject_id == subject_id)


@dataclass(frozen=True, slots=True)
class InactivityReport:
    noticed: int  # notices queued this run
    closed: int  # accounts closed this run
    cancelled: int  # notices withdrawn because the account was used again


class AccountInactivity:
    """The ``close-inactive`` job over the policy's ``account_activity``."""

    activities = frozenset({ACCOUNT})

    def __init__(
        self, *, access: SubjectAccess, notifier: Notifier, policy: Policy, clock: Clock
    ) -> None:
        self._access, self._notifier, self._clock = access, notifier, clock
        self._rule: AccountActivity | None = policy.account_activity

    @property
    def rule(self) -> AccountActivity | None:
        """The policy's definition; None: this provider closes no account for inactivity."""
        return self._rule

    def run(self, uow: UnitOfWork) -> InactivityReport:
        """Cancel, close, notice (see the module docstring); idempotent."""
        rule = self._rule
        if rule is None:
            return InactivityReport(0, 0, 0)
        now = self._clock.now()
        cancelled = self._cancel(uow)
        closed = self._close_due(uow, rule.notice.before(now))
        noticed = self._notice_due(uow, rule, rule.inactive_after.before(now))
        if noticed or closed or cancelled:
            with uow.writing() as connection:
                AuditTrail.append(
                    connection,
                    at=now,
                    actor=INACTIVITY_JOB.actor,
                    action="inactivity.run",
                    subject_pseudonym=None,
                    detail={
                        "activity": ACCOUNT,
                        "noticed": noticed,
                        "closed": closed,
                        "cancelled": cancelled,
                    },
                )
        return InactivityReport(noticed=noticed, closed=closed, cancelled=cancelled)

    # --- 1. cancel ---------------------------------------------------------------------------

    def _cancel(self, uow: UnitOfWork) -> int:
        activity = last_activity().subquery("last")
        used_again = (
            select(inactivity_notices.c.subject_id)
            .select_from(
                inactivity_notices.join(
                    accounts, accounts.c.subject_id == inactivity_notices.c.subject_id
                ).join(activity, activity.c.subject_id == inactivity_notices.c.subject_id)
            )
            .where(
                inactivity_notices.c.noticed_at.is_not(None),
                (activity.c.last_at > inactivity_notices.c.noticed_at)
                | (accounts.c.status != AccountStatus.ACTIVE.value)
                | _live_service(inactivity_notices.c.subject_id),
            )
        )
        with uow.writing() as connection:
            ids = list(connection.execute(used_again).scalars())
            if ids:
                connection.execute(
                    update(inactivity_notices)
                    .where(inactivity_notices.c.subject_id.in_(ids))
                    .values(noticed_at=None, last_active_at=None)
                )
        return len(ids)

    # --- 2. close ----------------------------------------------------------------------------

    def _close_due(self, uow: UnitOfWork, noticed_before: datetime) -> int:
        done, after = 0, 0
        while True:
            with uow.reading() as connection:
                ids = self._due_for_closure(connection, noticed_before, after)
            if not ids:
                return done
            for subject_id in ids:
                with uow.writing() as connection:
                    done += self._close(connection, subject_id, noticed_before)
            after = ids[-1]

    @staticmethod
    def _due_for_closure(connection: Connection, noticed_before: datetime, after: int) -> list[int]:
        return list(
            connection.execute(
                select(inactivity_notices.c.subject_id)
                .where(
                    inactivity_notices.c.noticed_at <= noticed_before,
                    inactivity_notices.c.subject_id > after,
                )
                .order_by(inactivity_notices.c.subject_id)
                .limit(BATCH)
            ).scalars()
        )

    def _close(self, connection: Connection, subject_id: int, noticed_before: datetime) -> int:
        # a closure changes what the guard allows: lock first (PostgreSQL FOR UPDATE), then
        # look again under the lock: a log-in may have come in since the batch was read
        self._access.lock_subject(connection, subject_id)
        row = connection.execute(
            select(inactivity_notices.c.noticed_at, accounts.c.status)
            .join(accounts, accounts.c.subject_id == inactivity_notices.c.subject_id)
            .where(inactivity_notices.c.subject_id == subject_id)
        ).first()
        last = connection.execute(
            select(last_activity(subject_id).subquery().c.last_at)
        ).scalar_one_or_none()
        if (
            row is None
            or row.noticed_at is None
            or row.status != AccountStatus.ACTIVE.value
            or row.noticed_at > noticed_before
            or (last is not None and last > row.noticed_at)
            or connection.execute(select(_live_service(subject_id))).scalar_one()
        ):
            return 0  # cancelled or closed meanwhile: the next run's cancel step tidies up
        opened = self._access.open_if_allowed(
            connection, INACTIVITY_JOB, subject_id, ACCOUNT, operation=Operation.WRITE
        )
        if opened is None:
            return 0  # the guard refuses (e.g. a restriction): not closed, tried again later
        now = self._clock.now()
        mark_closed(
            connection,
            self._notifier,
            INACTIVITY_JOB,
            opened.pseudonym,
            subject_id,
            now,
            reason="inactivity",
        )
        connection.execute(
            delete(inactivity_notices).where(inactivity_notices.c.subject_id == subject_id)
        )
        return 1

    # --- the holder's answer ------------------------------------------------------------------

    def keep(self, uow: UnitOfWork, principal: Principal, subject_id: int) -> bool:
        """Record that the holder answered (e.g. replied to the notice) to keep the account:
        a sign of activity, so a pending notice is withdrawn and the next one comes only after
        another ``inactive_after``. True when a notice was pending."""
        now = self._clock.now()
        with uow.writing() as connection:
            self._access.lock_subject(connection, subject_id)
            status = connection.execute(
                select(accounts.c.status).where(accounts.c.subject_id == subject_id)
            ).scalar_one_or_none()
            if status != AccountStatus.ACTIVE.value:
                raise Conflict("the account is not active: there is nothing to keep")
            opened = self._access.open(
                connection, principal, subject_id, ACCOUNT, operation=Operation.WRITE
            )
            row = connection.execute(
                select(inactivity_notices.c.noticed_at).where(
                    inactivity_notices.c.subject_id == subject_id
                )
            ).first()
            if row is None:
                connection.execute(
                    insert(inactivity_notices).values(subject_id=subject_id, kept_at=now)
                )
            else:
                connection.execute(
                    update(inactivity_notices)
                    .where(inactivity_notices.c.subject_id == subject_id)
                    .values(kept_at=now, noticed_at=None, last_active_at=None)
                )
            pending = row is not None and row.noticed_at is not None
            AuditTrail.append(
                connection,
                at=now,
                actor=principal.actor,
                action="account.kept_active",
                subject_pseudonym=opened.pseudonym,
                detail={"activity": ACCOUNT, "notice_withdrawn": pending},
            )
        return pending

    # --- 3. notice ---------------------------------------------------------------------------

    def _notice_due(self, uow: UnitOfWork, rule: AccountActivity, inactive_since: datetime) -> int:
        done, after = 0, 0
        while True:
            with uow.reading() as connection:
                due = self._inactive(connection, inactive_since, after)
            if not due:
                return done
            for subject_id, last_at in due:
                with uow.writing() as connection:
                    done += self._notice(connection, rule, subject_id, last_at, inactive_since)
            after = due[-1][0]

    @staticmethod
    def _inactive(
        connection: Connection, inactive_since: datetime, after: int
    ) -> Sequence[tuple[int, datetime]]:
        activity = last_activity().subquery("last")
        query = (
            select(accounts.c.subject_id, activity.c.last_at)
            .join(activity, activity.c.subject_id == accounts.c.subject_id)
            .where(
                accounts.c.status == AccountStatus.ACTIVE.value,
                accounts.c.subject_id > after,
                activity.c.last_at <= inactive_since,
                ~_live_service(accounts.c.subject_id),
                ~exists().where(
                    inactivity_notices.c.subject_id == accounts.c.subject_id,
                    inactivity_notices.c.noticed_at.is_not(None),
                ),
            )
            .order_by(accounts.c.subject_id)
            .limit(BATCH)
        )
        return [(row.subject_id, row.last_at) for row in connection.execute(query)]

    def _notice(
        self,
        connection: Connection,
        rule: AccountActivity,
        subject_id: int,
        last_at: datetime,
        inactive_since: datetime,
    ) -> int:
        self._access.lock_subject(connection, subject_id)
        row = connection.execute(
            select(inactivity_notices.c.noticed_at).where(
                inactivity_notices.c.subject_id == subject_id
            )
        ).first()
        if row is not None and row.noticed_at is not None:
            return 0  # another worker noticed it first
        opened = self._access.open_if_allowed(
            connection, INACTIVITY_JOB, subject_id, ACCOUNT, operation=Operation.READ
        )
        if opened is None:
            return 0
        now = self._clock.now()
        closure = rule.notice.after(now)
        language = opened.record["language"] or "nl"
        sent = self._notifier.notify(
            connection,
            INACTIVITY_JOB,
            subject_id,
            Notice.ACCOUNT_INACTIVE,
            until=_day(closure, language),
        )
        if not sent:
            return 0  # the guard refused the notice: no closure can follow one never sent
        if row is None:
            connection.execute(
                insert(inactivity_notices).values(
                    subject_id=subject_id, noticed_at=now, last_active_at=last_at
                )
            )
        else:  # kept once before: the same row, a new notice
            connection.execute(
                update(inactivity_notices)
                .where(inactivity_notices.c.subject_id == subject_id)
                .values(noticed_at=now, last_active_at=last_at)
            )
        AuditTrail.append(
            connection,
            at=now,
            actor=INACTIVITY_JOB.actor,
            action="account.inactivity_noticed",
            subject_pseudonym=opened.pseudonym,
            detail={"activity": ACCOUNT, "closes_on": closure.date().isoformat()},
        )
        return 1


def _day(moment: datetime, language: str) -> str:
    # "26 december 2026" / "December 26, 2026": the notice's language, Dutch by default
    return format_date(moment.date(), format="long", locale="en" if language == "en" else "nl")
