"""The public privacy statement rendered from the policy file: its layers, the channels it may
name, every promise, basis and right, its tables, versions and the diff box."""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from typing import Any

import pytest

from privaat.i18n import translations
from privaat.policy.diff import diff_policies
from privaat.policy.loader import load_policy_file
from privaat.policy.schema import Channel, LegalBasis, Policy
from privaat.policy.wording import legal_basis_words
from privaat.render import fixed_text
from privaat.render.language import negotiate_language
from privaat.render.policy_text import (
    CHANNEL_WORDS,
    Format,
    just_in_time,
    policy_document,
    render_policy_text,
)
from privaat.render.statement_context import Offered, Right, StatementContext
from privaat.settings import default_policy_file

LANGS = [pytest.param("nl", id="nl"), pytest.param("en", id="en")]
BOTH = [
    pytest.param(lang, fmt, id=f"{lang}-{fmt.value}")
    for lang in ("nl", "en")
    for fmt in (Format.HTML, Format.MARKDOWN)
]
VOID = {"meta", "br", "hr", "img", "input", "link", "area", "base", "col", "source", "wbr"}


def _t(lang: str, msgid: str) -> str:
    """A phrase of the public text as the catalogue of ``lang`` words it."""
    return translations(lang).gettext(msgid)


@cache
def _shipped() -> Policy:
    return load_policy_file(default_policy_file())


@cache
def _rendered(lang: str, fmt: Format) -> str:
    return render_policy_text(_shipped(), lang=lang, fmt=fmt)


@dataclass
class _Section:
    anchor: str
    promises: tuple[str, ...]
    heading: str = ""
    text: str = ""


@dataclass
class _Page(HTMLParser):
    """An HTML document read back: its text, its sections, and any structural fault."""

    text: str = ""
    sections: list[_Section] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    _open: list[str] = field(default_factory=list)
    _sections: list[_Section] = field(default_factory=list)
    _heading: bool = False

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag in VOID:
            return
        self._open.append(tag)
        if tag == "section":
            promises = tuple((attributes.get("data-promises") or "").split())
            self._sections.append(_Section(attributes.get("id") or "", promises))
            self.sections.append(self._sections[-1])
        self._heading = tag in {"h2", "h3"}

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self._open or self._open[-1] != tag:
            self.faults.append(f"</{tag}> closes <{self._open[-1] if self._open else '-'}>")
            return
        self._open.pop()
        if tag == "section":
            self._sections.pop()
        self._heading = False

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def handle_data(self, data: str) -> None:
        self.text += data
        for section in self._sections:
            section.text += data
        if self._heading and self._sections and not self._sections[-1].heading:
            self._sections[-1].heading = data.strip()

    def close(self) -> None:
        super().close()
        if self._open:
            self.faults.append(f"unclosed: {self._open}")


