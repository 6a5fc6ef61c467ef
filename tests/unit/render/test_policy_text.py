"""The public privacy policy rendered from the policy file: every promise, basis and right."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from typing import Any

import pytest

from privaat.i18n import translations
from privaat.policy.loader import load_policy_file
from privaat.policy.schema import LegalBasis, Policy
from privaat.policy.wording import legal_basis_words
from privaat.render import fixed_text
from privaat.render.language import negotiate_language
from privaat.render.policy_text import WITHDRAWAL_CHANNEL_WORDS, Format, render_policy_text
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
    assert position < text.find(_t(lang, "What personal data we process and why"))
    assert position < text.find(_shipped().controller.address.street)  # before the intro


# --- each activity --------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "fmt"), BOTH)
def test_l1_each_activity_states_its_legal_basis_in_words_with_the_article(
    lang: str, fmt: Format
) -> None:
    label = _t(lang, "Legal basis")
    for activity in _shipped().activities:
        section = _activity_section(lang, fmt, activity.name.in_language(lang))
        basis = legal_basis_words(activity.legal_basis, lang)
        assert f"{label}: {basis}" in _squashed(section.text), activity.id


@pytest.mark.parametrize(
    ("lang", "wording"),
    [
        pytest.param(
            "nl", "Grondslag: uitvoering van een overeenkomst (art. 6 lid 1 onder b AVG)", id="nl"
        ),
        pytest.param("en", "Legal basis: performance of a contract (GDPR art. 6(1)(b))", id="en"),
    ],
)
def test_p1_the_account_is_kept_on_the_contract(lang: str, wording: str) -> None:
    account = next(a for a in _shipped().activities if "P1" in a.promises)
    for fmt in Format:
        assert wording in _squashed(
            _activity_section(lang, fmt, account.name.in_language(lang)).text
        )


@pytest.mark.parametrize(("lang", "fmt"), BOTH)
def test_p4_l10_every_consent_based_activity_says_how_to_withdraw(lang: str, fmt: Format) -> None:
    policy = _shipped()
    consent_based = [a for a in policy.activities if a.legal_basis is LegalBasis.CONSENT]
    assert consent_based
    for activity in consent_based:
        assert activity.consent is not None
        text = _squashed(_activity_section(lang, fmt, activity.name.in_language(lang)).text)
        assert f"{_t(lang, 'Withdrawing consent')}:" in text
        for channel in activity.consent.channels:
            how = _t(lang, WITHDRAWAL_CHANNEL_WORDS[channel])
            assert how.format(email=policy.privacy_contact.email) in text, (activity.id, channel)
        assert _t(lang, fixed_text.WITHDRAW_EFFECT) in text


@pytest.mark.parametrize(("lang", "fmt"), BOTH)
def test_l67_every_legitimate_interest_states_the_interest_and_how_to_object(
    lang: str, fmt: Format
) -> None:
    objecting = _t(lang, "Objecting")
    for activity in _shipped().activities:
        if activity.legal_basis is not LegalBasis.LEGITIMATE_INTEREST:
            continue
        assert activity.legitimate_interest is not None and activity.objection.how is not None
        text = _squashed(_activity_section(lang, fmt, activity.name.in_language(lang)).text)
        assert _squashed(activity.legitimate_interest.in_language(lang)) in text
        assert f"{objecting}: {_squashed(activity.objection.how.in_language(lang))}" in text


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        pytest.param(
            "nl",
            [
                "Bewaartermijn: zolang uw account actief is en daarna nog 30 dagen",
                "Facturen bewaren wij 7 jaar: fiscale bewaarplicht.",
                "Na 30 dagen: ingekort tot /24 (IP-adres).",
            ],
            id="nl",
        ),
        pytest.param(
            "en",
            [
                "Retention: as long as your account is active, and 30 days after it is closed",
                "We keep invoices for 7 years: tax retention duty.",
                "After 30 days: truncated to /24 (IP address).",
            ],
            id="en",
        ),
    ],
)
def test_p20_l34_l23_retention_is_in_words_with_its_legal_hold_and_minimisation(
    lang: str, expected: list[str]
) -> None:
    for fmt in Format:
        rendered = render_policy_text(_small(), lang=lang, fmt=fmt)
        text = _page(rendered).text if fmt is Format.HTML else rendered.replace("**", "")
        for wording in expected:
            assert wording in _squashed(text)


def test_p20_retention_counted_from_collection_reads_as_months_after_collection() -> None:
    policy = _small(retention={"starts": "collection", "period": "P12M"})
    text = render_policy_text(policy, lang="nl", fmt=Format.MARKDOWN)
    assert "Bewaartermijn:** 12 maanden na verzameling" in text


# --- the sections every policy has --------------------------------------------------------------


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
def test_p22_l55_l56_the_rights_section_says_how_each_right_is_exercised(
    lang: str, fmt: Format
) -> None:
    section = next(s for s in _sections(lang, fmt) if s.heading == _t(lang, "Your rights"))
    text = _squashed(section.text)
    for name, article, _how in fixed_text.RIGHTS:
        assert f"{_t(lang, name)} ({_t(lang, article)}):" in text
    assert _shipped().privacy_contact.email in text
    terms = {
        "nl": ["kosteloos", "binnen één maand", "met twee maanden verlengen", "art. 12 lid 3 AVG"],
        "en": ["free of charge", "within one month", "by two further months", "GDPR art. 12(3)"],
    }
    for term in terms[lang]:
        assert term in text


@pytest.mark.parametrize(("lang", "fmt"), BOTH)
def test_p18_p19_p21_children_changes_and_contact_have_their_sections(
    lang: str, fmt: Format
) -> None:
    policy = _shipped()
    by_heading = {s.heading: s for s in _sections(lang, fmt)}
    assert "16" in by_heading[_t(lang, "Children")].text
    changes = _squashed(by_heading[_t(lang, "Changes to this policy")].text)
    assert ("per e-mail of met een melding op onze website" if lang == "nl" else "by e-mail") in (
        changes
    )
    contact = by_heading[_t(lang, "Contact")]
    assert policy.controller.address.street in contact.text
    assert policy.privacy_contact.email in contact.text
    assert contact.promises == ("P21",)
    assert by_heading[_t(lang, "Changes to this policy")].promises == ("P19",)


@pytest.mark.parametrize(("lang", "fmt"), BOTH)
def test_p14_the_cookie_section_separates_necessary_cookies_from_consent_ones(
    lang: str, fmt: Format
) -> None:
    policy = _shipped()
    heading = _t(lang, "Cookies and similar technologies")
    section = next(s for s in _sections(lang, fmt) if s.heading == heading)
    necessary, _, consent = section.text.partition(_t(lang, "Only with your consent"))
    assert _t(lang, "Strictly necessary (always on)") in necessary
    for activity in (a for a in policy.activities if a.cookies):
        name = activity.name.in_language(lang) + ":"
        if activity.legal_basis is LegalBasis.CONSENT:
            assert name in consent and name not in necessary, activity.id
        else:
            assert name in necessary and name not in consent, activity.id
    assert _t(lang, fixed_text.COOKIES_SETTINGS) in _squashed(section.text)


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


# --- language and form ------------------------------------------------------------------------


def test_the_dutch_text_reads_as_a_dutch_privacy_statement() -> None:
    text = _text("nl", Format.MARKDOWN)
    for word in ("AVG", "verwerkingsverantwoordelijke", "Bewaartermijn:", "Grondslag:", " uw "):
        assert word in text
    assert "Legal basis" not in text and "Retention:" not in text


# written here by hand, not read from the catalogue: a lost or mangled translation shows
DUTCH_KEY_PHRASES = [
    "# Privacyverklaring van Flexibelt",
    "Laatst bijgewerkt: 26 november 2026",
    "## Welke persoonsgegevens wij verwerken en waarom",
    "Doelen:",
    "Grondslag: uitvoering van een overeenkomst (art. 6 lid 1 onder b AVG)",
    "Grondslag: toestemming (art. 6 lid 1 onder a AVG)",
    "Herkomst: door u verstrekt",
    "Bewaartermijn: zolang uw account actief is",
    "Ontvangers:",
    "Toestemming intrekken:",
    "U kunt uw toestemming op elk moment intrekken",
    "Intrekken is net zo eenvoudig als toestemming geven.",
    "## Cookies en vergelijkbare technieken",
    "## Kinderen",
    "niet bedoeld voor personen jonger dan 16 jaar",
    "## Uw rechten",
    "Inzage (art. 15 AVG):",
    "Toestemming intrekken (art. 7 lid 3 AVG):",
    "Wij reageren binnen één maand na ontvangst van uw verzoek.",
    "## Klacht indienen",
    "## Wijzigingen in deze privacyverklaring",
    "## Contact",
    "Verwerkingsverantwoordelijke: Flexibelt, Oosterheemplein 2a, 2721 NA Zoetermeer, Nederland.",
]


@pytest.mark.parametrize("phrase", DUTCH_KEY_PHRASES)
def test_the_dutch_policy_says_its_key_phrases_as_written(phrase: str) -> None:
    assert phrase in _squashed(_text("nl", Format.MARKDOWN))


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


def test_html_escapes_what_the_policy_file_says() -> None:
    policy = _small(description={"nl": "<script>alert(1)</script>", "en": "x & y"})
    html = render_policy_text(policy, lang="nl", fmt=Format.HTML)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "x &amp; y" in render_policy_text(policy, lang="en", fmt=Format.HTML)


@pytest.mark.parametrize("lang", LANGS)
def test_markdown_has_a_heading_for_every_section_and_activity(lang: str) -> None:
    text = _rendered(lang, Format.MARKDOWN)
    title = _t(lang, "Privacy policy of {controller}").format(controller=_shipped().controller.name)
    assert text.startswith(f"# {title}\n")
    for heading in (
        "What personal data we process and why",
        "Cookies and similar technologies",
        "Children",
        "Transfers outside the European Economic Area",
        "Your rights",
        "Complaints",
        "Changes to this policy",
        "Contact",
    ):
        assert f"\n## {_t(lang, heading)}\n" in text
    for activity in _shipped().activities:
        assert f"\n### {activity.name.in_language(lang)}\n" in text
    assert "\n\n\n" not in text


def test_the_language_switch_links_the_other_language_only() -> None:
    links = {"nl": "/privacy?lang=nl", "en": "/privacy?lang=en"}
    page = _page(render_policy_text(_small(), lang="en", fmt=Format.HTML, language_links=links))
    anchors = [attrs for tag, attrs in page.tags if tag == "a" and attrs.get("hreflang")]
    assert anchors == [{"href": "/privacy?lang=nl", "hreflang": "nl", "lang": "nl"}]
    assert ("span", {"lang": "en", "aria-current": "page"}) in page.tags
    markdown = render_policy_text(_small(), lang="nl", fmt=Format.MARKDOWN, language_links=links)
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
