"""The readability gate (issue 9): B1 Dutch in the statement's catalogue strings, in the policy
files' public texts and in the rendered first layer; the statement's length and reading time.

A failing case names the text that breaks the rule: shorten the sentence, or use the word the
statement uses everywhere else ("we", "privacyverklaring").
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from tests.unit.render.test_policy_text import _page

from privaat.i18n import DOMAIN, catalogue_text
from privaat.i18n.extract import extract_messages
from privaat.policy.loader import load_policy_file
from privaat.policy.schema import Channel, Policy, Text
from privaat.render.policy_text import Format, render_policy_text
from privaat.render.readability import (
    BANNED_FIRST_LAYER,
    Finding,
    banned_terms,
    check,
    count_words,
    inconsistent_terms,
    long_sentences,
    reading_minutes,
    split_sentences,
)
from privaat.render.statement_context import Offered, Right, StatementContext
from privaat.settings import default_policy_file

POLICIES = sorted(Path(default_policy_file()).parent.glob("*.yaml"))
# the files whose msgids the public statement prints (the register has its own voice)
STATEMENT_SOURCES = (
    "privaat/render/policy_text.py",
    "privaat/render/fixed_text.py",
    "privaat/render/templates/policy.html.j2",
    "privaat/render/templates/policy.md.j2",
    "privaat/policy/wording.py",
    "privaat/policy/dpv_words.py",
)
# today's statement, before issue 9, was about 6,200 words of Markdown (5,800 per the review)
MAX_STATEMENT_WORDS = 5_800
MAX_SUMMARY_WORDS = 250
# every channel and rights page the app can offer: the longest statement it can render
EVERYTHING = Offered(
    channels={(c, None): f"/{c.value}" for c in Channel if c.offered_by_system},
    rights={right: f"/account/{right.value}" for right in Right},
    centre="/account",
)


# --- the checker itself, on hand-written texts ----------------------------------------------------


def test_sentences_end_at_a_full_stop_but_not_after_an_abbreviation_or_an_initial() -> None:
    text = (
        "Zie art. 6 lid 1 onder f AVG. Sisow B.V. verwerkt dat, bijv. uw kaart! "
        "Klopt dat? A. de Vries antwoordt.\nEen lijstregel zonder punt"
    )
    assert split_sentences(text) == [
        "Zie art. 6 lid 1 onder f AVG.",
        "Sisow B.V. verwerkt dat, bijv. uw kaart!",
        "Klopt dat?",
        "A. de Vries antwoordt.",
        "Een lijstregel zonder punt",
    ]


def test_a_word_is_counted_once_with_its_hyphens_articles_and_addresses() -> None:
    assert count_words("Uw e-mailadres (art. 6(1)(f)) gaat naar privacy@voorbeeld.nl.") == 7
    assert count_words("Zie https://autoriteitpersoonsgegevens.nl/klacht — of niet.") == 4
    assert count_words(" — ; ") == 0


def test_a_sentence_of_26_words_is_too_long_and_25_is_not() -> None:
    twenty_five = " ".join(["woord"] * 25) + "."
    assert long_sentences(twenty_five) == []
    assert long_sentences("Kort. " + " ".join(["woord"] * 26) + ".") == [
        " ".join(["woord"] * 26) + "."
    ]


def test_banned_jargon_is_found_as_whole_words_in_any_case() -> None:
    assert banned_terms("Een Materiële wijziging.") == ["materiële"]
    assert banned_terms("tenzij er dwingende  gerechtvaardigde\ngronden zijn") == [
        "dwingende gerechtvaardigde gronden"
    ]
    assert banned_terms("Het materiaal dat u plaatst.") == []


def test_inconsistent_terms_are_found_and_words_that_contain_them_are_not() -> None:
    assert inconsistent_terms("Wij wijzigen ons privacybeleid.") == [
        ("privacybeleid", "privacyverklaring"),
        ("wij", "we"),
    ]
    assert inconsistent_terms("We wijzigen de privacyverklaring; wijzelf niet.") == []


def test_reading_time_is_rounded_up_at_200_words_a_minute() -> None:
    assert [reading_minutes(n) for n in (1, 200, 201, 250, 400, 401)] == [1, 1, 2, 2, 2, 3]


def test_check_reports_each_rule_with_the_offending_words() -> None:
    long = " ".join(["lang"] * 30) + "."
    findings = check(f"Wij zijn er. {long}", banned=BANNED_FIRST_LAYER)
    assert findings == [
        Finding("sentence-length", long, "30 words"),
        Finding("term", "wij", "use 'we'"),
    ]
    assert str(findings[1]) == "term: use 'we': wij"


# --- (a) the Dutch catalogue strings the statement prints -----------------------------------------


@cache
def _statement_strings() -> dict[str, str]:
    """msgid → Dutch msgstr, for every msgid a statement source uses."""
    used = {
        key
        for key, files in extract_messages().items()
        if any(f in STATEMENT_SOURCES for f in files)
    }
    catalog = read_po(io.StringIO(catalogue_text("nl")), locale="nl", domain=DOMAIN)
    found: dict[str, str] = {}
    for message in catalog:
        if not message.id or (message.context, message.id) not in used:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for msgid, string in zip(ids, strings, strict=False):
            found[msgid] = string
    return found


def test_the_gate_reads_the_statements_strings() -> None:
    strings = _statement_strings()
    assert strings["In short"] == "In het kort"  # a string of the template code
    assert len(strings) > 100


@pytest.mark.parametrize("msgid", sorted(_statement_strings()))
def test_a_catalogue_string_of_the_statement_reads_at_b1(msgid: str) -> None:
    dutch = _statement_strings()[msgid]
    assert check(dutch, banned=BANNED_FIRST_LAYER) == []


# --- (b) the policy files' public Dutch texts -----------------------------------------------------


def _public_texts(policy: Policy) -> Iterator[tuple[str, Text, bool]]:
    """(where, text, first layer) for every text of the file the statement publishes."""
    for situation in policy.situations:
        yield f"situations.{situation.id}.title", situation.title, False
    for recipient in policy.recipients:
        yield f"recipients.{recipient.id}.description", recipient.description, False
        if recipient.arrangement is not None:
            yield f"recipients.{recipient.id}.arrangement", recipient.arrangement, False
    if policy.data_protection_officer is not None:
        yield "data_protection_officer.assessment", policy.data_protection_officer.assessment, False
    if policy.processor_role is not None:
        yield "processor_role", policy.processor_role, False
    for a in policy.activities:
        where = f"activities.{a.id}"
        yield f"{where}.name", a.name, False
        yield f"{where}.description", a.description, False
        optional = {
            "notice": (a.notice, True),  # shown alone at the point of collection
            "surprise": (a.surprise, True),  # the first layer
            "requirement": (a.requirement, False),
            "profiling": (a.profiling, False),
            "legitimate_interest": (a.legitimate_interest, False),
            "objection.note": (a.objection.note, False),
        }
        for name, (text, first) in optional.items():
            if text is not None:
                yield f"{where}.{name}", text, first
        for cookie in a.cookies:
            yield f"{where}.cookies.{cookie.name}.purpose", cookie.purpose, False


def _policy_cases() -> list[object]:
    cases = []
    for path in POLICIES:
        policy = load_policy_file(path)
        for where, text, first in _public_texts(policy):
            cases.append(pytest.param(text.nl, first, id=f"{path.stem}:{where}"))
    return cases


@pytest.mark.parametrize(("dutch", "first_layer"), _policy_cases())
def test_a_public_text_of_the_policy_file_reads_at_b1(dutch: str, first_layer: bool) -> None:
    banned = BANNED_FIRST_LAYER if first_layer else ()
    assert check(dutch, banned=banned) == []


# --- (c) the rendered first layer, and the whole statement ----------------------------------------


@cache
def _rendered(fmt: Format, everything: bool = False) -> str:
    context = StatementContext(offered=EVERYTHING) if everything else None
    return render_policy_text(
        load_policy_file(default_policy_file()), lang="nl", fmt=fmt, context=context
    )


def _summary_text() -> str:
    page = _page(_rendered(Format.HTML))
    return next(s for s in page.sections if s.anchor == "in-short").text


def test_the_first_layer_reads_at_b1_without_jargon() -> None:
    assert check(_summary_text(), banned=BANNED_FIRST_LAYER) == []


def test_the_english_first_layer_is_at_most_250_words_too() -> None:
    html = render_policy_text(load_policy_file(default_policy_file()), lang="en", fmt=Format.HTML)
    summary = next(s for s in _page(html).sections if s.anchor == "in-short")
    assert count_words(summary.text) <= MAX_SUMMARY_WORDS
    assert "Reading time of this summary:" in summary.text


def test_the_first_layer_is_at_most_250_words_and_says_its_reading_time() -> None:
    words = count_words(_summary_text())
    assert words <= MAX_SUMMARY_WORDS
    minutes = reading_minutes(words)
    assert minutes <= 2
    unit = "minuut" if minutes == 1 else "minuten"
    assert f"Leestijd van deze samenvatting: {minutes} {unit}" in _summary_text()


def _markdown_words(markdown: str) -> int:
    """The words a reader reads: no comments, no link targets, no table rules."""
    text = re.sub(r"<!--.*?-->", "", markdown, flags=re.S)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    return count_words(text)


@pytest.mark.parametrize("everything", [False, True], ids=["nothing-offered", "all-offered"])
def test_the_whole_dutch_statement_is_shorter_than_5800_words(everything: bool) -> None:
    assert _markdown_words(_rendered(Format.MARKDOWN, everything)) < MAX_STATEMENT_WORDS
    html = _rendered(Format.HTML, everything)
    body = _page(html[html.index("<body>") :]).text
    # the page adds its contents list and, for screen readers, each details' heading
    assert count_words(body) < MAX_STATEMENT_WORDS + 300


def test_the_whole_dutch_statement_uses_one_word_for_one_thing() -> None:
    markdown = _rendered(Format.MARKDOWN, True)
    assert inconsistent_terms(re.sub(r"<!--.*?-->", "", markdown, flags=re.S)) == []


def test_the_word_count_counts_what_a_reader_reads() -> None:
    # hand-counted: "Welkom" (1), the link's words "Lees meer" (2), none of its target
    assert _markdown_words("# Welkom\n<!-- P1 P2 -->\n[Lees meer](/privacy/v/12)\n") == 3