def _page(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def _markdown_sections(markdown: str) -> list[_Section]:
    """Each heading with the text up to the next heading; P-ids from its HTML comment."""
    sections = []
    for chunk in re.split(r"(?m)^(?=#{1,6} )", markdown):
        if not chunk.startswith("#"):
            continue
        heading, _, body = chunk.partition("\n")
        comment = re.match(r"\s*<!-- (P\d+(?: P\d+)*) -->", body)
        promises = tuple(comment.group(1).split()) if comment else ()
        sections.append(_Section("", promises, heading.lstrip("#").strip(), body.replace("**", "")))
    return sections


@cache
def _sections(lang: str, fmt: Format) -> list[_Section]:
    text = _rendered(lang, fmt)
    return _page(text).sections if fmt is Format.HTML else _markdown_sections(text)


@cache
def _text(lang: str, fmt: Format) -> str:
    text = _rendered(lang, fmt)
    return _page(text).text if fmt is Format.HTML else text.replace("**", "")


def _activity_section(lang: str, fmt: Format, name: str) -> _Section:
    matches = [s for s in _sections(lang, fmt) if s.heading == name]
    assert len(matches) == 1, f"{name!r}: {len(matches)} sections"
    return matches[0]


def _squashed(text: str) -> str:
    return " ".join(text.split())


def _small(**activity_changes: Any) -> Policy:
    """One activity on a contract, kept after closure with a tax hold, its IP later shortened."""
    activity: dict[str, Any] = {
        "id": "account",
        "name": {"nl": "Uw account", "en": "Your account"},
        "description": {"nl": "Wij beheren uw account.", "en": "We manage your account."},
        "promises": ["P1", "P20"],
        "purposes": ["dpv:AccountManagement"],
        "data_categories": ["invoice", "ip_address"],
        "data_subjects": ["dpv:Customer"],
        "legal_basis": "contract",
        "retention": {
            "starts": "account_closure",
            "period": "P30D",
            "legal_holds": [
                {
                    "period": "P7Y",
                    "ground": {"nl": "Fiscale bewaarplicht", "en": "Tax retention duty"},
                    "categories": ["invoice"],
                }
            ],
            "minimise": [
                {
                    "after": "P30D",
                    "categories": ["ip_address"],
                    "method": {"nl": "ingekort tot /24", "en": "truncated to /24"},
                }
            ],
        },
        "sources": ["data_subject"],
        "objection": {"possible": False},
        **activity_changes,
    }
    return Policy.model_validate(
        {
            "policy": {"id": "example", "version": 1, "last_updated": "2026-11-26"},
            "controller": {
                "name": "Voorbeeld B.V.",
                "address": {
                    "street": "Dorpsstraat 1",
                    "postal_code": "1234 AB",
                    "city": "Utrecht",
                    "country": "NL",
                },
                "email": "info@voorbeeld.nl",
            },
            "privacy_contact": {
                "name": {"nl": "Privacyteam", "en": "Privacy team"},
                "email": "privacy@voorbeeld.nl",
            },
            "supervisory_authority": {
                "name": "Autoriteit Persoonsgegevens",
                "website": "https://autoriteitpersoonsgegevens.nl",
                "complaint_url": "https://autoriteitpersoonsgegevens.nl/klacht",
            },
            "data_categories": [
                {
                    "id": "invoice",
                    "name": {"nl": "Facturen", "en": "Invoices"},
                    "dpv": "pd:Transactional",
                    "fides": "user.financial",
                },
                {
                    "id": "ip_address",
                    "name": {"nl": "IP-adres", "en": "IP address"},
                    "dpv": "pd:IPAddress",
                    "fides": "user.device.ip_address",
                },
            ],
            "recipients": [
                {
                    "id": "stats",
                    "name": "Stats Inc.",
                    "role": "processor",
                    "description": {"nl": "Statistieken.", "en": "Statistics."},
                    "country": "US",
                    "safeguard": "scc",
                    "agreement": "DPA 2026",
                }
            ],
            "activities": [activity],
        }
    )


# --- the context: what the running system offers ------------------------------------------------

# every channel the system can offer, as helper pages would serve them (hand-written paths)
EVERYTHING = Offered(
    channels={
        (Channel.ACCOUNT_PREFERENCES, None): "/account/preferences",
        (Channel.UNSUBSCRIBE_LINK, None): "/unsubscribe",
        (Channel.COOKIE_SETTINGS, None): "/cookies",
        (Channel.SUPPORT_ACCESS_PAGE, None): "/account/support-access",
    },
    rights={Right.ACCESS: "/account", Right.ERASURE: "/account/close"},
    centre="/account",
)


def _visible(rendered: str, fmt: Format) -> str:
    """The words a reader sees: the HTML page's text, or the Markdown without emphasis."""
    return _squashed(_page(rendered).text if fmt is Format.HTML else rendered.replace("**", ""))


def _links(html: str) -> list[str]:
    return [a.get("href") or "" for tag, a in _page(html).tags if tag == "a"]


# --- promises ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "fmt"), BOTH)
def test_p19_every_promise_of_the_policy_is_rendered_with_the_section_that_keeps_it(
    lang: str, fmt: Format
) -> None:
    policy = _shipped()
    sections = _sections(lang, fmt)
    for activity in policy.activities:
        section = _activity_section(lang, fmt, activity.name.in_language(lang))
        assert section.promises == activity.promises
    in_policy = {p for a in policy.activities for p in a.promises} | {
        p.id for p in policy.promises if p.met_by is not None
    }
    assert in_policy <= {p for s in sections for p in s.promises}


@pytest.mark.parametrize(("lang", "fmt"), BOTH)
def test_p19_the_last_updated_date_is_at_the_top(lang: str, fmt: Format) -> None:
    text = _text(lang, fmt)
    stamp = {"nl": "Laatst bijgewerkt: 26 november 2026", "en": "Last updated: 26 November 2026"}
    position = text.find(stamp[lang])
    assert position != -1
    assert position < text.find({"nl": "In het kort", "en": "In short"}[lang])
    assert position < text.find(_shipped().controller.address.street)


@pytest.mark.parametrize("lang", LANGS)
def test_no_p_or_l_id_is_in_the_public_words_only_in_comments(lang: str) -> None:
    page = _page(_rendered(lang, Format.HTML))
    assert re.findall(r"\b[PL]\d{1,3}\b", page.text) == []
    assert any(re.fullmatch(r"\s*P\d+( P\d+)*\s*", c) for c in page.comments)
    markdown = re.sub(r"<!--.*?-->", "", _rendered(lang, Format.MARKDOWN))
    assert re.findall(r"\b[PL]\d{1,3}\b", markdown) == []


def test_internal_ids_are_taken_out_of_the_policy_files_texts() -> None:
    policy = _small(description={"nl": "Alleen intern (P12; L36).", "en": "Only inside (L33)."})
    assert "Alleen intern." in _squashed(
        _page(render_policy_text(policy, lang="nl", fmt=Format.HTML)).text
    )
    assert "(L33)" not in render_policy_text(policy, lang="en", fmt=Format.MARKDOWN)


# --- the layers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_the_summary_comes_first_then_the_objection_box_then_the_situations(lang: str) -> None:
    anchors = [s.anchor for s in _page(_rendered(lang, Format.HTML)).sections]
    situations = [f"situation-{s.id}" for s in _shipped().situations]
    assert anchors[:2] == ["in-short", "objection"]
    top = [a for a in anchors if a.startswith("situation-")]
    assert top == situations
    assert anchors.index(situations[-1]) < anchors.index("overview")


def test_the_summary_names_who_what_surprises_rights_and_one_contact() -> None:
    policy = _shipped()
    summary = next(
        s for s in _page(_rendered("nl", Format.HTML)).sections if s.anchor == "in-short"
    )
    text = _squashed(summary.text)
    assert "Flexibelt (Oosterheemplein 2a, 2721 NA Zoetermeer, Nederland)" in text
    for situation in policy.situations:
        assert situation.title.nl in text
    for activity in policy.activities:
        if activity.surprise is not None:
            assert _squashed(activity.surprise.nl) in text
    assert "Lees hoe u uw rechten gebruikt." in text
    assert text.count("euprivacy@flexibelt.nl") == 1
    assert re.search(r"Leestijd van deze samenvatting: [12] minu(ut|ten)", text)


def test_a_surprise_is_listed_in_the_summary_with_a_link_to_its_activity() -> None:
    policy = _small(surprise={"nl": "We bewaren facturen 7 jaar.", "en": "Invoices stay 7 years."})
    html = render_policy_text(policy, lang="nl", fmt=Format.HTML)
    assert "Wat u misschien niet verwacht:" in _squashed(_page(html).text)
    assert "We bewaren facturen 7 jaar." in _page(html).text
    assert "#activity-account" in _links(html)


def _objection_box(lang: str) -> str:
    page = _page(_rendered(lang, Format.HTML))
    return _squashed(next(s for s in page.sections if s.anchor == "objection").text)


def test_l15_the_objection_box_puts_direct_marketing_first_and_says_the_rule_once() -> None:
    box = _objection_box("nl")
    marketing = box.find("Direct marketing: we stoppen altijd")
    assert marketing != -1
    assert marketing < box.find("Hiermee stoppen we altijd")
    assert marketing < box.find("tenzij onze redenen zwaarder wegen")
    whole = _squashed(_text("nl", Format.HTML))
    assert whole.count("tenzij onze redenen zwaarder wegen") == 1
    # the old boilerplate, glued after every activity, is gone
    assert "dwingende gerechtvaardigde gronden" not in whole


def test_l26_an_objection_we_never_override_gets_no_balancing_sentence() -> None:
    policy = _shipped()
    never = [a for a in policy.activities if a.objection.possible and not a.objection.overridable]
    assert never, "the shipped policy has call recording, whose objection is never overridden"
    box = _objection_box("nl")
    always, _, weighed = box.partition("Vertel ons hierbij wat er in uw situatie speelt.")
    for activity in never:
        assert activity.name.nl in always and activity.name.nl not in weighed
    for activity in policy.activities:
        if activity.objection.possible and activity.objection.overridable:
            if not activity.objection.absolute:
                assert activity.name.nl in weighed, activity.id


def test_each_activity_has_a_short_paragraph_and_its_details_folded_away() -> None:
    html = _rendered("nl", Format.HTML)
    # the traffic data's facts are all in the tables: no empty "Alle details" fold for it
    folded = [a for a in _shipped().activities if a.id != "call_detail_records"]
    assert html.count("<details>") == len(folded)
    assert html.count("<summary>Alle details") == len(folded)
    for activity in folded:
        section = html[html.index(f'<section id="activity-{activity.id}"') :]
        before_details = section[: section.index("<details>")]
        assert "Grondslag" not in before_details  # the facts are behind <details>
    records = html[html.index('<section id="activity-call_detail_records"') :]
    assert "<details>" not in records[: records.index("</section>")]


# --- channels: only what runs ---------------------------------------------------------------------


def _consent_policy(channels: list[str]) -> Policy:
    return _small(
        legal_basis="consent",
        consent={"request": {"nl": "Mag het?", "en": "May we?"}, "channels": channels},
    )


@pytest.mark.parametrize(("lang", "fmt"), BOTH)
def test_l10_a_channel_the_system_does_not_offer_is_not_named_the_mailbox_always_is(
    lang: str, fmt: Format
) -> None:
    policy = _consent_policy(["account_preferences", "unsubscribe_link"])
    text = _visible(render_policy_text(policy, lang=lang, fmt=fmt), fmt)
    assert _t(lang, CHANNEL_WORDS[Channel.ACCOUNT_PREFERENCES]) not in text
    assert _t(lang, CHANNEL_WORDS[Channel.UNSUBSCRIBE_LINK]) not in text
    mailbox = _t(lang, CHANNEL_WORDS[Channel.PRIVACY_EMAIL]).format(email="privacy@voorbeeld.nl")
    assert f"{_t(lang, 'Withdrawing consent')}: {mailbox}." in text


def test_l10_an_offered_channel_is_named_as_a_link_to_its_page() -> None:
    policy = _consent_policy(["account_preferences", "unsubscribe_link"])
    context = StatementContext(offered=EVERYTHING)
    html = render_policy_text(policy, lang="nl", fmt=Format.HTML, context=context)
    assert '<a href="/account/preferences">in uw privacyvoorkeuren</a>' in html
    assert '<a href="/unsubscribe">met de afmeldlink in elke e-mail</a>' in html
    markdown = render_policy_text(policy, lang="nl", fmt=Format.MARKDOWN, context=context)
    assert "[in uw privacyvoorkeuren](/account/preferences)" in markdown


def test_an_activitys_own_channel_link_wins_over_the_general_one() -> None:
    offered = Offered(
        channels={
            (Channel.ACCOUNT_PREFERENCES, None): "/account/preferences",
            (Channel.ACCOUNT_PREFERENCES, "account"): "/account/edit",
        }
    )
    policy = _consent_policy(["account_preferences"])
    html = render_policy_text(
        policy, lang="en", fmt=Format.HTML, context=StatementContext(offered=offered)
    )
    assert "/account/edit" in _links(html) and "/account/preferences" not in _links(html)


def test_channels_that_are_always_there_are_named_without_the_system() -> None:
    policy = _small(
        legal_basis="legitimate_interest",
        legitimate_interest={"nl": "Veiligheid.", "en": "Security."},
        objection={"possible": True, "channels": ["tell_agent", "account_preferences"]},
    )
    text = _squashed(_page(render_policy_text(policy, lang="nl", fmt=Format.HTML)).text)
    assert "door het tegen onze medewerker te zeggen" in text
    assert "in uw privacyvoorkeuren" not in text
    assert "per e-mail aan privacy@voorbeeld.nl" in text


@pytest.mark.parametrize("lang", LANGS)
def test_the_shipped_statement_without_the_system_names_no_system_channel(lang: str) -> None:
    text = _squashed(_text(lang, Format.HTML))
    for channel in Channel:
        if channel.offered_by_system:
            assert _t(lang, CHANNEL_WORDS[channel]) not in text, channel
    assert not [href for href in _links(_rendered(lang, Format.HTML)) if href.startswith("/")]


def test_p22_each_right_links_its_page_when_offered_and_always_names_the_mailbox() -> None:
    context = StatementContext(offered=EVERYTHING)
    html = render_policy_text(_small(), lang="nl", fmt=Format.HTML, context=context)
    rights = next(s for s in _page(html).sections if s.anchor == "rights")
    assert "per e-mail aan privacy@voorbeeld.nl" in _squashed(rights.text)
    section = html[html.index('<section id="rights"') :]
    section = section[: section.index("</section>")]
    assert section.count('<a href="/account">') == 2  # the centre, and access (art. 15)
    assert section.count('<a href="/account/close">') == 1  # erasure
    bare = render_policy_text(_small(), lang="nl", fmt=Format.HTML)
    assert "privacycentrum" not in _squashed(
        next(s for s in _page(bare).sections if s.anchor == "rights").text
    )


# --- each activity --------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_l1_each_activity_states_its_legal_basis_in_words_with_the_article(lang: str) -> None:
    rows = _overview_rows(_rendered(lang, Format.HTML))
    for activity in _shipped().activities:
        basis = legal_basis_words(activity.legal_basis, lang)
        assert rows[activity.name.in_language(lang)][2] == basis, activity.id


@pytest.mark.parametrize(
    ("lang", "wording"),
    [
        pytest.param("nl", "uitvoering van een overeenkomst (art. 6 lid 1 onder b AVG)", id="nl"),
        pytest.param("en", "performance of a contract (GDPR art. 6(1)(b))", id="en"),
    ],
)
def test_p1_the_account_is_kept_on_the_contract(lang: str, wording: str) -> None:
    account = next(a for a in _shipped().activities if "P1" in a.promises)
    assert _overview_rows(_rendered(lang, Format.HTML))[account.name.in_language(lang)][2] == (
        wording
    )
    markdown = _rendered(lang, Format.MARKDOWN)
    assert f"| {wording} |" in markdown


@pytest.mark.parametrize(("lang", "fmt"), BOTH)
def test_p4_l10_every_consent_based_activity_says_how_to_withdraw(lang: str, fmt: Format) -> None:
    policy = _shipped()
    consent_based = [a for a in policy.activities if a.legal_basis is LegalBasis.CONSENT]
    assert consent_based
    mailbox = _t(lang, CHANNEL_WORDS[Channel.PRIVACY_EMAIL]).format(
        email=policy.privacy_contact.email
    )
    for activity in consent_based:
        text = _squashed(_activity_section(lang, fmt, activity.name.in_language(lang)).text)
        assert f"{_t(lang, 'Withdrawing consent')}: " in text
        assert mailbox in text, activity.id
    rights = next(s for s in _sections(lang, fmt) if s.heading == _t(lang, "Your rights"))
    assert _t(lang, fixed_text.WITHDRAW_EFFECT) in _squashed(rights.text)
    # said once, in the rights section, not after every activity
    assert _squashed(_text(lang, fmt)).count(_t(lang, fixed_text.WITHDRAW_EFFECT)) == 1


@pytest.mark.parametrize(("lang", "fmt"), BOTH)
def test_l67_every_legitimate_interest_states_the_interest_and_its_objection_note(
    lang: str, fmt: Format
) -> None:
    objecting = _t(lang, "Objecting")
    for activity in _shipped().activities:
        if activity.legal_basis is not LegalBasis.LEGITIMATE_INTEREST:
            continue
        assert activity.legitimate_interest is not None
        text = _squashed(_activity_section(lang, fmt, activity.name.in_language(lang)).text)
        assert _squashed(activity.legitimate_interest.in_language(lang))[:40] in text
        if activity.objection.note is not None:
            note = _squashed(activity.objection.note.in_language(lang))[:40]
            assert f"{objecting}: {note}" in text, activity.id


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        pytest.param(
            "nl",
            [
                "| zolang uw account actief is en daarna nog 30 dagen |",
                "Bewaartermijn: - Facturen bewaren we 7 jaar: fiscale bewaarplicht.",
                "Na 30 dagen: ingekort tot /24 (IP-adres).",
            ],
            id="nl",
        ),
        pytest.param(
            "en",
            [
                "| as long as your account is active, and 30 days after it is closed |",
                "Retention: - We keep invoices for 7 years: tax retention duty.",
                "After 30 days: truncated to /24 (IP address).",
            ],
            id="en",
        ),
    ],
)
def test_p20_l34_l23_retention_is_in_words_with_its_legal_hold_and_minimisation(
    lang: str, expected: list[str]
) -> None:
    text = _squashed(render_policy_text(_small(), lang=lang, fmt=Format.MARKDOWN))
    for wording in expected:
        assert wording in text.replace("**", "")
    html = _page(render_policy_text(_small(), lang=lang, fmt=Format.HTML)).text
    for wording in expected[1:]:
        assert wording.replace(": - ", ": ") in _squashed(html)


