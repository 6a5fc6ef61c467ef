"""The changes between two versions of a policy, each classified as material or editorial.

A material change is one people must be told about before it takes effect (GDPR art. 13(3);
WP260 rev.01 ¶29; LEGAL L49); some also need fresh consent, because consent given for the
old text does not cover them (art. 6(4), 7; LEGAL L50). Everything else is editorial: it is
published with a new "last updated" date and announced to nobody (P19).

    PolicyDiff
    ├── added / removed / changed   activity ids
    └── changes                     Change(activity_id, field, kind, old, new, reason,
                                           requires_reconsent); activity_id None for the
                                    controller, contacts, meta and catalogues

When the direction of a change cannot be told (a retention that starts at another event, a
safeguard swapped for one of the same strength), it is classified material: LEGAL prefers
the stricter reading.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import Enum, StrEnum
from typing import TypeAlias

from pydantic import BaseModel

from privaat.policy.period import Period
from privaat.policy.schema import (
    Consent,
    LegalBasis,
    Policy,
    ProcessingActivity,
    Recipient,
    Retention,
    RetentionStart,
    Safeguard,
)

__all__ = ["Change", "ChangeKind", "Plain", "PolicyDiff", "diff_policies"]

# a value as JSON sees it: what a change shows as its old and new value
Plain: TypeAlias = str | int | bool | None | tuple["Plain", ...] | Mapping[str, "Plain"]


class ChangeKind(StrEnum):
    """Whether a change must be announced before it takes effect."""

    # art. 13(3); WP260 rev.01 ¶29: e-mail and site notice ahead of the change (L49)
    MATERIAL = "material"
    # wording, less processing, housekeeping: a new "last updated" date is enough (P19)
    EDITORIAL = "editorial"


@dataclass(frozen=True, slots=True)
class Change:
    """One change to one field, with the reason it is material or editorial."""

    activity_id: str | None  # None: a policy-level change (controller, meta, catalogues)
    field: str  # a dotted path into the policy, e.g. "retention.period"
    kind: ChangeKind
    old: Plain  # None when something was added
    new: Plain  # None when something was removed
    reason: str
    # L50: consent given earlier does not cover this change; ask again
    requires_reconsent: bool = False

    def __post_init__(self) -> None:
        if self.requires_reconsent and self.kind is not ChangeKind.MATERIAL:
            raise ValueError("only a material change can require fresh consent")

    @property
    def is_material(self) -> bool:
        return self.kind is ChangeKind.MATERIAL


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
            changes.append(_activity_added(activity))
            continue
        found = _activity_changes(old.activity(activity.id), activity)
        if found:
            changed.append(activity.id)
            changes.extend(found)
    changes.extend(_activity_removed(old.activity(i)) for i in removed)
    compared = frozenset(
        {"policy", "controller", "privacy_contact", "supervisory_authority", "data_categories",
         "recipients", "activities"}
    )  # fmt: skip
    changes.extend(_unclassified(None, "", old, new, compared))
    return PolicyDiff(added, removed, tuple(changed), tuple(changes))


# --- policy level: meta, controller, contacts, catalogues ---------------------------------


def _policy_level(old: Policy, new: Policy) -> list[Change]:
    identity = "the controller's identity or contact changed (art. 13(1)(a); WP260 ¶29)"
    requests = "requests go somewhere else now (art. 13(1)(b); WP260 ¶29; P22)"
    authority = "complaints go to another authority (art. 13(2)(d))"
    sections: list[tuple[str, BaseModel, BaseModel, str, Mapping[str, str]]] = [
        ("policy", old.policy, new.policy, "housekeeping of the policy file (P19)", {}),
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
    return [*found, *_category_catalogue(old, new), *_recipient_catalogue(old, new)]


def _field_changes(
    prefix: str,
    old: BaseModel,
    new: BaseModel,
    editorial: str,
    material: Mapping[str, str],
    skip: frozenset[str] = frozenset(),
) -> list[Change]:
    """Policy-level changes, one per differing field: material when listed, else editorial."""
    found: list[Change] = []
    for name in type(new).model_fields:
        was, now = getattr(old, name), getattr(new, name)
        if name in skip or was == now:
            continue
        if name in material:
            found.append(_material(None, f"{prefix}.{name}", was, now, material[name]))
        else:
            found.append(_editorial(None, f"{prefix}.{name}", was, now, editorial))
    return found


def _category_catalogue(old: Policy, new: Policy) -> list[Change]:
    # a category's use is listed per activity; the catalogue itself is only vocabulary
    found: list[Change] = []
    old_ids = [c.id for c in old.data_categories]
    new_ids = [c.id for c in new.data_categories]
    for category in new.data_categories:
        field = f"data_categories.{category.id}"
        if category.id not in old_ids:
            found.append(_editorial(None, field, None, category.id, "catalogue entry added"))
            continue
        before = old.category(category.id)
        wording = "catalogue wording or export mapping"
        found += _field_changes(field, before, category, wording, {}, frozenset({"special"}))
        if before.special != category.special:
            if category.special:
                reason = "now a special category of data (art. 9): more sensitive processing"
                found.append(_material(None, f"{field}.special", False, True, reason))
            else:
                reason = "no longer a special category of data"
                found.append(_editorial(None, f"{field}.special", True, False, reason))
    found += [
        _editorial(None, f"data_categories.{i}", i, None, "catalogue entry removed")
        for i in old_ids
        if i not in new_ids
    ]
    return found


def _recipient_catalogue(old: Policy, new: Policy) -> list[Change]:
    found: list[Change] = []
    old_ids = [r.id for r in old.recipients]
    new_ids = [r.id for r in new.recipients]
    for recipient in new.recipients:
        field = f"recipients.{recipient.id}"
        if recipient.id in old_ids:
            found += _recipient_changes(old.recipient(recipient.id), recipient)
            continue
        users = _activities_sharing_with(new, recipient.id)
        if users:
            reason = (
                f"a new {recipient.role.value} receives personal data from "
                f"{', '.join(users)} (art. 13(1)(e); WP260 ¶29)"
            )
            found.append(_material(None, field, None, recipient.id, reason))
        else:
            reason = "catalogue entry added; no activity shares data with it yet"
            found.append(_editorial(None, field, None, recipient.id, reason))
    found += [
        _editorial(None, f"recipients.{i}", i, None, "recipient removed from the catalogue")
        for i in old_ids
        if i not in new_ids
    ]
    return found


def _activities_sharing_with(policy: Policy, recipient_id: str) -> list[str]:
    return [
        a.id
        for a in policy.activities
        if recipient_id in a.recipients or any(t.recipient == recipient_id for t in a.transfers)
    ]


def _recipient_changes(old: Recipient, new: Recipient) -> list[Change]:
    field = f"recipients.{new.id}"
    material = {
        "role": "the recipient now receives data in another role (art. 13(1)(e), 28)",
        "country": "the recipient processes the data in another country (art. 13(1)(f))",
    }
    wording = "the recipient's name, description or paperwork reworded"
    found = _field_changes(field, old, new, wording, material, frozenset({"safeguard"}))
    if old.safeguard is not new.safeguard:
        found.append(_safeguard_change(None, f"{field}.safeguard", old.safeguard, new.safeguard))
    return found


# --- activity level ------------------------------------------------------------------------


def _activity_added(activity: ProcessingActivity) -> Change:
    if activity.requires_consent:
        reason = (
            "a new consent-based processing activity: nobody has consented yet, "
            "old consents never carry over (art. 6(4), 7; L50)"
        )
        return _material(activity.id, "activity", None, activity.id, reason, reconsent=True)
    reason = "a new processing activity: announce it before it starts (art. 13(3); L49)"
    return _material(activity.id, "activity", None, activity.id, reason)


def _activity_removed(activity: ProcessingActivity) -> Change:
    reason = "the activity ends: less processing for the people concerned"
    return _editorial(activity.id, "activity", activity.id, None, reason)


def _activity_changes(old: ProcessingActivity, new: ProcessingActivity) -> list[Change]:
    aid = new.id
    found: list[Change] = []
    for name in ("name", "description", "promises", "notes", "fides_data_use"):
        was, now = getattr(old, name), getattr(new, name)
        if was != now and (name != "promises" or set(was) != set(now)):
            reason = "wording, traceability or export mapping; what is processed stays the same"
            found.append(_editorial(aid, name, was, now, reason))
    if old.legal_basis is not new.legal_basis:
        found.append(_basis_change(aid, old.legal_basis, new.legal_basis))
    if old.legitimate_interest != new.legitimate_interest:
        reason = "the legitimate-interest statement reworded (art. 13(1)(d))"
        found.append(
            _editorial(
                aid, "legitimate_interest", old.legitimate_interest, new.legitimate_interest, reason
            )
        )
    # art. 6(4), 7; L50: consent covers the purposes it was given for, no new one
    consent_based = new.requires_consent
    added = (
        "a new purpose under consent: old consents do not cover it (art. 6(4), 7; L50)"
        if consent_based
        else "a new purpose (art. 13(3); WP260 ¶29)"
    )
    reasons = (added, "a purpose dropped: less processing")
    found += _set_changes(
        aid, "purposes", old.purposes, new.purposes, reasons, reconsent=consent_based
    )
    for name, reasons in _LISTS.items():
        found += _set_changes(aid, name, getattr(old, name), getattr(new, name), reasons)
    found += _retention_changes(aid, old.retention, new.retention)
    found += _transfer_changes(aid, old, new)
    found += _consent_changes(aid, old, new)
    found += _toggle_changes(aid, old, new)
    found += _unclassified(aid, "", old, new, _ACTIVITY_FIELDS)
    return found


# the fields compared above; _unclassified catches any the schema gains later
_ACTIVITY_FIELDS = frozenset(
    """id name description promises notes fides_data_use legal_basis legitimate_interest
    purposes data_categories data_subjects sources recipients retention transfers consent
    objection during_restriction after_account_closure automated_decision cookies""".split()
)


def _unclassified(
    aid: str | None, prefix: str, old: BaseModel, new: BaseModel, compared: frozenset[str]
) -> list[Change]:
    """A material change for each differing field this module does not know: stricter reading."""
    reason = "a field the diff does not classify yet: treated as material"
    return [
        _material(aid, prefix + name, getattr(old, name), getattr(new, name), reason)
        for name in type(new).model_fields
        if name not in compared and getattr(old, name) != getattr(new, name)
    ]


# lists where an added item means more processing: (reason when added, reason when removed)
_LISTS = {
    "data_categories": (
        "a new kind of personal data (art. 13(3), 14(1)(d))",
        "a kind of personal data no longer used: less processing",
    ),
    "data_subjects": (
        "the activity now covers another group of people (art. 13(3))",
        "a group of people no longer covered: less processing",
    ),
    "sources": (
        "data now also comes from another source (art. 14(2)(f))",
        "a source no longer used: less processing",
    ),
    "recipients": (
        "a new recipient or processor receives the data (art. 13(1)(e); WP260 ¶29)",
        "a recipient no longer receives the data",
    ),
}


def _basis_change(aid: str, old: LegalBasis, new: LegalBasis) -> Change:
    # art. 13(1)(c), 17(1)(b): the basis decides which rights apply; WP260 ¶29
    reason = f"legal basis changed from {old.article} to {new.article} (art. 13(1)(c))"
    if new is LegalBasis.CONSENT:
        reason += ": processing needs an opt-in from everyone first (L50)"
        return _material(aid, "legal_basis", old, new, reason, reconsent=True)
    return _material(aid, "legal_basis", old, new, reason)


def _set_changes(
    aid: str,
    field: str,
    old: Iterable[str],
    new: Iterable[str],
    reasons: tuple[str, str],
    *,
    reconsent: bool = False,
) -> list[Change]:
    """A material change per added item, an editorial one per removed item."""
    (added, removed), before, after = reasons, list(old), list(new)
    found = [
        _material(aid, field, None, item, added, reconsent=reconsent)
        for item in after
        if item not in before
    ]
    found += [_editorial(aid, field, item, None, removed) for item in before if item not in after]
    return found


# the later the clock starts, the longer data is kept; other starts cannot be ordered
_START_RANK = {
    RetentionStart.COLLECTION: 0,
    RetentionStart.EVENT: 1,
    RetentionStart.CONSENT_WITHDRAWAL: 1,
    RetentionStart.ACCOUNT_CLOSURE: 1,
}


def _retention_changes(aid: str, old: Retention, new: Retention) -> list[Change]:
    # art. 13(2)(a): the storage period is part of the notice; longer is more processing
    found: list[Change] = []
    if old.starts is not new.starts:
        if _START_RANK[new.starts] < _START_RANK[old.starts]:
            reason = "retention now runs from collection: data is deleted sooner"
            found.append(_editorial(aid, "retention.starts", old.starts, new.starts, reason))
        else:
            reason = "retention starts later, so data may be kept longer (art. 13(2)(a))"
            found.append(_material(aid, "retention.starts", old.starts, new.starts, reason))
    elif old.event != new.event:
        reason = "retention counts from another event; it may end later (art. 13(2)(a))"
        found.append(_material(aid, "retention.event", old.event, new.event, reason))
    found += _length_change(aid, "retention.period", old.period, new.period, "data")
    old_holds = {frozenset(h.categories): h for h in old.legal_holds}
    for hold in new.legal_holds:
        key = frozenset(hold.categories)
        field = f"retention.legal_holds[{','.join(sorted(key))}]"
        if key not in old_holds:
            reason = "a new legal hold keeps data after the activity ends (art. 17(3)(b))"
            found.append(_material(aid, field, None, hold.period, reason))
            continue
        found += _length_change(aid, field, old_holds[key].period, hold.period, "held data")
        if old_holds[key].ground != hold.ground:
            reason = "the ground of a legal hold reworded"
            found.append(
                _editorial(aid, f"{field}.ground", old_holds[key].ground, hold.ground, reason)
            )
    new_keys = {frozenset(h.categories) for h in new.legal_holds}
    for key, hold in old_holds.items():
        if key not in new_keys:
            field = f"retention.legal_holds[{','.join(sorted(key))}]"
            reason = "a legal hold lifted: data is deleted sooner"
            found.append(_editorial(aid, field, hold.period, None, reason))
    found += _minimisation_changes(aid, old, new)
    compared = frozenset({"starts", "event", "period", "legal_holds", "minimise"})
    return found + _unclassified(aid, "retention.", old, new, compared)


def _minimisation_changes(aid: str, old: Retention, new: Retention) -> list[Change]:
    # L23: a reduction before deletion (e.g. truncated IPs); later or none keeps more data
    found: list[Change] = []
    old_steps = {frozenset(m.categories): m for m in old.minimise}
    new_steps = {frozenset(m.categories): m for m in new.minimise}
    for key, step in new_steps.items():
        field = f"retention.minimise[{','.join(sorted(key))}]"
        if key not in old_steps:
            reason = "data is now reduced before deletion: less data kept"
            found.append(_editorial(aid, field, None, step.after, reason))
            continue
        found += _length_change(aid, field, old_steps[key].after, step.after, "full data")
        if old_steps[key].method != step.method:
            reason = "the description of the reduction reworded"
            found.append(
                _editorial(aid, f"{field}.method", old_steps[key].method, step.method, reason)
            )
    for key, step in old_steps.items():
        if key not in new_steps:
            field = f"retention.minimise[{','.join(sorted(key))}]"
            reason = "data is no longer reduced before deletion: more is kept (L23)"
            found.append(_material(aid, field, step.after, None, reason))
    return found


def _length_change(aid: str, field: str, old: Period, new: Period, what: str) -> list[Change]:
    longer = _is_longer(old, new)
    if longer is None:
        return []
    if longer:
        reason = f"{what} kept longer: {old} → {new} (art. 13(2)(a), 5(1)(e))"
        return [_material(aid, field, old, new, reason)]
    return [_editorial(aid, field, old, new, f"{what} kept shorter: {old} → {new}")]


def _is_longer(old: Period, new: Period) -> bool | None:
    """Whether ``new`` is longer than ``old``; None when they are as long (P1Y and P12M)."""
    old_months, new_months = 12 * old.years + old.months, 12 * new.years + new.months
    if (old_months, old.days) == (new_months, new.days):
        return None
    if old.approx_days() == new.approx_days():
        return new_months > old_months  # equal by approximation: the calendar decides
    return new.approx_days() > old.approx_days()


# art. 44-49: inside the EEA no transfer at all; adequacy; contractual safeguards; and the
# art. 49(1)(a) derogation, the weakest, which rests on each person's explicit consent
_SAFEGUARD_RANK = {
    Safeguard.EEA: 3,
    Safeguard.ADEQUACY: 2,
    Safeguard.BCR: 1,
    Safeguard.SCC: 1,
    Safeguard.EXPLICIT_CONSENT: 0,
}


def _safeguard_change(
    aid: str | None, field: str, old: Safeguard | None, new: Safeguard | None
) -> Change:
    old_rank = -1 if old is None else _SAFEGUARD_RANK[old]
    new_rank = -1 if new is None else _SAFEGUARD_RANK[new]
    if new_rank > old_rank:
        return _editorial(aid, field, old, new, "a stronger transfer safeguard")
    reason = "a transfer safeguard that is weaker or no stronger (art. 13(1)(f), 44-49)"
    return _material(aid, field, old, new, reason, reconsent=new is Safeguard.EXPLICIT_CONSENT)


def _transfer_changes(aid: str, old: ProcessingActivity, new: ProcessingActivity) -> list[Change]:
    found: list[Change] = []
    old_map = {(t.recipient, t.country): t for t in old.transfers}
    new_map = {(t.recipient, t.country): t for t in new.transfers}
    old_recipients = {t.recipient for t in old.transfers}
    for key, transfer in new_map.items():
        field = f"transfers[{transfer.recipient}]"
        shown = f"{transfer.recipient} → {transfer.country} ({transfer.safeguard.value})"
        if key in old_map:
            before = old_map[key].safeguard
            if before is not transfer.safeguard:
                found.append(
                    _safeguard_change(aid, f"{field}.safeguard", before, transfer.safeguard)
                )
            continue
        if transfer.recipient in old_recipients:
            reason = f"data now goes to another country, {transfer.country} (art. 13(1)(f))"
        else:
            reason = "a new transfer (art. 13(1)(f), 44-49)"
        # art. 49(1)(a): a transfer on explicit consent needs each person's consent first
        reconsent = transfer.safeguard is Safeguard.EXPLICIT_CONSENT
        found.append(_material(aid, field, None, shown, reason, reconsent=reconsent))
    for key, transfer in old_map.items():
        if key not in new_map:
            shown = f"{transfer.recipient} → {transfer.country} ({transfer.safeguard.value})"
            reason = "a transfer stopped"
            found.append(_editorial(aid, f"transfers[{transfer.recipient}]", shown, None, reason))
    return found


def _consent_changes(aid: str, old: ProcessingActivity, new: ProcessingActivity) -> list[Change]:
    before, after = old.consent, new.consent
    if before is not None and after is not None:
        return _consent_block_changes(aid, before, after)
    if before == after or old.legal_basis is not new.legal_basis:
        return []  # no consent either side, or the change of legal basis already says it
    if after is not None:
        reason = "consent is asked for this activity now: nobody has given it yet (L50)"
        return [_material(aid, "consent", None, after.version, reason, reconsent=True)]
    reason = "consent and its withdrawal channels removed (art. 7(3); WP260 ¶29)"
    return [_material(aid, "consent", before.version if before else None, None, reason)]


def _consent_block_changes(aid: str, old: Consent, new: Consent) -> list[Change]:
    found: list[Change] = []
    if new.version > old.version:
        reason = "consent text version raised: consents given to the old text are stale (L50)"
        found.append(
            _material(aid, "consent.version", old.version, new.version, reason, reconsent=True)
        )
    elif new.version < old.version:
        reason = "consent text version went down: versions only go up (art. 7(1); L48)"
        found.append(_material(aid, "consent.version", old.version, new.version, reason))
    for name in ("request", "withdraw"):
        if getattr(old, name) != getattr(new, name):
            reason = "consent wording changed; the version says whether consent is asked again"
            found.append(
                _editorial(aid, f"consent.{name}", getattr(old, name), getattr(new, name), reason)
            )
    for channel in old.channels:
        if channel not in new.channels:
            reason = "a way to withdraw consent removed: it must stay as easy as giving (art. 7(3))"
            found.append(_material(aid, "consent.channels", channel, None, reason))
    for channel in new.channels:
        if channel not in old.channels:
            reason = "another way to withdraw consent"
            found.append(_editorial(aid, "consent.channels", None, channel, reason))
    if old.expires_after != new.expires_after:
        if new.expires_after is None:
            reason = "consent no longer expires on its own (L29)"
            found.append(_material(aid, "consent.expires_after", old.expires_after, None, reason))
        elif old.expires_after is None:
            reason = "consent now expires on its own: less processing"
            found.append(_editorial(aid, "consent.expires_after", None, new.expires_after, reason))
        else:
            found += _length_change(
                aid, "consent.expires_after", old.expires_after, new.expires_after, "consent"
            )
    compared = frozenset({"version", "request", "withdraw", "channels", "expires_after"})
    return found + _unclassified(aid, "consent.", old, new, compared)


# yes/no fields: (the value that means more processing or fewer rights, reason it is material)
_TOGGLES = {
    "objection.possible": (False, "objection no longer possible (art. 21; WP260 ¶29)"),
    "objection.absolute": (False, "objection no longer stops it outright (art. 21(3); L15)"),
    "during_restriction": (True, "continues while processing is restricted (art. 18(2))"),
    "after_account_closure": (True, "continues after the account is closed (art. 13(2)(a))"),
    "automated_decision": (True, "takes automated decisions (art. 13(2)(f), 22)"),
    "cookies": (True, "sets or reads cookies or similar (Tw 11.7a)"),
}


def _toggle_changes(aid: str, old: ProcessingActivity, new: ProcessingActivity) -> list[Change]:
    found: list[Change] = []
    for field, (worse, reason) in _TOGGLES.items():
        was, now = _dotted(old, field), _dotted(new, field)
        if was == now:
            continue
        if now == worse:
            found.append(_material(aid, field, was, now, reason))
        else:
            found.append(_editorial(aid, field, was, now, "the reverse of: " + reason))
    if old.objection.how != new.objection.how:
        reason = "how to object reworded (art. 21(4))"
        found.append(_editorial(aid, "objection.how", old.objection.how, new.objection.how, reason))
    compared = frozenset({"possible", "absolute", "how"})
    return found + _unclassified(aid, "objection.", old.objection, new.objection, compared)


def _dotted(model: BaseModel, path: str) -> object:
    value: object = model
    for name in path.split("."):
        value = getattr(value, name)
    return value


# --- building changes ----------------------------------------------------------------------


def _material(
    aid: str | None, field: str, old: object, new: object, reason: str, *, reconsent: bool = False
) -> Change:
    return Change(aid, field, ChangeKind.MATERIAL, _plain(old), _plain(new), reason, reconsent)


def _editorial(aid: str | None, field: str, old: object, new: object, reason: str) -> Change:
    return Change(aid, field, ChangeKind.EDITORIAL, _plain(old), _plain(new), reason)


def _plain(value: object) -> Plain:
    """The value as JSON sees it: texts as {nl, en}, periods and dates as ISO 8601 strings."""
    if isinstance(value, Enum):
        return str(value.value)
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Period):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, BaseModel):
        dumped = value.model_dump(mode="json", exclude_none=True)
        return {str(key): _plain(item) for key, item in dumped.items()}
    if isinstance(value, tuple | list):
        return tuple(_plain(item) for item in value)
    return str(value)
