"""One processing activity compared between two policy versions, field by field.

    activity_changes(old, new)
    ├── wording, promises, export mapping          editorial
    ├── legal basis, purposes, data, people, sources, recipients
    ├── retention_changes      (_retention)
    ├── transfer_changes       (_transfers)
    ├── consent_changes        (_consent)
    ├── cookie_changes         (_cookies)
    ├── profiling              named where there was none: material (art. 13(2)(f))
    ├── register and statement texts (situation, notice, surprise, requirement, security,
    │   LIA, DPIA screening, register description)   editorial
    ├── requires_consent_of    a consent it depends on added (less) or dropped (more)
    ├── yes/no fields: objection, restriction, automated decisions
    └── unclassified           any field the schema gains later: material

An added activity is always material (art. 13(3); L49), and needs consent first when it rests
on consent (L50); a removed one is editorial: less processing.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel

from privaat.policy.diff._change import Change, editorial, material, unclassified
from privaat.policy.diff._consent import consent_changes
from privaat.policy.diff._cookies import cookie_changes
from privaat.policy.diff._retention import retention_changes
from privaat.policy.diff._transfers import transfer_changes
from privaat.policy.schema import LegalBasis, Objection, ProcessingActivity

__all__ = ["activity_added", "activity_changes", "activity_removed"]


def activity_added(activity: ProcessingActivity) -> Change:
    """The change of an activity only the new policy has."""
    if activity.requires_consent:
        reason = (
            "a new consent-based processing activity: nobody has consented yet, "
            "old consents never carry over (art. 6(4), 7; L50)"
        )
        return material(activity.id, "activity", None, activity.id, reason, reconsent=True)
    reason = "a new processing activity: announce it before it starts (art. 13(3); L49)"
    return material(activity.id, "activity", None, activity.id, reason)


def activity_removed(activity: ProcessingActivity) -> Change:
    """The change of an activity only the old policy has."""
    reason = "the activity ends: less processing for the people concerned"
    return editorial(activity.id, "activity", activity.id, None, reason)


def activity_changes(old: ProcessingActivity, new: ProcessingActivity) -> list[Change]:
    """Every change between two versions of one activity; empty when they say the same."""
    aid = new.id
    found: list[Change] = []
    for name in ("name", "description", "promises", "notes", "fides_data_use"):
        was, now = getattr(old, name), getattr(new, name)
        if was != now and (name != "promises" or set(was) != set(now)):
            reason = "wording, traceability or export mapping; what is processed stays the same"
            found.append(editorial(aid, name, was, now, reason))
    if old.legal_basis is not new.legal_basis:
        found.append(_basis_change(aid, old.legal_basis, new.legal_basis))
    if old.legitimate_interest != new.legitimate_interest:
        reason = "the legitimate-interest statement reworded (art. 13(1)(d))"
        found.append(
            editorial(
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
    found += retention_changes(aid, old.retention, new.retention)
    found += transfer_changes(aid, old, new)
    found += consent_changes(aid, old, new)
    found += cookie_changes(aid, old, new)
    found += _profiling_change(aid, old, new)
    found += _register_changes(aid, old, new)
    found += _dependency_changes(aid, old, new)
    found += _toggle_changes(aid, old, new)
    found += unclassified(aid, "", old, new, _ACTIVITY_FIELDS)
    return found


# the fields compared above; unclassified catches any the schema gains later
_ACTIVITY_FIELDS = frozenset(
    """id name description promises notes fides_data_use legal_basis legitimate_interest
    purposes data_categories data_subjects sources recipients retention transfers consent
    requires_consent_of objection during_restriction after_account_closure automated_decision
    continues_for_minors cookies profiling situation register_description notice surprise
    requirement lia security dpia""".split()
)

# texts for the register and the statement's layout: how the activity is described, not
# what it does (art. 30, 32, 35 and the statement's sections); their changes are editorial
_REGISTER_FIELDS = (
    "situation",
    "register_description",
    "notice",
    "surprise",
    "requirement",
    "lia",
    "security",
    "dpia",
)


def _profiling_change(aid: str, old: ProcessingActivity, new: ProcessingActivity) -> list[Change]:
    # art. 13(2)(f), 4(4): profiling is named in the notice; new or different profiling is
    # processing people were not told about
    if old.profiling == new.profiling:
        return []
    if new.profiling is None:
        reason = "the activity no longer profiles: less processing"
        return [editorial(aid, "profiling", old.profiling, None, reason)]
    reason = "profiling added or changed (art. 4(4), 13(2)(f), 21)"
    return [material(aid, "profiling", old.profiling, new.profiling, reason)]


def _register_changes(aid: str, old: ProcessingActivity, new: ProcessingActivity) -> list[Change]:
    reason = "the register's or the statement's wording; what is processed stays the same"
    return [
        editorial(aid, name, getattr(old, name), getattr(new, name), reason)
        for name in _REGISTER_FIELDS
        if getattr(old, name) != getattr(new, name)
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
        return material(aid, "legal_basis", old, new, reason, reconsent=True)
    return material(aid, "legal_basis", old, new, reason)


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
        material(aid, field, None, item, added, reconsent=reconsent)
        for item in after
        if item not in before
    ]
    found += [editorial(aid, field, item, None, removed) for item in before if item not in after]
    return found


def _dependency_changes(aid: str, old: ProcessingActivity, new: ProcessingActivity) -> list[Change]:
    # an activity that runs only with another activity's consent reaches fewer people; one
    # that stops depending on it reaches people who never opted in (L13)
    found = [
        editorial(aid, "requires_consent_of", None, other, "runs only with this consent now")
        for other in new.requires_consent_of
        if other not in old.requires_consent_of
    ]
    reason = "no longer limited to people who gave this consent: reaches more people (L13)"
    found += [
        material(aid, "requires_consent_of", other, None, reason)
        for other in old.requires_consent_of
        if other not in new.requires_consent_of
    ]
    return found


# yes/no fields: (the value that means more processing or fewer rights, reason it is material)
_TOGGLES = {
    "objection.possible": (False, "objection no longer possible (art. 21; WP260 ¶29)"),
    "objection.absolute": (False, "objection no longer stops it outright (art. 21(3); L15)"),
    "objection.overridable": (
        True,
        "compelling grounds may now override an objection (art. 21(1))",
    ),
    "during_restriction": (True, "continues while processing is restricted (art. 18(2))"),
    "after_account_closure": (True, "continues after the account is closed (art. 13(2)(a))"),
    "automated_decision": (True, "takes automated decisions (art. 13(2)(f), 22)"),
    "continues_for_minors": (True, "continues for a person found to be under 16 (art. 8)"),
}


def _toggle_changes(aid: str, old: ProcessingActivity, new: ProcessingActivity) -> list[Change]:
    found: list[Change] = []
    for field, (worse, reason) in _TOGGLES.items():
        was, now = _dotted(old, field), _dotted(new, field)
        if was == now:
            continue
        if now == worse:
            found.append(material(aid, field, was, now, reason))
        else:
            found.append(editorial(aid, field, was, now, "the reverse of: " + reason))
    found += _channel_changes(aid, "objection.channels", old.objection, new.objection)
    if old.objection.note != new.objection.note:
        reason = "what the reader learns about objecting reworded (art. 21(4))"
        found.append(
            editorial(aid, "objection.note", old.objection.note, new.objection.note, reason)
        )
    compared = frozenset({"possible", "absolute", "overridable", "channels", "note"})
    return found + unclassified(aid, "objection.", old.objection, new.objection, compared)


def _channel_changes(aid: str, field: str, old: Objection, new: Objection) -> list[Change]:
    found: list[Change] = []
    for channel in old.channels:
        if channel not in new.channels:
            reason = "a way to object removed: art. 21(4) wants the right easy to use"
            found.append(material(aid, field, channel, None, reason))
    for channel in new.channels:
        if channel not in old.channels:
            found.append(editorial(aid, field, None, channel, "another way to object"))
    return found


def _dotted(model: BaseModel, path: str) -> object:
    value: object = model
    for name in path.split("."):
        value = getattr(value, name)
    return value
