"""One catalogue: every msgid the code uses is translated in Dutch and English, none left over."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from privaat.i18n import DOMAIN, LANGUAGES, catalogue_text, language_of, translations
from privaat.i18n.extract import MessageKey, catalogue_problems, extract_messages
from privaat.render.templating import environment

LANGS = [pytest.param(lang, id=lang) for lang in LANGUAGES]
_PLACEHOLDER = re.compile(r"\{(\w*)\}")


@cache
def _used() -> dict[MessageKey, list[str]]:
    return extract_messages()


def _catalog(lang: str) -> Catalog:
    return read_po(io.StringIO(catalogue_text(lang)), locale=lang, domain=DOMAIN)


def _strings(value: str | tuple[str, ...] | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


@pytest.mark.parametrize("lang", LANGS)
def test_every_msgid_the_code_uses_is_in_the_catalogue_and_translated(lang: str) -> None:
    problems = catalogue_problems(lang, _used())
    assert problems.missing == (), "run: python -m privaat.i18n.extract --update, then translate"
    assert problems.untranslated == ()


@pytest.mark.parametrize("lang", LANGS)
def test_the_catalogue_holds_no_msgid_the_code_no_longer_uses(lang: str) -> None:
    assert catalogue_problems(lang, _used()).unused == ()


def test_an_empty_or_fuzzy_translation_counts_as_untranslated() -> None:
    catalog = Catalog(locale="nl", domain=DOMAIN)
    catalog.add("Contents", "Inhoud")
    catalog.add("Children", "")
    catalog.add("Your rights", "Uw rechten", flags=["fuzzy"])
    catalog.add(("{count} day", "{count} days"), ("{count} dag", ""))
    used = [(None, "Contents"), (None, "Children"), (None, "Your rights")]
    used.append((None, ("{count} day", "{count} days")))
    problems = catalogue_problems("nl", used, catalog)
    assert problems.missing == () and problems.unused == ()
    assert set(problems.untranslated) == set(used[1:])


@pytest.mark.parametrize("lang", LANGS)
def test_every_translation_keeps_the_placeholders_of_its_msgid(lang: str) -> None:
    for message in _catalog(lang):
        if not message.id:
            continue
        wanted = {p for msgid in _strings(message.id) for p in _PLACEHOLDER.findall(msgid)}
        for string in _strings(message.string):
            assert set(_PLACEHOLDER.findall(string)) == wanted, message.id


@pytest.mark.parametrize("lang", LANGS)
def test_the_catalogue_is_provider_neutral(lang: str) -> None:
    # any provider's policy is rendered with these words: a provider's name comes from its file
    assert "Flexibelt" not in catalogue_text(lang)


def test_the_extractor_reads_python_gettext_calls_markers_contexts_plurals_and_templates(
    tmp_path: Path,
) -> None:
    (tmp_path / "words.py").write_text(
        "N_('marked')\n"
        "t.gettext('called')\n"
        "t.pgettext('register column', 'in context')\n"
        "t.ngettext('{count} day', '{count} days', n)\n",
        encoding="utf-8",
    )
    templates = tmp_path / "render" / "templates"
    templates.mkdir(parents=True)
    (templates / "page.html.j2").write_text(
        "<h1>{{ _('in a template') }}</h1>{% trans %}a block{% endtrans %}", encoding="utf-8"
    )
    assert set(extract_messages(tmp_path)) == {
        (None, "marked"),
        (None, "called"),
        ("register column", "in context"),
        (None, ("{count} day", "{count} days")),
        (None, "in a template"),
        (None, "a block"),
    }


def test_the_extractor_finds_the_words_of_every_layer() -> None:
    files = {path for paths in _used().values() for path in paths}
    for module in (
        "privaat/policy/wording.py",
        "privaat/policy/dpv_words.py",
        "privaat/policy/ropa.py",
        "privaat/render/policy_text.py",
        "privaat/render/fixed_text.py",
        "privaat/render/ropa_output.py",
        "privaat/mail/notices.py",
    ):
        assert module in files


@pytest.mark.parametrize(
    ("tag", "lang"),
    [
        pytest.param("nl", "nl", id="nl"),
        pytest.param("en", "en", id="en"),
        pytest.param("en-GB", "en", id="en-GB"),
        pytest.param("EN_us", "en", id="en-underscore"),
        pytest.param("de", "nl", id="unknown-is-dutch"),
        pytest.param("", "nl", id="empty-is-dutch"),
        pytest.param(None, "nl", id="none-is-dutch"),
    ],
)
def test_a_language_tag_chooses_a_published_language_and_dutch_by_default(
    tag: str | None, lang: str
) -> None:
    assert language_of(tag) == lang
    assert translations(tag) is translations(lang)  # compiled once per process


@pytest.mark.parametrize(
    ("count", "nl", "en"),
    [
        pytest.param(0, "0 dagen", "0 days", id="zero"),
        pytest.param(1, "1 dag", "1 day", id="one"),
        pytest.param(2, "2 dagen", "2 days", id="two"),
    ],
)
def test_counts_take_the_plural_form_of_the_language(count: int, nl: str, en: str) -> None:
    for lang, words in (("nl", nl), ("en", en)):
        form = translations(lang).ngettext("{count} day", "{count} days", count)
        assert form.format(count=count) == words
    # Dutch counts years in the singular
    assert translations("nl").ngettext("{count} year", "{count} years", 7) == "{count} jaar"


def test_contexts_keep_the_same_english_apart() -> None:
    nl = translations("nl")
    assert nl.gettext("Purposes") == "Doelen"  # a label of the public text
    assert nl.pgettext("register column", "Purposes") == "Doeleinden"


def test_templates_read_the_catalogue_of_their_language() -> None:
    source = "{{ _('Contents') }} | {{ pgettext('register column', 'Purposes') }}"
    assert environment("nl").from_string(source).render() == "Inhoud | Doeleinden"
    assert environment("en").from_string(source).render() == "Contents | Purposes"
    assert environment("fr").from_string(source).render() == "Inhoud | Doeleinden"


def test_policy_stays_pure_and_asks_for_a_catalogue_when_none_is_in_use() -> None:
    # a fresh interpreter: policy/ imports neither Babel nor Jinja2, and without privaat.i18n
    # it names what is missing instead of printing English where Dutch was asked for
    script = (
        "import sys\n"
        "from privaat.policy import dpv_words, ropa, wording\n"
        "from privaat.policy.period import Period\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in {'babel', 'jinja2'}]\n"
        "try:\n"
        "    wording.period_in_words(Period(days=2), 'nl')\n"
        "except LookupError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert "import privaat.i18n" in result.stdout