def test_p20_retention_counted_from_collection_reads_as_months_after_collection() -> None:
    policy = _small(retention={"starts": "collection", "period": "P12M"})
    text = render_policy_text(policy, lang="nl", fmt=Format.MARKDOWN)
    assert "| 12 maanden na verzameling |" in text
    assert "Bewaartermijn:" not in text  # no hold, nothing beyond the table's rule


def test_l76_retention_that_applies_to_some_categories_names_them() -> None:
    policy = _small(retention={"starts": "collection", "period": "P5Y", "applies_to": ["invoice"]})
    html = render_policy_text(policy, lang="nl", fmt=Format.HTML)
    # P12: only the named categories are kept that long; the overview says so
    assert _tables(html)[0][1][3] == (
        "Facturen: 5 jaar na verzameling; de andere gegevens alleen zolang hun eigen doel "
        "dat vraagt"
    )


def test_l79_l80_requirement_profiling_and_automated_assessment_are_in_the_details() -> None:
    policy = _small(
        requirement={"nl": "Zonder e-mailadres geen account.", "en": "No account without it."},
        profiling={"nl": "We geven een risicoscore.", "en": "We score the risk."},
        automated_decision=True,
    )
    text = _squashed(_page(render_policy_text(policy, lang="nl", fmt=Format.HTML)).text)
    assert "Moet u deze gegevens geven? Zonder e-mailadres geen account." in text
    assert "Profilering: We geven een risicoscore." in text
    assert "Geautomatiseerde beoordeling:" in text and "art. 22 AVG" in text


