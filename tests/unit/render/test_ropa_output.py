"""The art. 30 register exported as CSV, JSON and HTML, each read back and checked (L73)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import fields
from functools import cache
from html.parser import HTMLParser

import pytest

import privaat.i18n
from privaat.policy.loader import load_policy_file
from privaat.policy.ropa import (
    ART_30_1_FIELDS,
    HEADER_FIELDS,
    SECURITY_MEASURES,
    RopaRow,
    ropa_header,
    ropa_rows,
)
from privaat.policy.schema import Policy, Text
from privaat.render.ropa_output import RopaFormat, render_ropa
from privaat.settings import default_policy_file

ROW_FIELDS = [field.name for field in fields(RopaRow)]
TABLE_FIELDS = [name for name in ROW_FIELDS if name not in HEADER_FIELDS]
REQUIRED = [name for name, _ in ART_30_1_FIELDS]


@cache
def _shipped() -> Policy:
    return load_policy_file(default_policy_file())


class _Table(HTMLParser):
    """The register's HTML read back: its heading's facts by field name, the table's header of
    field names, and a dict per body row."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.heading: dict[str, str] = {}
        self.header: list[str] = []
        self.rows: list[dict[str, str]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._section = ""
        self._cell: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag in {"thead", "tbody"}:
            self._section = tag
        elif tag == "tr" and self._section == "tbody":
            self.rows.append({})
        elif tag in {"th", "td", "dd"}:
            self._cell, self._text = attributes.get("data-field") or "", ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "dd" and self._cell is not None:
            self.heading[self._cell] = self._text.strip()
            self._cell = None
        elif tag in {"th", "td"} and self._cell is not None:
            if self._section == "thead":
                self.header.append(self._cell)
            else:
                self.rows[-1][self._cell] = self._text.strip()
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._text += data


def _read_back(policy: Policy, fmt: RopaFormat, lang: str) -> list[dict[str, object]]:
    text = render_ropa(policy, fmt=fmt, lang=lang)
    if fmt is RopaFormat.CSV:
        return list(csv.DictReader(io.StringIO(text, newline="")))
    if fmt is RopaFormat.JSON:
        loaded = json.loads(text)
        assert isinstance(loaded, list)
        return loaded
    table = _Table()
    table.feed(text)
    table.close()
    assert table.header == TABLE_FIELDS
    # what is the same for every row stands once in the heading: read it back into each row
    shared = {name: table.heading[name] for name in HEADER_FIELDS}
    return [{**row, **shared} for row in table.rows]


@pytest.mark.parametrize("fmt", list(RopaFormat), ids=lambda fmt: fmt.value)
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_l73_every_art_30_1_field_is_filled_for_every_activity_in_every_format(
    fmt: RopaFormat, lang: str
) -> None:
    policy = _shipped()
    rows = _read_back(policy, fmt, lang)
    assert [row["activity_id"] for row in rows] == [a.id for a in policy.activities]
    for row in rows:
        assert set(row) == set(ROW_FIELDS)
        empty = [name for name in REQUIRED if not str(row[name]).strip()]
        assert empty == [], row["activity_id"]


@pytest.mark.parametrize("fmt", list(RopaFormat), ids=lambda fmt: fmt.value)
def test_l73_the_export_says_what_the_register_rows_say(fmt: RopaFormat) -> None:
    policy = _shipped()
    for exported, row in zip(_read_back(policy, fmt, "nl"), ropa_rows(policy, "nl"), strict=True):
        for name in REQUIRED:
            assert " ".join(str(exported[name]).split()) == " ".join(getattr(row, name).split())


def test_csv_has_a_header_row_of_field_names_and_crlf_line_ends() -> None:
    text = render_ropa(_shipped(), fmt=RopaFormat.CSV)
    header, _, rest = text.partition("\r\n")
    assert header.split(",") == ROW_FIELDS
    assert text.endswith("\r\n") and rest


def test_json_keeps_promise_ids_as_a_list() -> None:
    rows = json.loads(render_ropa(_shipped(), fmt=RopaFormat.JSON))
    assert rows[0]["promises"] == list(_shipped().activities[0].promises)


@pytest.mark.parametrize(
    ("lang", "title", "letter_b"),
    [
        pytest.param(
            "nl",
            "Register van verwerkingsactiviteiten van Flexibelt (art. 30 AVG)",
            "art. 30 lid 1 onder b AVG",
            id="nl",
        ),
        pytest.param(
            "en",
            "Record of processing activities of Flexibelt (GDPR art. 30)",
            "GDPR art. 30(1)(b)",
            id="en",
        ),
    ],
)
def test_l73_the_html_register_labels_each_column_with_its_art_30_letter(
    lang: str, title: str, letter_b: str
) -> None:
    html = render_ropa(_shipped(), fmt=RopaFormat.HTML, lang=lang)
    table = _Table()
    table.feed(html)
    assert f'<html lang="{lang}">' in html
    assert [tag for tag, _ in table.tags].count("h1") == 1
    assert f"<h1>{title}</h1>" in html
    assert letter_b in html
    assert not any(tag in {"script", "link", "img"} for tag, _ in table.tags)


def test_the_dutch_register_heads_its_columns_in_the_register_s_own_words() -> None:
    html = render_ropa(_shipped(), fmt=RopaFormat.HTML, lang="nl")
    for label in (
        '<th scope="col" data-field="purposes">Doeleinden',  # the public text says "Doelen"
        '<th scope="col" data-field="data_subjects">Categorieën betrokkenen',
        '<th scope="col" data-field="retention">Bewaartermijnen',
        "art. 30 lid 1 onder f AVG",
    ):
        assert label in html


def test_the_html_register_escapes_what_the_policy_file_says() -> None:
    policy = _shipped()
    first = policy.activities[0].model_copy(
        update={"register_description": Text(nl="<b>vet</b>", en="<b>bold</b>")}
    )
    changed = policy.model_copy(update={"activities": (first, *policy.activities[1:])})
    html = render_ropa(changed, fmt=RopaFormat.HTML, lang="nl")
    assert "<b>vet</b>" not in html and "&lt;b&gt;vet&lt;/b&gt;" in html


def _with_security(policy: Policy) -> Policy:
    activities = tuple(
        a.model_copy(update={"security": Text(nl=f"Maatregel {a.id}.", en=f"Measure {a.id}.")})
        for a in policy.activities
    )
    return policy.model_copy(update={"activities": activities})


def test_the_html_heading_states_the_dpo_and_the_general_measures_once() -> None:
    # an activity's own measures in its row; the general ones once, above the table
    policy = _with_security(_shipped())
    html = render_ropa(policy, fmt=RopaFormat.HTML, lang="en")
    table = _Table()
    table.feed(html)
    general = privaat.i18n.translations("en").gettext(SECURITY_MEASURES)
    assert table.heading["general_security_measures"] == general
    assert html.count("AES-GCM") == 1
    assert [row["security_measures"] for row in table.rows] == [
        f"Measure {a.id}." for a in policy.activities
    ]
    assert table.heading["data_protection_officer"] == (
        ropa_header(policy, "en").data_protection_officer
    )
    assert "Data protection officer" in html and "controller" in table.heading


def test_the_html_heading_names_the_processor_role_only_when_the_file_has_one() -> None:
    policy = _shipped()
    without = policy.model_copy(update={"processor_role": None})
    assert 'data-field="processor_role"' not in render_ropa(without, fmt=RopaFormat.HTML)
    role = Text(nl="Voor gehoste inhoud verwerker.", en="Processor for hosted content.")
    table = _Table()
    table.feed(render_ropa(policy.model_copy(update={"processor_role": role}), fmt=RopaFormat.HTML))
    assert table.heading["processor_role"] == "Processor for hosted content."


def test_csv_rows_are_complete_on_their_own() -> None:
    rows = _read_back(_shipped(), RopaFormat.CSV, "en")
    officer = ropa_header(_shipped(), "en").data_protection_officer
    assert {row["data_protection_officer"] for row in rows} == {officer}
