"""The languages the policy is published in, and choosing one from an HTTP Accept-Language."""

from __future__ import annotations

from collections.abc import Sequence

from babel import Locale

from privaat.i18n import DEFAULT_LANGUAGE
from privaat.policy.wording import LANGUAGES, for_language

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "formatting_locale", "negotiate_language"]

# the locale whose conventions format dates and lists: "26 November 2026", not "November 26"
_FORMATTING_LOCALES = {"nl": Locale.parse("nl_NL"), "en": Locale.parse("en_GB")}

# RFC 9110 §12.5.4 allows any number of ranges; a handful is all a browser ever sends
_MAX_RANGES = 32


def formatting_locale(lang: str) -> Locale:
    """The Babel locale that formats dates, lists and country names for ``lang``."""
    return for_language(_FORMATTING_LOCALES, lang)


def negotiate_language(
    accept_language: str | None,
    available: Sequence[str] = LANGUAGES,
    default: str = DEFAULT_LANGUAGE,
) -> str:
    """The best of ``available`` for an Accept-Language header; ``default`` when none fits."""
    preferred = _preferred(accept_language or "")
    locale = Locale.negotiate(preferred, list(available), sep="-") if preferred else None
    return str(locale.language) if locale is not None else default


def _preferred(header: str) -> list[str]:
    """The language ranges of an Accept-Language header, best first (RFC 9110 §12.5.4)."""
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:_MAX_RANGES]):
        tag, _, parameters = item.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*":
            continue
        quality = _quality(parameters)
        if quality > 0:  # q=0 means "not acceptable"
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def _quality(parameters: str) -> float:
    name, _, value = parameters.strip().partition("=")
    if name.strip().lower() != "q":
        return 1.0
    try:
        quality = float(value.strip())
    except ValueError:
        return 0.0  # a malformed weight: ignore the range rather than guess
    return quality if 0.0 <= quality <= 1.0 else 0.0