# --- the tables -----------------------------------------------------------------------------------


def _tables(html: str) -> list[list[list[str]]]:
    """Each table as rows of cell texts, the header row first."""
    tables = []
    for table in re.findall(r"<table>(.*?)</table>", html, flags=re.S):
        rows = re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)
        tables.append(
            [
                [
                    _squashed(html_lib.unescape(re.sub(r"<[^>]+>", "", c)))
                    for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r)
                ]
                for r in rows
            ]
        )
    return tables


def _overview_rows(html: str) -> dict[str, list[str]]:
    part = html[html.index('<section id="overview"') :]
    table = _tables(part[: part.index("</table>") + len("</table>")])[0]
    return {row[0]: row for row in table[1:]}


def test_the_overview_table_has_a_row_per_activity_in_five_columns() -> None:
    html = _rendered("nl", Format.HTML)
    overview = html[html.index('<section id="overview"') :]
    table = _tables(overview)[0]
    assert table[0] == ["Waarvoor", "Welke gegevens", "Grondslag", "Hoe lang", "Wie krijgt ze"]
    policy = _shipped()
    assert [row[0] for row in table[1:]] == [a.name.nl for a in policy.activities]
    account = next(row for row in table if row[0] == policy.activity("account").name.nl)
    assert account[2] == "uitvoering van een overeenkomst (art. 6 lid 1 onder b AVG)"
    assert account[3] == "zolang uw account actief is en daarna nog 30 dagen"
    assert "<caption" in overview[: overview.index("</table>")]
    assert '<th scope="col">' in overview and '<th scope="row">' in overview


