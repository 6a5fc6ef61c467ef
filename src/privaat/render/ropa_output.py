"""The art. 30 register written out for the AP or a spreadsheet: CSV, JSON or an HTML table.

The rows come from ``privaat.policy.ropa``; this module only chooses the format. CSV and JSON
keep the row's field names as keys, so a tool can read them back; the HTML page labels each
column in words with its letter of art. 30(1).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, fields
from enum import StrEnum
from types import MappingProxyType

from babel.dates import format_date

from privaat.policy.ropa import ART_30_1_FIELDS, RopaRow, ropa_rows
from privaat.policy.schema import Policy, Text
from privaat.render.language import formatting_locale
from privaat.render.templating import environment

__all__ = ["COLUMN_LABELS", "RopaFormat", "render_ropa"]


class RopaFormat(StrEnum):
    """The formats the register is exported in."""

    CSV = "csv"
    JSON = "json"
    HTML = "html"


COLUMN_LABELS: Mapping[str, Text] = MappingProxyType(
    {
        "activity_id": Text(nl="Id", en="Id"),
        "activity": Text(nl="Verwerking", en="Processing activity"),
        "promises": Text(nl="Beloften", en="Promises"),
        "description": Text(nl="Omschrijving", en="Description"),
        "controller": Text(nl="Verwerkingsverantwoordelijke", en="Controller"),
        "privacy_contact": Text(nl="Contact gegevensbescherming", en="Data protection contact"),
        "purposes": Text(nl="Doeleinden", en="Purposes"),
        "legal_basis": Text(nl="Grondslag", en="Legal basis"),
        "legitimate_interest": Text(nl="Gerechtvaardigd belang", en="Legitimate interest"),
        "data_subjects": Text(nl="Categorieën betrokkenen", en="Categories of data subjects"),
        "data_categories": Text(
            nl="Categorieën persoonsgegevens", en="Categories of personal data"
        ),
        "sources": Text(nl="Herkomst", en="Sources"),
        "recipients": Text(nl="Categorieën ontvangers", en="Categories of recipients"),
        "transfers": Text(nl="Doorgifte naar derde landen", en="Transfers to third countries"),
        "retention": Text(nl="Bewaartermijnen", en="Time limits for erasure"),
        "security_measures": Text(
            nl="Technische en organisatorische beveiligingsmaatregelen",
            en="Technical and organisational security measures",
        ),
        "notes": Text(nl="Opmerkingen", en="Notes"),
    }
)

_TITLE = Text(
    nl="Register van verwerkingsactiviteiten van {controller} (art. 30 AVG)",
    en="Record of processing activities of {controller} (GDPR art. 30)",
)
_SUBTITLE = Text(
    nl="Gegenereerd uit het privacybeleid, versie {version}, laatst bijgewerkt {date}.",
    en="Generated from the privacy policy, version {version}, last updated {date}.",
)
_ARTICLE = Text(nl="art. 30 lid 1 onder {letter} AVG", en="GDPR art. 30(1)({letter})")
_FIELDS = tuple(field.name for field in fields(RopaRow))
_LETTERS = dict(ART_30_1_FIELDS)


def render_ropa(policy: Policy, *, fmt: RopaFormat, lang: str = "en") -> str:
    """The register of ``policy`` in ``fmt``, its words in ``lang``."""
    rows = ropa_rows(policy, lang)
    fmt = RopaFormat(fmt)
    if fmt is RopaFormat.CSV:
        return _csv(rows)
    if fmt is RopaFormat.JSON:
        return json.dumps([asdict(row) for row in rows], ensure_ascii=False, indent=2) + "\n"
    return _html(policy, rows, lang)


def _csv(rows: Sequence[RopaRow]) -> str:
    buffer = io.StringIO()
    # RFC 4180: CRLF line ends, a header row of the field names
    writer = csv.DictWriter(buffer, fieldnames=_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        record = asdict(row)
        record["promises"] = " ".join(row.promises)
        writer.writerow(record)
    return buffer.getvalue()


def _html(policy: Policy, rows: Sequence[RopaRow], lang: str) -> str:
    meta = policy.policy
    columns = [
        (
            name,
            COLUMN_LABELS[name].in_language(lang),
            _ARTICLE.in_language(lang).format(letter=_LETTERS[name]) if name in _LETTERS else "",
        )
        for name in _FIELDS
    ]
    cells = [
        {
            name: " ".join(row.promises) if name == "promises" else getattr(row, name)
            for name in _FIELDS
        }
        for row in rows
    ]
    return (
        environment()
        .get_template("ropa.html.j2")
        .render(
            lang=lang,
            title=_TITLE.in_language(lang).format(controller=policy.controller.name),
            subtitle=_SUBTITLE.in_language(lang).format(
                version=meta.version,
                date=format_date(meta.last_updated, format="long", locale=formatting_locale(lang)),
            ),
            columns=columns,
            rows=cells,
        )
    )
