"""docs/promises-vs-statement.md stays true (issue 9, the Check): a row per promise of the policy's
catalogue, each anchor in the rendered statement with the promise on its first section, each
cited L-id in the policy file, each live channel a page the app serves."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from starlette.routing import Match
from tests.unit.render.test_policy_text import _page, _squashed

from privaat.policy.loader import load_policy_file
from privaat.policy.schema import Policy
from privaat.render.policy_text import Format, render_policy_text
from privaat.render.statement_context import StatementContext
from privaat.settings import default_policy_file
from privaat.web.app import route_table
from privaat.web.channels import offered

ROOT = Path(__file__).resolve().parents[3]
TABLE = ROOT / "docs" / "promises-vs-statement.md"


@dataclass(frozen=True)
class Row:
    promise: str
    anchors: tuple[str, ...]
    verdict: str
    live: tuple[str, ...]  # paths; empty for "—"

    @property
    def legal_ids(self) -> tuple[str, ...]:
        return tuple(re.findall(r"\bL\d+\b", self.verdict))


@cache
def _rows() -> tuple[Row, ...]:
    rows = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if not re.match(r"\| P\d+ \|", line):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        assert len(cells) == 5, line
        promise, _seed, where, verdict, live = cells
        anchors = tuple(re.findall(r"`#([\w-]+)`", where))
        paths = tuple(re.findall(r"`(/[^`]*)`", live))
        assert anchors, f"{promise}: no anchor"
        assert paths or live == "—", f"{promise}: a live channel is a path or —"
        rows.append(Row(promise, anchors, verdict, paths))
    return tuple(rows)


@cache
def _policy() -> Policy:
    return load_policy_file(default_policy_file())


@cache
def _html() -> str:
    # the statement as the app serves it: the live channels of its own routes
    context = StatementContext(offered=offered(route_table()))
    return render_policy_text(_policy(), lang="nl", fmt=Format.HTML, context=context)


def _served(path: str) -> bool:
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "query_string": b""}
    return any(route.matches(scope)[0] is Match.FULL for route in route_table())


def test_the_table_has_one_row_per_promise_of_the_catalogue() -> None:
    promises = [row.promise for row in _rows()]
    assert len(promises) == len(set(promises))
    assert promises == [p.id for p in _policy().promises]


@pytest.mark.parametrize("row", _rows(), ids=lambda row: row.promise)
def test_each_anchor_exists_and_the_first_section_carries_the_promise(row: Row) -> None:
    sections = {s.anchor: s for s in _page(_html()).sections}
    for anchor in row.anchors:
        assert anchor in sections, f"{row.promise}: #{anchor} is not in the statement"
    first = sections[row.anchors[0]]
    assert row.promise in first.promises, f"#{first.anchor} lacks {row.promise} in data-promises"


@cache
def _policy_file_text() -> str:
    return Path(default_policy_file()).read_text(encoding="utf-8")


@pytest.mark.parametrize("row", _rows(), ids=lambda row: row.promise)
def test_each_cited_legal_id_is_in_the_policy_files_comments_or_notes(row: Row) -> None:
    for legal_id in row.legal_ids:
        assert re.search(rf"\b{legal_id}\b", _policy_file_text()), (row.promise, legal_id)


def test_a_stricter_row_names_the_legal_ids_that_make_it_stricter() -> None:
    for row in _rows():
        if row.verdict.startswith(("stricter", "restored and stricter")):
            assert row.legal_ids, row.promise


@pytest.mark.parametrize("row", [r for r in _rows() if r.live], ids=lambda row: row.promise)
def test_each_live_channel_is_a_page_the_app_serves(row: Row) -> None:
    for path in row.live:
        assert _served(path), f"{row.promise}: the app serves no page at {path}"


def test_the_centre_pages_the_table_names_are_links_in_the_statement() -> None:
    links = {attrs.get("href") for tag, attrs in _page(_html()).tags if tag == "a"}
    rights = next(r for r in _rows() if r.promise == "P22")
    assert set(rights.live) <= links


# --- the three places the seed's meaning is restored ----------------------------------------------


def _section_text(anchor: str) -> str:
    return _squashed(next(s for s in _page(_html()).sections if s.anchor == anchor).text)


def test_p12_alleen_intern_stands_beside_the_recipients() -> None:
    row = next(r for r in _rows() if r.promise == "P12")
    assert row.verdict.startswith("restored") and "recipients" in row.anchors
    assert "We geven uw gegevens alleen aan de ontvangers in deze tabel" in _section_text(
        "recipients"
    )
    assert "alleen intern" in _section_text("overview")


def test_p13_model_contracts_and_explicit_consent_inside_the_eea_are_stated() -> None:
    row = next(r for r in _rows() if r.promise == "P13")
    assert row.verdict.startswith("restored")
    text = _section_text("activity-group_transfer")
    assert "uitdrukkelijke toestemming" in text and "modelcontract" in text
    assert "EER" in text


def test_p17_the_statement_says_what_comes_from_social_networks() -> None:
    row = next(r for r in _rows() if r.promise == "P17")
    assert row.verdict.startswith("restored")
    text = _section_text("activity-social_plugins")
    assert "sociale netwerken" in text and "klikt" in text


# --- issue 10: the privacy choices page, where the statement sends consents and objections ---

PREFERENCES = "/account/preferences"


def _sent_to_preferences(html: str) -> set[str]:
    """The activities the statement sends to the privacy choices page: a withdrawal line in
    the activity's own section, or its line in the objection box (art. 21(4))."""
    sent = set()
    for match in re.finditer(r'<section[^>]* id="activity-(\w+)"', html):
        part = html[match.start() : html.index("</section>", match.start())]
        if f'href="{PREFERENCES}"' in part:
            sent.add(match.group(1))
    box = rf'<li><a href="#activity-(\w+)">[^<]*</a>: <a href="{PREFERENCES}">'
    return sent | set(re.findall(box, html))


@pytest.mark.parametrize("row", _rows(), ids=lambda row: row.promise)
def test_p4_p13_a_row_names_the_preferences_exactly_when_the_statement_sends_it_there(
    row: Row,
) -> None:
    html = _html()
    activities = {a.removeprefix("activity-") for a in row.anchors if a.startswith("activity-")}
    sent = activities & _sent_to_preferences(html)
    rights = "rights" in row.anchors and f'href="{PREFERENCES}"' in _section_html(html, "rights")
    assert (PREFERENCES in row.live) == bool(sent or rights), (row.promise, sent)


def _section_html(html: str, anchor: str) -> str:
    start = html.index(f'id="{anchor}"')
    return html[start : html.index("</section>", start)]