def test_p12_an_activity_without_recipients_says_it_stays_with_our_own_staff() -> None:
    html = render_policy_text(_small(), lang="nl", fmt=Format.HTML)
    row = _tables(html)[0][1]
    assert row[-1] == "alleen intern"
    recipients = next(s for s in _page(html).sections if s.anchor == "recipients")
    # P12: the seed said "alleen intern" beside a list of recipients; the table is that list
    assert "We geven uw gegevens alleen aan de ontvangers in deze tabel" in _squashed(
        recipients.text
    )
    assert "binnen ons bedrijf" not in _squashed(recipients.text)


def test_the_recipients_table_names_each_recipient_with_role_country_and_safeguard() -> None:
    policy = _small(recipients=["stats"])
    html = render_policy_text(policy, lang="nl", fmt=Format.HTML)
    section = html[html.index('<section id="recipients"') :]
    table = _tables(section)[0]
    assert table[0] == ["Naam", "Rol", "Land", "Wat ze krijgen", "Waarborg"]
    assert table[1][:3] == ["Stats Inc.", "verwerker", "Verenigde Staten"]
    assert table[1][3] == "Statistieken."
    assert "standaardcontractbepalingen" in table[1][4]


def test_l82_a_joint_controller_shows_the_essence_of_the_arrangement() -> None:
    policy = Policy.model_validate(
        {
            **_small().model_dump(mode="json", exclude_none=True),
            "recipients": [
                {
                    "id": "stats",
                    "name": "Netwerk Ltd.",
                    "role": "joint_controller",
                    "description": {"nl": "Een knop.", "en": "A button."},
                    "arrangement": {"nl": "Netwerk beantwoordt uw vragen.", "en": "They answer."},
                }
            ],
        }
    ).model_copy()
    policy = policy.model_copy(
        update={"activities": (policy.activities[0].model_copy(update={"recipients": ("stats",)}),)}
    )
    text = _squashed(_page(render_policy_text(policy, lang="nl", fmt=Format.HTML)).text)
    assert "Wat we hebben afgesproken: Netwerk beantwoordt uw vragen." in text


@pytest.mark.parametrize("lang", LANGS)
def test_p14_the_cookie_tables_list_every_cookie_necessary_apart_from_consent(lang: str) -> None:
    policy = _shipped()
    html = _rendered(lang, Format.HTML)
    section = html[html.index('<section id="cookies"') :]
    section = section[: section.index("</section>")]
    tables = _tables(section)
    captions = re.findall(r"<caption[^>]*>(.*?)</caption>", section)
    assert captions == [
        _t(lang, "Strictly necessary (always on)"),
        _t(lang, "Only with your consent"),
    ]
    necessary = {row[0] for row in tables[0][1:]}
    consent = {row[0] for row in tables[1][1:]}
    for activity in policy.activities:
        names = {c.name for c in activity.cookies}
        target = consent if activity.legal_basis is LegalBasis.CONSENT else necessary
        assert {n for n in target if n.split(" (")[0] in names} or not names, activity.id
        for cookie in activity.cookies:
            row = next(r for t in tables for r in t[1:] if r[0].split(" (")[0] == cookie.name)
            party = _t(lang, "our own") if cookie.first_party else _t(lang, "third party")
            assert row[4] == party
            provider = (
                policy.controller.name
                if cookie.recipient is None
                else policy.recipient(cookie.recipient).name
            )
            assert row[1] == provider


def test_a_cookie_row_gives_its_lifetime_and_a_session_cookie_ends_with_the_browser() -> None:
    policy = _small(
        cookies=[
            {"name": "sessie", "purpose": {"nl": "Ingelogd blijven.", "en": "Stay in."}},
            {"name": "taal", "purpose": {"nl": "Uw taal.", "en": "Language."}, "lifetime": "P1Y"},
        ]
    )
    html = render_policy_text(policy, lang="nl", fmt=Format.HTML)
    rows = _tables(html[html.index('<section id="cookies"') :])[0][1:]
    assert rows == [
        ["sessie", "Voorbeeld B.V.", "Ingelogd blijven.", "tot u uw browser sluit", "van ons"],
        ["taal", "Voorbeeld B.V.", "Uw taal.", "1 jaar", "van ons"],
    ]


# --- the sections every statement has -------------------------------------------------------------


@pytest.mark.parametrize(("lang", "fmt"), BOTH)
def test_l58_the_complaint_section_names_the_ap_its_website_and_complaint_page(
    lang: str, fmt: Format
) -> None:
    authority = _shipped().supervisory_authority
    heading = _t(lang, "Complaints")
    section = next(s for s in _sections(lang, fmt) if s.heading == heading)
    for part in (authority.name, authority.website, authority.complaint_url):
        assert part in section.text
    assert ("art. 77 AVG" if lang == "nl" else "GDPR art. 77") in section.text


def test_l58_the_html_complaint_page_is_a_link() -> None:
    page = _page(_rendered("nl", Format.HTML))
    url = _shipped().supervisory_authority.complaint_url
    assert ("a", {"href": url, "rel": "noopener"}) in page.tags


@pytest.mark.parametrize(("lang", "fmt"), BOTH)
def test_p22_l55_l56_the_rights_section_names_each_right_and_its_terms(
    lang: str, fmt: Format
) -> None:
    section = next(s for s in _sections(lang, fmt) if s.heading == _t(lang, "Your rights"))
    text = _squashed(section.text)
    for name, article, _meaning in fixed_text.RIGHTS:
        assert f"{_t(lang, name)} ({_t(lang, article)}):" in text
    assert _shipped().privacy_contact.email in text
    terms = {
        "nl": ["kosteloos", "binnen één maand", "twee maanden langer", "art. 12 lid 3 AVG"],
        "en": ["free", "within one month", "two more months", "GDPR art. 12(3)"],
    }
    for term in terms[lang]:
        assert term in text


