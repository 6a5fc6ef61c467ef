"""The retention rules: what the policy and the data registry say must go, and when (P20).

Derived, never hand-listed: each subject table names its retention clock in the registry
(``SubjectTable.clock``: a column, or the subject's account closure), the clock column names
its activity, and the policy gives that activity its ``Retention``:

    DeleteRule     rows whose clock is older than the activity's period go; a legal hold of
                   that activity on a category the table holds (invoices under the tax duty,
                   LEGAL L34) makes the period the longer of the two
    MinimiseRule   a minimisation step of an activity (e.g. the full IP after 30 days, L23)
                   empties that activity's nullable columns of the step's categories; the
                   reduced form (``*_network_enc``, or a NOT NULL column) stays
    ClosureRule    the tables kept "while the account is active": a closed account whose
                   closure is older than the account's period is erased (issue 9), holds kept
                   (L52)
    Exempt         a table no sweep touches, with the reason

A table whose clock activity the policy does not declare, or whose clock is no column of it,
is a ``RetentionRuleError`` at start; a table of a service the provider does not run (its
activity in ``idle``) has no rule, and its rows cannot exist (the guard refuses them).
Pure: no I/O; a cutoff is ``Period.before(now)``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, MetaData

from privaat.policy.period import Period
from privaat.policy.schema import Policy, RetentionStart
from privaat.store.registry import ACCOUNT_CLOSURE, Personal, personal_columns, subject_tables

__all__ = [
    "EXEMPT",
    "ClosureRule",
    "DeleteRule",
    "Exempt",
    "MinimiseRule",
    "RetentionPlan",
    "RetentionRuleError",
    "Withdrawal",
    "cutoff",
    "derive_rules",
]

# tables no per-row sweep may touch, each with its reason (a test walks every table)
EXEMPT: dict[str, str] = {
    "audit_log": (
        "the hash-chained audit trail: pruned only behind a signed checkpoint of the head "
        "hash so the chain stays verifiable (L53), never row by row"
    ),
    "suppressions": (
        "the suppression list is a withdrawal honoured (L11): it stops mail to the address, "
        "of any account, until the person gives consent again, which lifts it"
    ),
    "site_consent_events": (
        "a hosting customer's consent records (issue 14 item 7): the customer is their "
        "controller and the provider keeps them as its processor (art. 28(3)(a)), for as long "
        "as the customer instructs; 'privaat sites remove' keeps them (docs/customer-sites.md)"
    ),
    "subjects": (
        "the subject row is the anchor of every other row: it goes through the erasure of "
        "issue 9 (the closure rule), which keeps it as a tombstone while held rows remain"
    ),
}

# the reduced form a minimisation keeps (the /24 or /48 network of an IP address)
_KEPT_FORM_SUFFIX = "_network_enc"


class RetentionRuleError(ValueError):
    """The policy and the registry do not give a table a retention rule."""


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """A period that starts when consent is withdrawn: a row goes only once the subject's
    latest consent event for the activity is a withdrawal older than the period."""

    activities: tuple[str, ...] = ()  # the consent-based activities whose withdrawal counts
    column: str | None = None  # or the row's own column naming the activity (the consent log)


@dataclass(frozen=True, slots=True)
class DeleteRule:
    table: str
    clock: str  # the column whose time starts the period; NULL: the event has not happened
    activity: str
    period: Period
    # the legal hold that lengthened the period, by its categories ("invoices"); () none
    held_for: tuple[str, ...] = ()
    by_pseudonym: bool = False  # the table names its subject by pseudonym (the logs)
    subject_column: str = "subject_id"
    withdrawal: Withdrawal | None = None


@dataclass(frozen=True, slots=True)
class MinimiseRule:
    table: str
    clock: str
    activity: str
    after: Period
    columns: tuple[str, ...]  # emptied (set NULL) once the clock is older than ``after``
    subject_column: str = "subject_id"


@dataclass(frozen=True, slots=True)
class ClosureRule:
    activity: str  # the account's activity, whose retention starts at account closure
    period: Period
    tables: tuple[str, ...]  # the tables kept while the account is active


@dataclass(frozen=True, slots=True)
class Exempt:
    table: str
    reason: str


@dataclass(frozen=True, slots=True)
class RetentionPlan:
    deletes: tuple[DeleteRule, ...]
    minimisations: tuple[MinimiseRule, ...]
    closure: ClosureRule | None
    exempt: tuple[Exempt, ...]
    idle: tuple[str, ...]  # tables of services the provider does not run

    def activities(self) -> frozenset[str]:
        named = {r.activity for r in self.deletes} | {r.activity for r in self.minimisations}
        return frozenset(named | ({self.closure.activity} if self.closure else set()))


def cutoff(period: Period, now: datetime) -> datetime:
    """What is older than this moment has outlived ``period`` (month ends follow the calendar)."""
    return period.before(now)


def _longer(a: Period, b: Period) -> Period:
    return b if b.approx_days() > a.approx_days() else a


def derive_rules(
    policy: Policy, metadata: MetaData, *, idle: Collection[str] = (), account: str = "account"
) -> RetentionPlan:
    """Every subject table's rule, from the policy's retentions and the registry's clocks.

    ``idle``: activities of services the composition root does not run (their tables get no
    rule); ``account``: the activity of the account, whose closure starts the closure rule.
    """
    activities = {activity.id: activity for activity in policy.activities}
    deletes: list[DeleteRule] = []
    minimisations: list[MinimiseRule] = []
    exempt: list[Exempt] = []
    idle_tables: list[str] = []
    closure_tables: list[str] = []
    for table, spec in subject_tables(metadata):
        if table.name in EXEMPT:
            exempt.append(Exempt(table.name, EXEMPT[table.name]))
            continue
        if spec.clock == ACCOUNT_CLOSURE:
            closure_tables.append(table.name)
            continue
        if spec.clock not in table.c:
            raise RetentionRuleError(
                f"{table.name}: its retention clock {spec.clock!r} is no column of the table"
            )
        role = table.c[spec.clock].info.get("personal")
        if not isinstance(role, Personal):
            raise RetentionRuleError(
                f"{table.name}: its retention clock {spec.clock!r} names no activity"
            )
        activity = activities.get(role.activity)
        if activity is None:
            if role.activity in idle:
                idle_tables.append(table.name)
                continue
            raise RetentionRuleError(
                f"{table.name}: the policy gives activity {role.activity!r} no retention "
                "(declare the activity with its retention, or disable its service)"
            )
        retention = activity.retention
        categories = {r.category for _c, r in personal_columns(table) if r.category}
        period, held_for = retention.period, tuple[str, ...]()
        for hold in retention.legal_holds:
            if categories & set(hold.categories):
                period = _longer(period, hold.period)
                held_for = hold.categories
        deletes.append(
            DeleteRule(
                table=table.name,
                clock=spec.clock,
                activity=activity.id,
                period=period,
                held_for=tuple(held_for),
                by_pseudonym=spec.by_pseudonym,
                subject_column=spec.subject_column,
                withdrawal=_withdrawal(policy, activity.id, table.name, set(table.c.keys())),
            )
        )
        if not spec.by_pseudonym:  # the logs (by pseudonym) hold no column to minimise
            minimisations.extend(_minimisations(policy, table.name, spec.clock, table.columns))
    closure = _closure(policy, closure_tables, account) if closure_tables else None
    return RetentionPlan(
        deletes=tuple(deletes),
        minimisations=tuple(minimisations),
        closure=closure,
        exempt=tuple(exempt),
        idle=tuple(idle_tables),
    )


def _withdrawal(
    policy: Policy, activity_id: str, table: str, columns: set[str]
) -> Withdrawal | None:
    activity = policy.activity(activity_id)
    if activity.retention.starts is not RetentionStart.CONSENT_WITHDRAWAL:
        return None
    if activity.requires_consent:
        return Withdrawal(activities=(activity.id,))
    if activity.requires_consent_of:
        return Withdrawal(activities=tuple(activity.requires_consent_of))
    if "activity" in columns:  # the consent log: each row names the activity consented to
        return Withdrawal(column="activity")
    raise RetentionRuleError(
        f"{table}: activity {activity_id!r} is kept until consent is withdrawn, but neither "
        "it nor the table names the consent-based activity"
    )


def _minimisations(policy: Policy, table: str, clock: str, columns: Any) -> list[MinimiseRule]:
    rules: list[MinimiseRule] = []
    by_activity: dict[str, list[Column[Any]]] = {}
    for column in columns:
        role = column.info.get("personal")
        if isinstance(role, Personal) and column.nullable and column.name != clock:
            if not column.name.endswith(_KEPT_FORM_SUFFIX):
                by_activity.setdefault(role.activity, []).append(column)
    for activity_id, candidates in by_activity.items():
        if activity_id not in policy.activity_ids:
            continue
        for step in policy.activity(activity_id).retention.minimise:
            chosen = tuple(
                c.name for c in candidates if c.info["personal"].category in step.categories
            )
            if chosen:
                rules.append(MinimiseRule(table, clock, activity_id, step.after, chosen))
    return rules


def _closure(policy: Policy, tables: list[str], account: str) -> ClosureRule:
    if account not in policy.activity_ids:
        raise RetentionRuleError(
            f"{', '.join(tables)}: kept while the account is active, but the policy declares "
            f"no activity {account!r} whose retention starts at account closure"
        )
    retention = policy.activity(account).retention
    if retention.starts is not RetentionStart.ACCOUNT_CLOSURE:
        raise RetentionRuleError(
            f"activity {account!r}: its retention must start at account_closure, "
            f"not {retention.starts.value}"
        )
    return ClosureRule(activity=account, period=retention.period, tables=tuple(tables))
