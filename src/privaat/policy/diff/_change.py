"""One classified change to a policy: material or editorial, with its reason (LEGAL L49, L50).

    Change(activity_id, field, kind, old, new, reason, requires_reconsent, languages)
           │                     │     └─┴── Plain: the values as JSON sees them
           │                     └── ChangeKind.MATERIAL | ChangeKind.EDITORIAL
           └── None for the controller, contacts, meta and catalogues

``material`` and ``editorial`` build a change from policy values; ``unclassified`` turns every
field a comparison does not know into a material change, the stricter reading LEGAL prefers.
A change between two ``Text`` values names every language whose text differs, so a change
made in one language only is never shown as "no change" in another (LEGAL L86).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import Enum, StrEnum
from typing import TypeAlias

from pydantic import BaseModel

from privaat.policy.period import Period
from privaat.policy.schema import Text

__all__ = [
    "Change",
    "ChangeKind",
    "Plain",
    "changed_languages",
    "editorial",
    "material",
    "unclassified",
]

# a value as JSON sees it: what a change shows as its old and new value
Plain: TypeAlias = str | int | bool | None | tuple["Plain", ...] | Mapping[str, "Plain"]


class ChangeKind(StrEnum):
    """Whether a change must be announced before it takes effect."""

    # art. 13(3); WP260 rev.01 ¶29: e-mail and site notice ahead of the change (L49)
    MATERIAL = "material"
    # wording, less processing, housekeeping: a new "last updated" date is enough (L48)
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
    # the languages whose text differs, when old and new are texts ("nl", "en")
    languages: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.requires_reconsent and self.kind is not ChangeKind.MATERIAL:
            raise ValueError("only a material change can require fresh consent")

    @property
    def is_material(self) -> bool:
        return self.kind is ChangeKind.MATERIAL


def material(
    aid: str | None, field: str, old: object, new: object, reason: str, *, reconsent: bool = False
) -> Change:
    """A change to announce before it takes effect (L49); ``reconsent``: ask consent again (L50)."""
    languages = changed_languages(old, new)
    return Change(
        aid, field, ChangeKind.MATERIAL, _plain(old), _plain(new), reason, reconsent, languages
    )


def editorial(aid: str | None, field: str, old: object, new: object, reason: str) -> Change:
    """A change that only needs a new "last updated" date (L48)."""
    languages = changed_languages(old, new)
    return Change(
        aid, field, ChangeKind.EDITORIAL, _plain(old), _plain(new), reason, False, languages
    )


def changed_languages(old: object, new: object) -> tuple[str, ...]:
    """The languages in which two texts differ, in the schema's order; () unless both are texts."""
    if not (isinstance(old, Text) and isinstance(new, Text)):
        return ()
    return tuple(lang for lang in Text.model_fields if getattr(old, lang) != getattr(new, lang))


def unclassified(
    aid: str | None, prefix: str, old: BaseModel, new: BaseModel, compared: frozenset[str]
) -> list[Change]:
    """A material change for each differing field outside ``compared``: the stricter reading."""
    reason = "a field the diff does not classify yet: treated as material"
    return [
        material(aid, prefix + name, getattr(old, name), getattr(new, name), reason)
        for name in type(new).model_fields
        if name not in compared and getattr(old, name) != getattr(new, name)
    ]


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