@pytest.mark.parametrize(("lang", "fmt"), BOTH)
def test_p18_p19_p21_minors_changes_and_contact_have_their_sections(lang: str, fmt: Format) -> None:
    policy = _shipped()
    by_heading = {s.heading: s for s in _sections(lang, fmt)}
    # the minimum age is the policy file's own: its activity says it, the engine does not
    minors = next(a for a in policy.activities if "P18" in a.promises)
    assert "16" in _activity_section(lang, fmt, minors.name.in_language(lang)).text
    changes = _squashed(by_heading[_t(lang, "Changes to this privacy statement")].text)
    assert ("per e-mail of met een melding op onze website" if lang == "nl" else "by e-mail") in (
        changes
    )
    contact = by_heading[_t(lang, "Contact")]
    assert policy.controller.address.street in contact.text
    assert policy.privacy_contact.email in contact.text
    assert contact.promises == ("P21",)
    assert by_heading[_t(lang, "Changes to this privacy statement")].promises == ("P19",)


@pytest.mark.parametrize("lang", LANGS)
def test_l81_the_dpo_statement_gives_the_assessment(lang: str) -> None:
    officer = _shipped().data_protection_officer
    assert officer is not None
    section = next(s for s in _page(_rendered(lang, Format.HTML)).sections if s.anchor == "dpo")
    assert _squashed(officer.assessment.in_language(lang))[:60] in _squashed(section.text)


def test_an_appointed_dpo_is_named_with_an_address() -> None:
    policy = _small().model_copy(
        update={
            "data_protection_officer": Policy.model_validate(
                {
                    **_small().model_dump(mode="json", exclude_none=True),
                    "data_protection_officer": {
                        "appointed": True,
                        "name": "A. de Vries",
                        "email": "fg@voorbeeld.nl",
                        "assessment": {"nl": "Verplicht.", "en": "Required."},
                    },
                }
            ).data_protection_officer
        }
    )
    text = _squashed(_page(render_policy_text(policy, lang="nl", fmt=Format.HTML)).text)
    assert "Onze functionaris voor gegevensbescherming is A. de Vries." in text
    assert "fg@voorbeeld.nl" in text


def test_the_processor_role_has_its_own_section_when_the_policy_states_it() -> None:
    role = {"nl": "Voor uw websites zijn we verwerker.", "en": "For your sites we are processor."}
    policy = Policy.model_validate(
        {**_small().model_dump(mode="json", exclude_none=True), "processor_role": role}
    )
    page = _page(render_policy_text(policy, lang="nl", fmt=Format.HTML))
    section = next(s for s in page.sections if s.anchor == "processor")
    assert "Voor uw websites zijn we verwerker." in section.text
    assert not [
        s
        for s in _page(render_policy_text(_small(), lang="nl", fmt=Format.HTML)).sections
        if s.anchor == "processor"
    ]


@pytest.mark.parametrize("lang", LANGS)
def test_l37_the_transfer_section_names_each_third_country_transfer_and_safeguard(
    lang: str,
) -> None:
    none = _t(lang, "We do not transfer personal data to countries outside the EEA.")
    transfer = {"recipient": "stats", "country": "US", "safeguard": "scc"}
    policy = _small(recipients=["stats"], transfers=[transfer])
    text = _squashed(render_policy_text(policy, lang=lang, fmt=Format.MARKDOWN))
    country = {"nl": "Verenigde Staten", "en": "United States"}[lang]
    safeguard = {"nl": "standaardcontractbepalingen", "en": "standard contractual clauses"}
    assert f"Stats Inc. ({country}): {safeguard[lang]}" in text
    assert none not in text
    assert none in render_policy_text(_small(), lang=lang, fmt=Format.MARKDOWN)


def test_l37_a_dpf_transfer_names_the_importer_and_the_fallback() -> None:
    transfer = {
        "recipient": "stats",
        "country": "US",
        "safeguard": "dpf",
        "importer": "Stats LLC",
        "fallback": "scc",
    }
    policy = _small(recipients=["stats"], transfers=[transfer])
    text = _squashed(_page(render_policy_text(policy, lang="nl", fmt=Format.HTML)).text)
    assert "Stats Inc. → Stats LLC (Verenigde Staten): het EU-VS Data Privacy Framework" in text
    assert "Vervalt die basis, dan gebruiken we standaardcontractbepalingen" in text


def test_p13_agreements_for_transfers_inside_the_eea_are_stated_apart() -> None:
    transfer = {"recipient": "stats", "country": "CH", "safeguard": "adequacy"}
    policy = _small(recipients=["stats"], transfers=[transfer])
    text = _squashed(_page(render_policy_text(policy, lang="nl", fmt=Format.HTML)).text)
    # Switzerland is no EEA country but adequate: a transfer, named with its decision
    assert "Stats Inc. (Zwitserland): adequaatheidsbesluit" in text
    inside = {"recipient": "stats", "country": "DE", "safeguard": "scc"}
    policy = _small(recipients=["stats"], transfers=[inside])
    text = _squashed(_page(render_policy_text(policy, lang="nl", fmt=Format.HTML)).text)
    assert (
        "Binnen de EER gelden de doorgifteregels van de AVG niet. Toch spreken we dit af:" in text
    )
    assert "Stats Inc. (Duitsland): standaardcontractbepalingen" in text


# --- versions, the twin, what changed -------------------------------------------------------------


def test_the_json_twin_is_linked_in_the_head_when_the_context_has_one() -> None:
    context = StatementContext(json_href="/privacy.json")
    html = render_policy_text(_small(), lang="nl", fmt=Format.HTML, context=context)
    head = html[: html.index("</head>")]
    assert '<link rel="alternate" type="application/ld+json" href="/privacy.json"' in head
    bare = render_policy_text(_small(), lang="nl", fmt=Format.HTML)
    assert "<link" not in bare


def test_an_earlier_version_says_so_and_links_the_current_one() -> None:
    context = StatementContext(current_href="/privacy", versions_href="/privacy/v")
    html = render_policy_text(_small(), lang="nl", fmt=Format.HTML, context=context)
    text = _squashed(_page(html).text)
    assert "Dit is een eerdere versie van deze privacyverklaring. Lees de geldende versie." in text
    assert "/privacy" in _links(html) and "/privacy/v" in _links(html)
    current = render_policy_text(_small(), lang="nl", fmt=Format.HTML)
    assert "eerdere versie" not in current


