"""How long data is kept, compared between two policy versions (GDPR art. 13(2)(a), 5(1)(e)).

Kept longer, starting later, a new legal hold or a reduction dropped is material: more data,
for longer. Kept shorter, a hold lifted or a reduction added is editorial. Periods that are
as long (P1Y and P12M) are no change at all.
"""

from __future__ import annotations

from collections.abc import Iterable

from privaat.policy.diff._change import Change, editorial, material, unclassified
from privaat.policy.period import Period
from privaat.policy.schema import Retention, RetentionStart

__all__ = ["length_change", "retention_changes"]

# the later the clock starts, the longer data is kept; other starts cannot be ordered
_START_RANK = {
    RetentionStart.COLLECTION: 0,
    RetentionStart.EVENT: 1,
    RetentionStart.CONSENT_WITHDRAWAL: 1,
    RetentionStart.ACCOUNT_CLOSURE: 1,
}


def retention_changes(aid: str, old: Retention, new: Retention) -> list[Change]:
    """The changes to one activity's retention, its legal holds and its minimisation."""
    # art. 13(2)(a): the storage period is part of the notice; longer is more processing
    found: list[Change] = []
    if old.starts is not new.starts:
        if _START_RANK[new.starts] < _START_RANK[old.starts]:
            reason = "retention now runs from collection: data is deleted sooner"
            found.append(editorial(aid, "retention.starts", old.starts, new.starts, reason))
        else:
            reason = "retention starts later, so data may be kept longer (art. 13(2)(a))"
            found.append(material(aid, "retention.starts", old.starts, new.starts, reason))
    elif old.event != new.event:
        reason = "retention counts from another event; it may end later (art. 13(2)(a))"
        found.append(material(aid, "retention.event", old.event, new.event, reason))
    found += length_change(aid, "retention.period", old.period, new.period, "data")
    found += _legal_hold_changes(aid, old, new)
    found += _minimisation_changes(aid, old, new)
    found += _applies_to_change(aid, old, new)
    compared = frozenset({"starts", "event", "period", "legal_holds", "minimise", "applies_to"})
    return found + unclassified(aid, "retention.", old, new, compared)


def length_change(aid: str, field: str, old: Period, new: Period, what: str) -> list[Change]:
    """Material when ``what`` is kept longer, editorial when shorter, nothing when as long."""
    longer = _is_longer(old, new)
    if longer is None:
        return []
    if longer:
        reason = f"{what} kept longer: {old} → {new} (art. 13(2)(a), 5(1)(e))"
        return [material(aid, field, old, new, reason)]
    return [editorial(aid, field, old, new, f"{what} kept shorter: {old} → {new}")]


def _legal_hold_changes(aid: str, old: Retention, new: Retention) -> list[Change]:
    # art. 17(3)(b): a legal hold keeps data after the activity itself would delete it
    found: list[Change] = []
    old_holds = {frozenset(h.categories): h for h in old.legal_holds}
    for hold in new.legal_holds:
        key = frozenset(hold.categories)
        field = _keyed("legal_holds", key)
        if key not in old_holds:
            reason = "a new legal hold keeps data after the activity ends (art. 17(3)(b))"
            found.append(material(aid, field, None, hold.period, reason))
            continue
        found += length_change(aid, field, old_holds[key].period, hold.period, "held data")
        if old_holds[key].ground != hold.ground:
            reason = "the ground of a legal hold reworded"
            found.append(
                editorial(aid, f"{field}.ground", old_holds[key].ground, hold.ground, reason)
            )
    new_keys = {frozenset(h.categories) for h in new.legal_holds}
    for key, hold in old_holds.items():
        if key not in new_keys:
            reason = "a legal hold lifted: data is deleted sooner"
            found.append(editorial(aid, _keyed("legal_holds", key), hold.period, None, reason))
    return found


def _minimisation_changes(aid: str, old: Retention, new: Retention) -> list[Change]:
    # L23: a reduction before deletion (e.g. truncated IPs); later or none keeps more data
    found: list[Change] = []
    old_steps = {frozenset(m.categories): m for m in old.minimise}
    new_steps = {frozenset(m.categories): m for m in new.minimise}
    for key, step in new_steps.items():
        field = _keyed("minimise", key)
        if key not in old_steps:
            reason = "data is now reduced before deletion: less data kept"
            found.append(editorial(aid, field, None, step.after, reason))
            continue
        found += length_change(aid, field, old_steps[key].after, step.after, "full data")
        if old_steps[key].method != step.method:
            reason = "the description of the reduction reworded"
            found.append(
                editorial(aid, f"{field}.method", old_steps[key].method, step.method, reason)
            )
    for key, step in old_steps.items():
        if key not in new_steps:
            reason = "data is no longer reduced before deletion: more is kept (L23)"
            found.append(material(aid, _keyed("minimise", key), step.after, None, reason))
    return found


def _applies_to_change(aid: str, old: Retention, new: Retention) -> list[Change]:
    # an empty list means every category of the activity: narrowing it to a few (a
    # disclosure log, not the data it names) keeps less; anything else may keep more
    if old.applies_to == new.applies_to:
        return []
    field = "retention.applies_to"
    if new.applies_to and (not old.applies_to or set(new.applies_to) < set(old.applies_to)):
        reason = "the period now keeps fewer categories: less data kept"
        return [editorial(aid, field, old.applies_to, new.applies_to, reason)]
    reason = "the period now keeps other or more categories (art. 13(2)(a))"
    return [material(aid, field, old.applies_to, new.applies_to, reason)]


def _keyed(section: str, categories: Iterable[str]) -> str:
    """The field of a legal hold or reduction, named by its categories since it has no id."""
    return f"retention.{section}[{','.join(sorted(categories))}]"


def _is_longer(old: Period, new: Period) -> bool | None:
    """Whether ``new`` is longer than ``old``; None when they are as long (P1Y and P12M)."""
    old_months, new_months = 12 * old.years + old.months, 12 * new.years + new.months
    if (old_months, old.days) == (new_months, new.days):
        return None
    if old.approx_days() == new.approx_days():
        return new_months > old_months  # equal by approximation: the calendar decides
    return new.approx_days() > old.approx_days()
