"""Every item GDPR art. 13 and 14 ask of the statement is in it: where (its anchor), and a check
of its content on the shipped Flexibelt policy (issue 9: shorter, without losing an item).

Each row names the article, the section a reader finds it in, and what must be there. The
checks read the rendered Dutch HTML page back; the expected words come from the policy file
and from the hand-written Dutch below, never from the renderer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import pytest
from tests.unit.render.test_policy_text import _page, _squashed, _tables

from privaat.policy.loader import load_policy_file
from privaat.policy.ropa import in_third_country
from privaat.policy.schema import DataSource, LegalBasis, Policy
from privaat.policy.wording import retention_in_words
from privaat.render.policy_text import PUBLIC_RETENTION, Format, render_policy_text
from privaat.settings import default_policy_file

# the bases the overview table gives, by hand, with their articles
BASIS = {
    LegalBasis.CONSENT: "toestemming (art. 6 lid 1 onder a AVG)",
    LegalBasis.CONTRACT: "uitvoering van een overeenkomst (art. 6 lid 1 onder b AVG)",
    LegalBasis.LEGAL_OBLIGATION: "wettelijke verplichting (art. 6 lid 1 onder c AVG)",
    LegalBasis.LEGITIMATE_INTEREST: "gerechtvaardigd belang (art. 6 lid 1 onder f AVG)",
}


@cache
def _policy() -> Policy:
    return load_policy_file(default_policy_file())


@cache
def _html() -> str:
    return render_policy_text(_policy(), lang="nl", fmt=Format.HTML)


@cache
def _section(anchor: str) -> str:
    page = _page(_html())
    matches = [s for s in page.sections if s.anchor == anchor]
    assert len(matches) == 1, f"#{anchor}: {len(matches)} sections"
    return _squashed(matches[0].text)


def _activity(activity_id: str) -> str:
    return _section(f"activity-{activity_id}")


@cache
def _overview() -> dict[str, list[str]]:
    """The overview table: activity name → its row."""
    html = _html()
    part = html[html.index('<section id="overview"') :]
    table = _tables(part[: part.index("</table>") + len("</table>")])[0]
    assert table[0] == ["Waarvoor", "Welke gegevens", "Grondslag", "Hoe lang", "Wie krijgt ze"]
    return {row[0]: row for row in table[1:]}


def _start(text: str) -> str:
    """The first 60 characters of a text of the file, as the page shows it: its internal
    references such as "(L45)" stay out of the public words."""
    return _squashed(re.sub(r"\s*\((?:[LP]\d+[;,]?\s*)+\)", "", text))[:60]


# --- one check per item ---------------------------------------------------------------------------


def _controller() -> None:  # 13(1)(a)
    controller, text = _policy().controller, _section("contact")
    assert f"Verwerkingsverantwoordelijke: {controller.name}, {controller.address.street}" in text
    assert controller.email in text
    assert controller.name in _section("in-short")


def _dpo() -> None:  # 13(1)(b)
    officer = _policy().data_protection_officer
    assert officer is not None, "the policy must say whether it appointed a DPO (art. 37)"
    text = _section("dpo")
    if officer.appointed:
        assert officer.name and officer.name in text and officer.email and officer.email in text
    assert _start(officer.assessment.nl) in text
    assert _policy().privacy_contact.email in _section("contact")


def _purposes_and_bases() -> None:  # 13(1)(c)
    for activity in _policy().activities:
        row = _overview()[activity.name.nl]
        assert row[2] == BASIS[activity.legal_basis], activity.id
        # the purpose in words: the activity's name heads its row, its description its section
        assert f"{activity.name.nl} {_start(activity.description.nl)}" in _activity(activity.id)


def _legitimate_interests() -> None:  # 13(1)(d)
    found = 0
    for activity in _policy().activities:
        if activity.legal_basis is LegalBasis.LEGITIMATE_INTEREST:
            assert activity.legitimate_interest is not None
            text = _activity(activity.id)
            assert f"Ons gerechtvaardigd belang: {_start(activity.legitimate_interest.nl)}" in text
            found += 1
    assert found >= 5  # login security, fraud, support, analytics, ...


def _recipients() -> None:  # 13(1)(e)
    policy, text = _policy(), _section("recipients")
    named = {r for a in policy.activities for r in a.recipients}
    for recipient_id in named:
        recipient = policy.recipient(recipient_id)
        assert recipient.name in text
        assert _start(recipient.description.nl) in text
    for activity in policy.activities:
        row = _overview()[activity.name.nl]
        if activity.recipients:
            for recipient_id in activity.recipients:
                assert policy.recipient(recipient_id).name in row[4]
        else:
            assert row[4] == "alleen intern"  # P12


def _transfers() -> None:  # 13(1)(f)
    policy, text = _policy(), _section("transfers")
    outside = [t for a in policy.activities for t in a.transfers if in_third_country(t.country)]
    assert outside, "Google Analytics' data goes to the US"
    for transfer in outside:
        assert policy.recipient(transfer.recipient).name in text
        if transfer.importer:
            assert transfer.importer in text
    assert "Verenigde Staten" in text
    assert "art. 44-49 AVG" in text


def _retention() -> None:  # 13(2)(a)
    for activity in _policy().activities:
        row = _overview()[activity.name.nl]
        rule = retention_in_words(activity.retention, "nl", PUBLIC_RETENTION)
        if activity.retention.applies_to:  # only the log is kept that long (P12)
            assert row[3].startswith("Verstrekkingslog") and rule in row[3], activity.id
        else:
            assert row[3] == rule, activity.id
        text = _activity(activity.id)
        if activity.retention.legal_holds:
            assert "Bewaartermijn: " in text
        for hold in activity.retention.legal_holds:
            assert _start(hold.ground.nl)[1:40].lower() in text.lower(), activity.id


def _rights() -> None:  # 13(2)(b)
    text = _section("rights")
    for right in (
        "Inzage (art. 15 AVG)",
        "Rectificatie (art. 16 AVG)",
        "Wissen (art. 17 AVG)",
        "Beperking van de verwerking (art. 18 AVG)",
        "Overdraagbaarheid (art. 20 AVG)",
        "Bezwaar (art. 21 AVG)",
    ):
        assert f"{right}:" in text
    assert _policy().privacy_contact.email in text


def _withdrawal() -> None:  # 13(2)(c)
    consent = [a for a in _policy().activities if a.legal_basis is LegalBasis.CONSENT]
    assert consent
    for activity in consent:
        assert "Toestemming intrekken: " in _activity(activity.id)
    assert "Toestemming intrekken (art. 7 lid 3 AVG):" in _section("rights")
    assert "Wat we deden voordat u introk, blijft rechtmatig" in _section("rights")


def _complaint() -> None:  # 13(2)(d)
    authority, text = _policy().supervisory_authority, _section("complaint")
    assert f"klacht indienen bij de {authority.name}" in text
    assert authority.complaint_url in text


def _requirement() -> None:  # 13(2)(e)
    given = [a for a in _policy().activities if DataSource.DATA_SUBJECT in a.sources]
    missing = [a.id for a in given if a.requirement is None]
    assert missing == [], "the person provides the data: say if it is required (L79)"
    for activity in given:
        assert activity.requirement is not None
        assert f"Moet u deze gegevens geven? {_start(activity.requirement.nl)}" in _activity(
            activity.id
        )


def _automated_decisions_and_profiling() -> None:  # 13(2)(f)
    profiling = [a for a in _policy().activities if a.profiling is not None]
    assert profiling, "the fraud score and the marketing selection profile (art. 4(4))"
    for activity in profiling:
        assert activity.profiling is not None
        assert f"Profilering: {_start(activity.profiling.nl)}" in _activity(activity.id)
    for activity in _policy().activities:
        if activity.automated_decision:
            assert "Geautomatiseerde beoordeling: " in _activity(activity.id)
            assert "art. 22 AVG" in _activity(activity.id)


def _categories() -> None:  # 14(1)(d)
    policy = _policy()
    for activity in policy.activities:
        row = _overview()[activity.name.nl]
        for category_id in activity.data_categories:
            name = policy.category(category_id).name.nl
            assert name[1:].lower() in row[1].lower(), (activity.id, category_id)


def _sources() -> None:  # 14(2)(f)
    words = {
        DataSource.DATA_SUBJECT: "door u verstrekt",
        DataSource.OBSERVED: "vastgelegd wanneer u onze diensten gebruikt",
        DataSource.DERIVED: "door ons afgeleid",
        DataSource.THIRD_PARTY: "ontvangen van anderen",
    }
    received = [a for a in _policy().activities if DataSource.THIRD_PARTY in a.sources]
    assert received, "minors reported by others, data from social networks (P17)"
    for activity in _policy().activities:
        text = _activity(activity.id)
        if set(activity.sources) <= {DataSource.DATA_SUBJECT, DataSource.OBSERVED}:
            continue  # art. 13: collected from the person, no source to name
        for source in activity.sources:
            assert "Herkomst: " in text and words[source] in text, (activity.id, source)


def _objection_box() -> None:  # 21(4)
    text = _section("objection")
    for activity in _policy().activities:
        if activity.objection.possible:
            assert activity.name.nl in text, activity.id
    assert text.index("Direct marketing") < text.index("Hiermee stoppen we altijd")


@dataclass(frozen=True)
class Item:
    article: str
    anchor: str  # where a reader finds it: the section, or the first activity's section
    check: Callable[[], None]


ITEMS = (
    Item("13(1)(a) identity and contact details of the controller", "contact", _controller),
    Item("13(1)(b) contact details of the data protection officer", "dpo", _dpo),
    Item("13(1)(c) purposes and legal basis", "overview", _purposes_and_bases),
    Item("13(1)(d) the legitimate interests", "activity-login_security", _legitimate_interests),
    Item("13(1)(e) recipients", "recipients", _recipients),
    Item("13(1)(f) transfers to third countries and safeguards", "transfers", _transfers),
    Item("13(2)(a) retention period", "overview", _retention),
    Item("13(2)(b) the rights of art. 15-21", "rights", _rights),
    Item("13(2)(c) withdrawing consent", "rights", _withdrawal),
    Item("13(2)(d) complaint to a supervisory authority", "complaint", _complaint),
    Item(
        "13(2)(e) whether the data is required, and the consequences",
        "activity-account",
        _requirement,
    ),
    Item(
        "13(2)(f) automated decisions and profiling",
        "activity-fraud_detection",
        _automated_decisions_and_profiling,
    ),
    Item("14(1)(d) categories of personal data", "overview", _categories),
    Item("14(2)(f) source of the data", "activity-minor_protection", _sources),
    Item("21(4) the right to object, apart from the rest", "objection", _objection_box),
)


@pytest.mark.parametrize("item", ITEMS, ids=[i.article.split(" ")[0] for i in ITEMS])
def test_an_article_13_14_item_is_in_the_statement_where_the_table_says(item: Item) -> None:
    assert f'id="{item.anchor}"' in _html()
    item.check()


def test_every_item_of_articles_13_and_14_is_listed() -> None:
    wanted = {
        "13(1)(a)", "13(1)(b)", "13(1)(c)", "13(1)(d)", "13(1)(e)", "13(1)(f)",
        "13(2)(a)", "13(2)(b)", "13(2)(c)", "13(2)(d)", "13(2)(e)", "13(2)(f)",
        "14(1)(d)", "14(2)(f)",
    }  # fmt: skip
    assert wanted <= {item.article.split(" ")[0] for item in ITEMS}
