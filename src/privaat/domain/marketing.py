"""Marketing preferences and audience filters (P4), pure: what a person chose, what a
selection asks for, and what it found.

    MarketingPreferences  topics, language, channels, as the person states them
    AudienceFilter        topic / language / country / city / service / channel values;
                          values of one key are alternatives (OR), keys narrow (AND)
    Audience              the selected subject ids, their count and a short preview

Who may be in an audience at all is the guard's answer (``privaat.domain.guard``), never
this module's: the filters only target among those it admits (L13, L15).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = [
    "FILTER_KEYS",
    "Audience",
    "AudienceFilter",
    "AudienceMember",
    "InvalidFilter",
    "MarketingPreferences",
    "initials",
    "parse_filters",
]

# the keys of ``--filter key=value`` and of the console's form, in the order shown
FILTER_KEYS = ("topic", "language", "country", "city", "service", "channel")
MAX_FILTER_VALUES = 50  # per key: a filter is a choice, not a list of everyone
MAX_VALUE_LENGTH = 100


class InvalidFilter(ValueError):
    """A filter the selection cannot run; ``key`` names the faulty part."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key, self.message = key, message


@dataclass(frozen=True, slots=True)
class MarketingPreferences:
    """What a person wants marketing about, in which language, by which channels (P4)."""

    topics: tuple[str, ...]
    language: str
    channels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AudienceFilter:
    """What a selection targets; an empty set means the key does not narrow."""

    topics: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()  # ISO 3166-1 alpha-2, upper case
    cities: frozenset[str] = frozenset()
    services: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()

    def described(self) -> dict[str, list[str]]:
        """The filter as plain data, sorted, for JSON and for the audit trail."""
        return {
            key: sorted(values)
            for key, values in zip(FILTER_KEYS, self._sets(), strict=True)
            if values
        }

    def _sets(self) -> tuple[frozenset[str], ...]:
        return (
            self.topics,
            self.languages,
            self.countries,
            self.cities,
            self.services,
            self.channels,
        )


def _normalised(key: str, value: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidFilter(key, "an empty value")
    if len(value) > MAX_VALUE_LENGTH:
        raise InvalidFilter(key, f"a value longer than {MAX_VALUE_LENGTH} characters")
    if key == "country":
        if len(value) != 2 or not value.isascii() or not value.isalpha():
            raise InvalidFilter(key, f"'{value}' is not a two-letter country code")
        return value.upper()
    if key in ("topic", "service", "channel", "language"):
        return value.lower()
    return value  # a city: as the location data spells it


def parse_filters(pairs: Iterable[tuple[str, str]]) -> AudienceFilter:
    """An AudienceFilter from (key, value) pairs; a value may list alternatives "a,b"."""
    collected: dict[str, set[str]] = {key: set() for key in FILTER_KEYS}
    for key, raw in pairs:
        key = key.strip().lower()
        if key not in collected:
            raise InvalidFilter(
                key or "filter", f"unknown filter '{key}'; known: {', '.join(FILTER_KEYS)}"
            )
        for part in raw.split(","):
            collected[key].add(_normalised(key, part))
        if len(collected[key]) > MAX_FILTER_VALUES:
            raise InvalidFilter(key, f"more than {MAX_FILTER_VALUES} values")
    return AudienceFilter(*(frozenset(collected[key]) for key in FILTER_KEYS))


@dataclass(frozen=True, slots=True)
class AudienceMember:
    """One person of a preview: initials only, never the whole name or address."""

    subject_id: int
    initials: str
    language: str | None


@dataclass(frozen=True, slots=True)
class Audience:
    """The outcome of one selection: who the guard admitted that the filter targets."""

    subject_ids: tuple[int, ...]
    filter: AudienceFilter
    preview: tuple[AudienceMember, ...] = field(default=())

    @property
    def count(self) -> int:
        return len(self.subject_ids)


def initials(name: str) -> str:
    """ "J.d.V." style initials of a name, enough to recognise a test account, no more."""
    parts = [part for part in name.replace("-", " ").split() if part]
    if not parts:
        return "?"
    return "".join(f"{part[0].upper()}." for part in parts[:3])