def test_l49_what_changed_lists_each_material_change_in_public_words() -> None:
    old = _small()
    new = _small(
        retention={"starts": "account_closure", "period": "P90D"},
        recipients=["stats"],
    )
    changes = diff_policies(old, new)
    assert changes.is_material
    context = StatementContext(changes=changes)
    html = render_policy_text(new, lang="nl", fmt=Format.HTML, context=context)
    box = next(s for s in _page(html).sections if s.anchor == "what-changed")
    text = _squashed(box.text)
    assert "Wat is er veranderd" in text
    assert "Uw account: we bewaren gegevens langer of op een andere manier." in text
    assert "Uw account: een andere ontvanger krijgt gegevens." in text
    for change in changes.material:
        assert change.reason not in text  # the diff's English reason is never published


def test_an_editorial_change_shows_no_box() -> None:
    old = _small()
    new = _small(description={"nl": "Anders gezegd.", "en": "Said otherwise."})
    context = StatementContext(changes=diff_policies(old, new))
    html = render_policy_text(new, lang="nl", fmt=Format.HTML, context=context)
    assert 'id="what-changed"' not in html


def test_a_new_activity_is_announced_by_its_name() -> None:
    old = _small()
    extra = {**_small().activities[0].model_dump(mode="json", exclude_none=True), "id": "extra"}
    extra["name"] = {"nl": "Nieuwsbrief", "en": "Newsletter"}
    new = Policy.model_validate(
        {
            **old.model_dump(mode="json", exclude_none=True),
            "activities": [
                old.activities[0].model_dump(mode="json", exclude_none=True),
                extra,
            ],
        }
    )
    context = StatementContext(changes=diff_policies(old, new))
    text = _squashed(render_policy_text(new, lang="nl", fmt=Format.MARKDOWN, context=context))
    assert "- Nieuwsbrief: nieuw." in text


# --- just in time ---------------------------------------------------------------------------------


def test_the_just_in_time_notice_is_the_activitys_notice_without_internal_ids() -> None:
    notice = {"nl": "We gebruiken uw e-mailadres om in te loggen (L2).", "en": "For log-in."}
    policy = _small(notice=notice)
    assert just_in_time(policy, "account", "nl") == "We gebruiken uw e-mailadres om in te loggen."
    assert just_in_time(policy, "account", "en") == "For log-in."
    assert just_in_time(_small(), "account", "nl") is None
    with pytest.raises(KeyError):
        just_in_time(policy, "nope", "nl")


# --- language and form ------------------------------------------------------------------------


def test_the_dutch_text_reads_as_a_dutch_privacy_statement() -> None:
    text = _text("nl", Format.MARKDOWN)
    for word in ("AVG", "Bewaartermijn:", "Grondslag", " uw ", "privacyverklaring"):
        assert word in text
    assert "Legal basis" not in text and "Retention:" not in text


# written here by hand, not read from the catalogue: a lost or mangled translation shows
DUTCH_KEY_PHRASES = [
    "# Privacyverklaring van Flexibelt",
    "Laatst bijgewerkt: 26 november 2026",
    "## In het kort",
    "Leestijd van deze samenvatting:",
    "## Uw recht van bezwaar",
    "Direct marketing: we stoppen altijd, en u hoeft geen reden te geven.",
    "U kunt altijd bezwaar maken per e-mail aan euprivacy@flexibelt.nl.",
    "## Als u klant wordt",
    "**Alle details**",
    "| uitvoering van een overeenkomst (art. 6 lid 1 onder b AVG) |",
    "| toestemming (art. 6 lid 1 onder a AVG) |",
    "Herkomst: door u verstrekt, ontvangen van anderen",
    "| zolang uw account actief is en daarna nog 30 dagen |",
    "Bewaartermijn: - Facturen en boekhoudgegevens bewaren we 7 jaar",
    "Toestemming intrekken: per e-mail aan euprivacy@flexibelt.nl.",
    "## Overzicht",
    "| Waarvoor | Welke gegevens | Grondslag | Hoe lang | Wie krijgt ze |",
    "## Wie uw gegevens krijgt",
    "| Naam | Rol | Land | Wat ze krijgen | Waarborg |",
    "## Cookies en vergelijkbare technieken",
    "## Uw rechten",
    "Inzage (art. 15 AVG):",
    "Toestemming intrekken (art. 7 lid 3 AVG):",
    "Intrekken is net zo makkelijk als toestemming geven.",
    "We reageren binnen één maand.",
    "## Klacht indienen",
    "## Functionaris voor gegevensbescherming",
    "## Wijzigingen in deze privacyverklaring",
    "## Contact",
    "Verwerkingsverantwoordelijke: Flexibelt, Oosterheemplein 2a, 2721 NA Zoetermeer, Nederland.",
]


@pytest.mark.parametrize("phrase", DUTCH_KEY_PHRASES)
def test_the_dutch_statement_says_its_key_phrases_as_written(phrase: str) -> None:
    assert phrase.replace("**", "") in _squashed(_text("nl", Format.MARKDOWN))


@pytest.mark.parametrize("lang", LANGS)
def test_l6_the_html_page_is_well_formed_accessible_and_self_contained(lang: str) -> None:
    html = _rendered(lang, Format.HTML)
    page = _page(html)
    assert page.faults == []
    assert html.startswith("<!DOCTYPE html>")
    assert [attrs.get("lang") for tag, attrs in page.tags if tag == "html"] == [lang]
    assert [tag for tag, _ in page.tags].count("h1") == 1
    assert ("main", {"id": "main"}) in page.tags
    # no external assets: nothing is loaded, every link is an ordinary anchor
    assert not any(tag in {"script", "link", "img", "iframe"} for tag, _ in page.tags)
    assert not any("src" in attrs for _, attrs in page.tags)
    anchors = {attrs["id"] for _, attrs in page.tags if attrs.get("id")}
    local = [a["href"] for t, a in page.tags if t == "a" and (a.get("href") or "").startswith("#")]
    assert local and all(href[1:] in anchors for href in local)
    # every table has a caption and headers with a scope; every <details> a <summary>
    tags = [tag for tag, _ in page.tags]
    assert tags.count("table") == tags.count("caption") > 0
    assert all(a.get("scope") in {"col", "row"} for t, a in page.tags if t == "th")
    assert tags.count("details") == tags.count("summary")


