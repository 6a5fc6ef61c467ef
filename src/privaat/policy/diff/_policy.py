"""The changes between two versions of a policy, each classified as material or editorial.

A material change is one people must be told about before it takes effect (GDPR art. 13(3);
WP260 rev.01 ¶29; LEGAL L49); some also need fresh consent, because consent given for the
old text does not cover them (art. 6(4), 7; LEGAL L50). Everything else is editorial: it is
published with a new "last updated" date and announced to nobody (L48).

    PolicyDiff
    ├── added / removed / changed   activity ids
    └── changes                     Change(activity_id, field, kind, old, new, reason,
                                           requires_reconsent, languages); activity_id None
                                    for the controller, contacts, meta and catalogues

    diff_policies ─┬─ here: meta, controller, contacts, promise, data-category and recipient
                   │        catalogues
                   └─ _activity: one activity ─┬─ _retention  (legal holds, minimisation)
                                               ├─ _transfers  (and safeguards)
                                               └─ _consent
    Change, ChangeKind, Plain and the builders every comparison uses: ``_change``

When the direction of a change cannot be told (a retention that starts at another event, a
safeguard swapped for one of the same strength), it is classified material: LEGAL prefers
the stricter reading.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel

from privaat.policy.diff._activity import activity_added, activity_changes, activity_removed
from privaat.policy.diff._change import Change, editorial, material, unclassified
from privaat.policy.diff._transfers import safeguard_change
from privaat.policy.schema import DataCategory, Policy, Promise, Recipient

__all__ = ["PolicyDiff", "diff_policies"]

# a catalogue entry: both kinds have an id that activities refer to
_Entry = TypeVar("_Entry", DataCategory, Recipient, Promise)


@dataclass(frozen=True, slots=True)
class PolicyDiff:
    """Everything that changed from one policy version to the next."""

    added: tuple[str, ...]  # activity ids only in the new policy
    removed: tuple[str, ...]  # activity ids only in the old policy
    changed: tuple[str, ...]  # activity ids in both, with at least one change
    changes: tuple[Change, ...]

    @property
    def is_material(self) -> bool:
        return any(change.is_material for change in self.changes)

    @property
    def requires_reconsent(self) -> bool:
        return any(change.requires_reconsent for change in self.changes)

    @property
    def is_empty(self) -> bool:
        return not self.changes

    @property
    def material(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.is_material)

    @property
    def editorial(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if not c.is_material)

    @property
    def policy_changes(self) -> tuple[Change, ...]:
        """Changes to the controller, contacts, meta and catalogues."""
        return tuple(c for c in self.changes if c.activity_id is None)

    @property
    def reconsent_activities(self) -> tuple[str, ...]:
        """Ids of the activities whose consents must be asked again (L50)."""
        ids = (c.activity_id for c in self.changes if c.requires_reconsent and c.activity_id)
        return tuple(dict.fromkeys(ids))

    def for_activity(self, activity_id: str) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.activity_id == activity_id)


def diff_policies(old: Policy, new: Policy) -> PolicyDiff:
    """Compare two policies; order within lists is ignored, only content counts."""
    old_ids = [a.id for a in old.activities]
    new_ids = [a.id for a in new.activities]
    changes = [*_policy_level(old, new)]
    added = tuple(i for i in new_ids if i not in old_ids)
    removed = tuple(i for i in old_ids if i not in new_ids)
    changed: list[str] = []
    for activity in new.activities:
        if activity.id in added:
            changes.append(activity_added(activity))
            continue
        found = activity_changes(old.activity(activity.id), activity)
        if found:
            changed.append(activity.id)
            changes.extend(found)
    changes.extend(activity_removed(old.activity(i)) for i in removed)
    compared = frozenset(
        {"policy", "promises", "controller", "privacy_contact", "supervisory_authority",
         "data_protection_officer", "processor_role", "situations", "data_categories",
         "recipients", "activities"}
    )  # fmt: skip
    changes.extend(unclassified(None, "", old, new, compared))
    return PolicyDiff(added, removed, tuple(changed), tuple(changes))


# --- policy level: meta, controller, contacts, catalogues ---------------------------------


def _policy_level(old: Policy, new: Policy) -> list[Change]:
    identity = "the controller's identity or contact changed (art. 13(1)(a); WP260 ¶29)"
    requests = "requests go somewhere else now (art. 13(1)(b); WP260 ¶29)"
    authority = "complaints go to another authority (art. 13(2)(d))"
    sections: list[tuple[str, BaseModel, BaseModel, str, Mapping[str, str]]] = [
        ("policy", old.policy, new.policy, "housekeeping of the policy file (L48)", {}),
        (
            "controller",
            old.controller,
            new.controller,
            identity,
            dict.fromkeys(type(new.controller).model_fields, identity),
        ),
        (
            "privacy_contact",
            old.privacy_contact,
            new.privacy_contact,
            "the privacy contact's title reworded",
            {"email": requests, "address": requests},
        ),
        (
            "supervisory_authority",
            old.supervisory_authority,
            new.supervisory_authority,
            "the same authority's address or web page changed",
            {"name": authority},
        ),
    ]
    found = [c for section in sections for c in _field_changes(*section)]
    return [
        *found,
        *_officer_changes(old, new),
        *_layout_changes(old, new),
        *_promise_catalogue(old, new),
        *_category_catalogue(old, new),
        *_recipient_catalogue(old, new),
    ]


def _officer_changes(old: Policy, new: Policy) -> list[Change]:
    # art. 13(1)(b): the DPO's contact details are part of the notice; where people turn
    # changes when one is appointed, dismissed or reachable elsewhere
    was, now = old.data_protection_officer, new.data_protection_officer
    if was == now:
        return []
    field = "data_protection_officer"
    if was is None or now is None:
        reason = "the statement about the data protection officer added or removed (art. 13(1)(b))"
        return [material(None, field, was, now, reason)]
    contact = "the data protection officer's appointment or contact changed (art. 13(1)(b))"
    reasons = {"appointed": contact, "name": contact, "email": contact}
    return _field_changes(field, was, now, "the art. 37 assessment reworded", reasons)


def _layout_changes(old: Policy, new: Policy) -> list[Change]:
    found: list[Change] = []
    if old.situations != new.situations:
        # the statement's sections: how it is ordered, not what is processed
        reason = "the statement's sections reordered or retitled"
        found.append(editorial(None, "situations", old.situations, new.situations, reason))
    if old.processor_role != new.processor_role:
        # the content a customer hosts is processed under the hosting contract, not here
        reason = "the statement about the controller's role as a processor reworded"
        found.append(
            editorial(None, "processor_role", old.processor_role, new.processor_role, reason)
        )
    return found


def _promise_catalogue(old: Policy, new: Policy) -> list[Change]:
    # the catalogue traces the provider's own text to the activities; what is processed,
    # and on what ground, is said by the activities, each compared on its own
    wording = "promise catalogue: traceability only"

    def compare(field: str, was: Promise, now: Promise) -> list[Change]:
        return _field_changes(field, was, now, wording, {})

    def added(field: str, promise: Promise) -> Change:
        return editorial(None, field, None, promise.id, wording)

    return _catalogue("promises", old.promises, new.promises, compare, added, wording)


def _field_changes(
    prefix: str,
    old: BaseModel,
    new: BaseModel,
    wording: str,
    material_reasons: Mapping[str, str],
    skip: frozenset[str] = frozenset(),
) -> list[Change]:
    """Policy-level changes, one per differing field: material when listed, else editorial."""
    found: list[Change] = []
    for name in type(new).model_fields:
        was, now = getattr(old, name), getattr(new, name)
        if name in skip or was == now:
            continue
        if name in material_reasons:
            found.append(material(None, f"{prefix}.{name}", was, now, material_reasons[name]))
        else:
            found.append(editorial(None, f"{prefix}.{name}", was, now, wording))
    return found


def _category_catalogue(old: Policy, new: Policy) -> list[Change]:
    # a category's use is listed per activity; the catalogue itself is only vocabulary
    def added(field: str, category: DataCategory) -> Change:
        return editorial(None, field, None, category.id, "catalogue entry added")

    removed = "catalogue entry removed"
    return _catalogue(
        "data_categories",
        old.data_categories,
        new.data_categories,
        _category_changes,
        added,
        removed,
    )


def _category_changes(field: str, old: DataCategory, new: DataCategory) -> list[Change]:
    wording = "catalogue wording or export mapping"
    found = _field_changes(field, old, new, wording, {}, frozenset({"special"}))
    if old.special != new.special:
        if new.special:
            reason = "now a special category of data (art. 9): more sensitive processing"
            found.append(material(None, f"{field}.special", False, True, reason))
        else:
            reason = "no longer a special category of data"
            found.append(editorial(None, f"{field}.special", True, False, reason))
    return found


def _recipient_catalogue(old: Policy, new: Policy) -> list[Change]:
    def added(field: str, recipient: Recipient) -> Change:
        users = _activities_sharing_with(new, recipient.id)
        if users:
            reason = (
                f"a new {recipient.role.value} receives personal data from "
                f"{', '.join(users)} (art. 13(1)(e); WP260 ¶29)"
            )
            return material(None, field, None, recipient.id, reason)
        reason = "catalogue entry added; no activity shares data with it yet"
        return editorial(None, field, None, recipient.id, reason)

    removed = "recipient removed from the catalogue"
    return _catalogue(
        "recipients", old.recipients, new.recipients, _recipient_changes, added, removed
    )


def _catalogue(
    section: str,
    old: Sequence[_Entry],
    new: Sequence[_Entry],
    compare: Callable[[str, _Entry, _Entry], list[Change]],
    added: Callable[[str, _Entry], Change],
    removed: str,
) -> list[Change]:
    """The entries added or changed, in the new order, then those removed, each by its id."""
    found: list[Change] = []
    old_ids = [entry.id for entry in old]
    new_ids = [entry.id for entry in new]
    for entry in new:
        field = f"{section}.{entry.id}"
        if entry.id in old_ids:
            found += compare(field, old[old_ids.index(entry.id)], entry)
        else:
            found.append(added(field, entry))
    found += [
        editorial(None, f"{section}.{i}", i, None, removed) for i in old_ids if i not in new_ids
    ]
    return found


def _activities_sharing_with(policy: Policy, recipient_id: str) -> list[str]:
    return [
        a.id
        for a in policy.activities
        if recipient_id in a.recipients or any(t.recipient == recipient_id for t in a.transfers)
    ]


def _recipient_changes(field: str, old: Recipient, new: Recipient) -> list[Change]:
    reasons = {
        "role": "the recipient now receives data in another role (art. 13(1)(e), 28)",
        "country": "the recipient processes the data in another country (art. 13(1)(f))",
    }
    wording = "the recipient's name, description or paperwork reworded"
    found = _field_changes(field, old, new, wording, reasons, frozenset({"safeguard"}))
    if old.safeguard is not new.safeguard:
        found.append(safeguard_change(None, f"{field}.safeguard", old.safeguard, new.safeguard))
    return found
