"""One gettext catalogue for every published word: Dutch (the default) and English.

    code      _("Privacy policy of {controller}")      English msgids in src/ (.py and .j2)
    catalogue privaat/locale/{nl,en}/LC_MESSAGES/privaat.po
                 │ read_po → write_mo, in memory, at first use (nothing compiled on disk)
                 ▼
    translations(lang) ── gettext.GNUTranslations: gettext, ngettext, pgettext, npgettext
                 ├─► privaat.policy (wording, dpv_words, ropa) through ``use_catalogue``
                 ├─► privaat.render, privaat.mail.notices
                 └─► Jinja2: ``env.install_gettext_translations(translations(lang), newstyle=True)``

The msgid is the English text, so a missing translation still reads as English; the English
catalogue repeats it, so English wording can be edited without touching code. An unknown
language gets Dutch. ``privaat.i18n.extract`` lists the msgids the code uses and updates the
.po files; a test fails when a catalogue misses one or keeps one the code no longer uses.
"""

from __future__ import annotations

import io
from functools import cache
from gettext import GNUTranslations
from importlib.resources import files
from importlib.resources.abc import Traversable

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from privaat.policy.wording import LANGUAGES, N_, use_catalogue

__all__ = [
    "DEFAULT_LANGUAGE",
    "DOMAIN",
    "LANGUAGES",
    "N_",
    "catalogue_text",
    "language_of",
    "translations",
]

DOMAIN = "privaat"

# Dutch is the policy's own language (the seed is Dutch); English is the translation
DEFAULT_LANGUAGE = "nl"


def language_of(tag: str | None) -> str:
    """The published language a tag such as ``en-GB`` or ``NL`` asks for; Dutch otherwise."""
    primary = (tag or "").strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


def translations(lang: str | None) -> GNUTranslations:
    """The catalogue of ``lang`` (Dutch when it is not published), compiled once per process."""
    return _compiled(language_of(lang))


def catalogue_text(lang: str) -> str:
    """The .po file of a published language as shipped in the package."""
    return _po_file(lang).read_text(encoding="utf-8")


@cache
def _compiled(lang: str) -> GNUTranslations:
    catalog = read_po(io.StringIO(catalogue_text(lang)), locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries stay out: an unsure translation is not shipped
    compiled.seek(0)
    return GNUTranslations(compiled)


def _po_file(lang: str) -> Traversable:
    if lang not in LANGUAGES:
        raise ValueError(f"no catalogue for {lang!r}: the catalogues are {', '.join(LANGUAGES)}")
    return files("privaat").joinpath("locale", lang, "LC_MESSAGES", f"{DOMAIN}.po")


use_catalogue(translations)