def test_html_escapes_what_the_policy_file_says() -> None:
    policy = _small(description={"nl": "<script>alert(1)</script>", "en": "x & y"})
    html = render_policy_text(policy, lang="nl", fmt=Format.HTML)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "x &amp; y" in render_policy_text(policy, lang="en", fmt=Format.HTML)


@pytest.mark.parametrize("lang", LANGS)
def test_markdown_has_a_heading_for_every_section_and_activity(lang: str) -> None:
    text = _rendered(lang, Format.MARKDOWN)
    title = _t(lang, "Privacy statement of {controller}").format(
        controller=_shipped().controller.name
    )
    assert text.startswith(f"# {title}\n")
    for heading in (
        "In short",
        "Your right to object",
        "Overview",
        "Who gets your data",
        "Cookies and similar technologies",
        "Transfers outside the European Economic Area",
        "Your rights",
        "Complaints",
        "Data protection officer",
        "Changes to this privacy statement",
        "Contact",
    ):
        assert f"\n## {_t(lang, heading)}\n" in text
    for situation in _shipped().situations:
        assert f"\n## {situation.title.in_language(lang)}\n" in text
    for activity in _shipped().activities:
        assert f"\n### {activity.name.in_language(lang)}\n" in text
    assert "\n\n\n" not in text


def test_markdown_tables_have_no_blank_line_inside() -> None:
    text = _rendered("nl", Format.MARKDOWN)
    block = text[text.index("| Waarvoor |") :]
    block = block[: block.index("\n\n")]
    assert block.count("\n") == len(_shipped().activities) + 1  # header, rule, one per row


def test_the_document_keeps_the_activity_sections_the_centre_pages_read() -> None:
    # privaat.web.pages.holdings reads each activity's section by anchor: its description
    # and the facts "Purposes", "Legal basis", "Our legitimate interest", "Retention"
    document = policy_document(_shipped(), "en")
    found = {}
    stack = list(document.sections)
    while stack:
        section = stack.pop()
        found[section.anchor] = section
        stack.extend(section.subsections)
    for activity in _shipped().activities:
        section = found[f"activity-{activity.id}"]
        assert section.paragraphs[0] == activity.description.en
        labels = {fact.label for fact in section.facts}
        assert {"Purposes", "Legal basis", "Retention"} <= labels


def test_the_language_switch_links_the_other_language_only() -> None:
    links = {"nl": "/privacy?lang=nl", "en": "/privacy?lang=en"}
    context = StatementContext(language_links=links)
    page = _page(render_policy_text(_small(), lang="en", fmt=Format.HTML, context=context))
    anchors = [attrs for tag, attrs in page.tags if tag == "a" and attrs.get("hreflang")]
    assert anchors == [{"href": "/privacy?lang=nl", "hreflang": "nl", "lang": "nl"}]
    assert ("span", {"lang": "en", "aria-current": "page"}) in page.tags
    markdown = render_policy_text(_small(), lang="nl", fmt=Format.MARKDOWN, context=context)
    assert "Nederlands · [English](/privacy?lang=en)" in markdown


def test_an_unsupported_language_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unsupported language 'fr'"):
        render_policy_text(_small(), lang="fr", fmt=Format.HTML)


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        pytest.param("en-GB", "en", id="en-GB"),
        pytest.param("nl-BE", "nl", id="nl-BE"),
        pytest.param("fr", "nl", id="fr-default"),
        pytest.param(None, "nl", id="no-header"),
        pytest.param("", "nl", id="empty"),
        pytest.param("fr-FR, fr;q=0.9, en;q=0.5", "en", id="second-choice"),
        pytest.param("nl;q=0.2, en;q=0.8", "en", id="by-weight"),
        pytest.param("en;q=0, nl;q=0.1", "nl", id="q-zero-excluded"),
        pytest.param("EN-us", "en", id="case-insensitive"),
        pytest.param("*", "nl", id="wildcard"),
        pytest.param("en;q=abc, ;;,", "nl", id="malformed"),
    ],
)
def test_accept_language_is_negotiated_with_dutch_as_the_default(
    header: str | None, lang: str
) -> None:
    assert negotiate_language(header) == lang


def test_a_recipient_moving_country_is_announced_with_its_name() -> None:
    old = _small(recipients=["stats"])
    data = old.model_dump(mode="json", exclude_none=True)
    data["recipients"][0]["country"] = "CA"
    new = Policy.model_validate(data)
    context = StatementContext(changes=diff_policies(old, new))
    text = _squashed(render_policy_text(new, lang="nl", fmt=Format.MARKDOWN, context=context))
    assert "- Een ontvanger is veranderd: Stats Inc. " in text  # one full stop after "Inc."


# --- situations -----------------------------------------------------------------------------------


def test_without_situations_the_activities_stand_under_one_heading() -> None:
    page = _page(render_policy_text(_small(), lang="nl", fmt=Format.HTML))
    section = next(s for s in page.sections if s.anchor == "situation-other")
    assert section.heading == "Welke persoonsgegevens we verwerken en waarom"


def test_an_activity_without_a_situation_goes_in_a_last_section() -> None:
    data = _small().model_dump(mode="json", exclude_none=True)
    second = {**data["activities"][0], "id": "second", "name": {"nl": "Tweede", "en": "Second"}}
    data["activities"][0]["situation"] = "buying"
    data["activities"].append(second)
    data["situations"] = [{"id": "buying", "title": {"nl": "Als u iets koopt", "en": "Buying"}}]
    page = _page(render_policy_text(Policy.model_validate(data), lang="nl", fmt=Format.HTML))
    anchors = [s.anchor for s in page.sections if s.anchor.startswith("situation-")]
    assert anchors == ["situation-buying", "situation-other"]
    last = next(s for s in page.sections if s.anchor == "situation-other")
    assert last.heading == "Overige verwerkingen" and "Tweede" in last.text
