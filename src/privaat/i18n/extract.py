"""The msgids the code uses, read from src/ with Babel, and the catalogues brought up to date.

    privaat/**.py            _(), gettext, ngettext, pgettext, N_ ...   (Babel's python extractor)
    privaat/**/templates/*.j2  {{ _("...") }}, {% trans %}              (Jinja2's babel_extract)

``python -m privaat.i18n.extract`` lists what each catalogue misses or no longer needs (exit 1
if anything); ``--update`` adds the new msgids (the English catalogue repeats the msgid, the
Dutch one waits, empty, for its translation) and drops the unused ones.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from privaat.i18n import DOMAIN, LANGUAGES, catalogue_text

__all__ = ["MessageKey", "Problems", "catalogue_problems", "extract_messages", "update_catalogues"]

PACKAGE_DIR = Path(__file__).resolve().parent.parent
METHOD_MAP = [
    ("**/templates/**.j2", "jinja2.ext:babel_extract"),
    ("**.py", "python"),
]
OPTIONS_MAP = {"**/templates/**.j2": {"trimmed": "true", "silent": "false"}}

_HEADER = """\
# The words privaat publishes, in {language}. Each msgid is the English text written in
# src/privaat; `python -m privaat.i18n.extract --update` adds new msgids and drops unused ones.
# The English catalogue repeats each msgid, so English wording can change without the code."""

MessageKey = tuple[str | None, str | tuple[str, ...]]
"""(msgctxt, msgid); a plural msgid is the pair (singular, plural)."""


@dataclass(frozen=True, slots=True)
class Problems:
    """What one catalogue lacks, or holds in vain, compared with the code."""

    missing: tuple[MessageKey, ...] = ()  # used by the code, absent from the catalogue
    untranslated: tuple[MessageKey, ...] = ()  # present, but empty or fuzzy
    unused: tuple[MessageKey, ...] = ()  # in the catalogue, no longer in the code

    def __bool__(self) -> bool:
        return bool(self.missing or self.untranslated or self.unused)


def extract_messages(package_dir: Path = PACKAGE_DIR) -> dict[MessageKey, list[str]]:
    """Every msgid under ``package_dir``, with the files that use it."""
    found: dict[MessageKey, list[str]] = {}
    for filename, _lineno, message, _comments, context in extract_from_dir(
        package_dir, METHOD_MAP, OPTIONS_MAP, keywords=DEFAULT_KEYWORDS, strip_comment_tags=True
    ):
        msgid = message if isinstance(message, str) else tuple(message)
        where = found.setdefault((context, msgid), [])
        path = f"{package_dir.name}/{filename}"
        if path not in where:
            where.append(path)
    return found


def catalogue_problems(
    lang: str, used: Iterable[MessageKey], catalog: Catalog | None = None
) -> Problems:
    """How the catalogue of ``lang`` (or ``catalog``) differs from the msgids ``used``."""
    catalog = catalog if catalog is not None else _read(lang)
    held = {_key(m): m for m in catalog if m.id}
    wanted = set(used)
    return Problems(
        missing=tuple(sorted((k for k in wanted if k not in held), key=str)),
        untranslated=tuple(
            sorted((k for k in wanted if k in held and not _translated(held[k])), key=str)
        ),
        unused=tuple(sorted((k for k in held if k not in wanted), key=str)),
    )


def update_catalogues(
    used: Mapping[MessageKey, list[str]], locale_dir: Path = PACKAGE_DIR / "locale"
) -> None:
    """Rewrite each .po under ``locale_dir`` to hold exactly the msgids ``used``."""
    for lang in LANGUAGES:
        path = locale_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        old = read_po(io.StringIO(text), locale=lang, domain=DOMAIN)
        new = Catalog(
            locale=lang,
            domain=DOMAIN,
            header_comment=_HEADER.format(language=Locale.parse(lang).english_name),
            project="privaat",
            version="1",
            copyright_holder="the privaat authors",
            msgid_bugs_address="privacy@localhost",
            creation_date=old.creation_date,
            revision_date=old.revision_date,
            last_translator="the privaat authors",
            language_team=f"{lang} <privacy@localhost>",
            fuzzy=False,
        )
        for (context, msgid), locations in sorted(used.items(), key=lambda item: str(item[0])):
            held = old.get(msgid if isinstance(msgid, str) else msgid[0], context=context)
            string: str | tuple[str, ...]
            if held is not None and any(_strings(held)):
                string = held.string if isinstance(held.string, str) else tuple(_strings(held))
            elif lang == "en":
                string = msgid  # the English text is the msgid itself
            else:
                string = "" if isinstance(msgid, str) else ("",) * len(msgid)
            # no line numbers: a catalogue should not change because code moved down a line
            new.add(msgid, string, locations=[(path, 0) for path in locations], context=context)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as file:
            write_po(file, new, width=100, include_lineno=False, sort_output=True)


def _read(lang: str) -> Catalog:
    return read_po(io.StringIO(catalogue_text(lang)), locale=lang, domain=DOMAIN)


def _key(message: Message) -> MessageKey:
    msgid = message.id if isinstance(message.id, str) else tuple(message.id)
    return (message.context, msgid)


def _strings(message: Message) -> list[str]:
    """The translation of a message, one string per plural form."""
    string = message.string
    if isinstance(string, str):
        return [string]
    return list(string or ())


def _translated(message: Message) -> bool:
    strings = _strings(message)
    return not message.fuzzy and bool(strings) and all(s.strip() for s in strings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m privaat.i18n.extract", description=__doc__)
    parser.add_argument("--update", action="store_true", help="rewrite the .po files")
    args = parser.parse_args(argv)
    used = extract_messages()
    if args.update:
        update_catalogues(used)
    faulty = False
    for lang in LANGUAGES:
        problems = catalogue_problems(lang, used)
        for kind in ("missing", "untranslated", "unused"):
            for context, msgid in getattr(problems, kind):
                faulty = True
                print(f"{lang}: {kind}: {msgid!r}" + (f" (context {context!r})" if context else ""))
    return 1 if faulty else 0


if __name__ == "__main__":
    sys.exit(main())
