"""The art. 30 register written out for the AP or a spreadsheet: CSV, JSON or an HTML table.

The rows come from ``privaat.policy.ropa``; this module only chooses the format. CSV and JSON
keep the row's field names as keys, so a tool can read them back, and each row is complete on
its own (controller, contact and DPO on every row). The HTML page states what is the same for
every activity once, in its heading (``ropa_header``: controller, contact, DPO, the
controller's role as a processor, the general security measures), and labels each column of
its table in words with its letter of art. 30(1).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, fields, replace
from enum import StrEnum

from babel.dates import format_date

from privaat.policy.ropa import (
    ART_30_1_FIELDS,
    ART_30_2_FIELDS,
    HEADER_FIELDS,
    ProcessorRecordRow,
    RopaRow,
    VendorRow,
    processor_record,
    ropa_header,
    ropa_rows,
    vendor_register,
)
from privaat.policy.schema import Policy
from privaat.policy.wording import translator
from privaat.render.language import formatting_locale
from privaat.render.templating import environment

__all__ = [
    "RopaFormat",
    "column_labels",
    "processor_column_labels",
    "render_processor_record",
    "render_ropa",
    "render_vendor_register",
    "vendor_column_labels",
]


class RopaFormat(StrEnum):
    """The formats the register is exported in."""

    CSV = "csv"
    JSON = "json"
    HTML = "html"


_FIELDS = tuple(field.name for field in fields(RopaRow))
_LETTERS = dict(ART_30_1_FIELDS)


def column_labels(lang: str) -> dict[str, str]:
    """Each field of a register row in words, as the HTML table heads its column."""
    # "register column": the register says "Doeleinden" where the public text says "Doelen"
    t = translator(lang)
    return {
        "activity_id": t.pgettext("register column", "Id"),
        "activity": t.pgettext("register column", "Processing activity"),
        "promises": t.pgettext("register column", "Promises"),
        "description": t.pgettext("register column", "Description"),
        "controller": t.pgettext("register column", "Controller"),
        "privacy_contact": t.pgettext("register column", "Data protection contact"),
        "data_protection_officer": t.pgettext("register column", "Data protection officer"),
        "purposes": t.pgettext("register column", "Purposes"),
        "legal_basis": t.pgettext("register column", "Legal basis"),
        "legitimate_interest": t.pgettext("register column", "Legitimate interest"),
        "lia": t.pgettext("register column", "Legitimate interests assessment"),
        "data_subjects": t.pgettext("register column", "Categories of data subjects"),
        "data_categories": t.pgettext("register column", "Categories of personal data"),
        "sources": t.pgettext("register column", "Sources"),
        "profiling": t.pgettext("register column", "Profiling"),
        "recipients": t.pgettext("register column", "Categories of recipients"),
        "processor_agreements": t.pgettext(
            "register column", "Processing agreements (GDPR art. 28)"
        ),
        "joint_controllers": t.pgettext("register column", "Joint controllers (GDPR art. 26)"),
        "transfers": t.pgettext("register column", "Transfers to third countries"),
        "retention": t.pgettext("register column", "Time limits for erasure"),
        "security_measures": t.pgettext(
            "register column", "Technical and organisational security measures"
        ),
        "dpia": t.pgettext("register column", "DPIA screening (GDPR art. 35)"),
        "notes": t.pgettext("register column", "Notes"),
    }


def render_ropa(
    policy: Policy, *, fmt: RopaFormat, lang: str = "en", dpia: Mapping[str, str] | None = None
) -> str:
    """The register of ``policy`` in ``fmt``, its words in ``lang``; ``dpia`` adds to an
    activity's DPIA field what the DPIA register says of it (its latest decision and link)."""
    rows = ropa_rows(policy, lang)
    if dpia:
        rows = [
            replace(row, dpia=f"{row.dpia}; {dpia[row.activity_id]}")
            if row.activity_id in dpia
            else row
            for row in rows
        ]
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


def _plain_csv(names: Sequence[str], records: Sequence[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=names, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()


def _html(policy: Policy, rows: Sequence[RopaRow], lang: str) -> str:
    _, meta = translator(lang).gettext, policy.policy
    labels = column_labels(lang)
    article = _("GDPR art. 30(1)({letter})")

    def letter(name: str) -> str:
        return article.format(letter=_LETTERS[name]) if name in _LETTERS else ""

    header = ropa_header(policy, lang)
    # what is the same on every row is stated once, above the table
    heading = [(name, labels[name], letter(name), getattr(header, name)) for name in HEADER_FIELDS]
    if header.processor_role:
        heading.append(
            (
                "processor_role",
                _("Where {controller} is a processor").format(controller=policy.controller.name),
                _("GDPR art. 30(2)"),
                header.processor_role,
            )
        )
    heading.append(
        (
            "general_security_measures",
            _("Security measures for every activity"),
            _("GDPR art. 30(1)(g), 32"),
            header.general_security_measures,
        )
    )
    columns = [(name, labels[name], letter(name)) for name in _FIELDS if name not in HEADER_FIELDS]
    cells = [
        {
            name: " ".join(row.promises) if name == "promises" else getattr(row, name)
            for name, _label, _article in columns
        }
        for row in rows
    ]
    return (
        environment(lang)
        .get_template("ropa.html.j2")
        .render(
            lang=lang,
            title=_("Record of processing activities of {controller} (GDPR art. 30)").format(
                controller=policy.controller.name
            ),
            subtitle=_(
                "Generated from the privacy policy, version {version}, last updated {date}."
            ).format(
                version=meta.version,
                date=format_date(meta.last_updated, format="long", locale=formatting_locale(lang)),
            ),
            heading=heading,
            columns=columns,
            rows=cells,
            row_header="activity",
        )
    )


# --- the processor register (L19) and the record of a processor (art. 30(2), L74) ---

_VENDOR_FIELDS = tuple(field.name for field in fields(VendorRow))
_PROCESSOR_FIELDS = tuple(field.name for field in fields(ProcessorRecordRow))
_LETTERS_30_2 = dict(ART_30_2_FIELDS)


def vendor_column_labels(lang: str) -> dict[str, str]:
    """Each field of the processor register in words."""
    t = translator(lang)
    return {
        "recipient_id": t.pgettext("register column", "Id"),
        "vendor": t.pgettext("register column", "Vendor"),
        "role": t.pgettext("register column", "Role"),
        "agreement": t.pgettext("register column", "Agreement (GDPR art. 28, 26)"),
        "country": t.pgettext("register column", "Country"),
        "transfers": t.pgettext("register column", "Transfer mechanism (GDPR art. 44-46)"),
        "activities": t.pgettext("register column", "Processing activities"),
        "processor_services": t.pgettext("register column", "As a sub-processor for"),
    }


def processor_column_labels(lang: str) -> dict[str, str]:
    """Each field of the art. 30(2) record in words."""
    t = translator(lang)
    return {
        "service_id": t.pgettext("register column", "Id"),
        "service": t.pgettext("register column", "Service"),
        "description": t.pgettext("register column", "Description"),
        "processor": t.pgettext("register column", "Processor"),
        "data_protection_officer": t.pgettext("register column", "Data protection officer"),
        "controllers": t.pgettext("register column", "Controllers on whose behalf"),
        "processing": t.pgettext("register column", "Categories of processing"),
        "data_subjects": t.pgettext("register column", "Categories of data subjects"),
        "data_categories": t.pgettext("register column", "Categories of personal data"),
        "agreement": t.pgettext("register column", "Processing agreement (GDPR art. 28(3))"),
        "sub_processors": t.pgettext("register column", "Sub-processors (GDPR art. 28(2), (4))"),
        "transfers": t.pgettext("register column", "Transfers to third countries"),
        "security_measures": t.pgettext(
            "register column", "Technical and organisational security measures"
        ),
        "breach_notice": t.pgettext(
            "register column", "Breach notice to the controller (GDPR art. 33(2))"
        ),
    }


def render_vendor_register(policy: Policy, *, fmt: RopaFormat, lang: str = "en") -> str:
    """The processor register of ``policy`` (every vendor, L19) in ``fmt``."""
    rows = vendor_register(policy, lang)
    fmt = RopaFormat(fmt)
    if fmt is RopaFormat.CSV:
        return _plain_csv(_VENDOR_FIELDS, [asdict(row) for row in rows])
    if fmt is RopaFormat.JSON:
        return json.dumps([asdict(row) for row in rows], ensure_ascii=False, indent=2) + "\n"
    table = _vendor_table(policy, lang)
    return _page(policy, lang, table["title"], [], table["columns"], table["rows"], "vendor")


def render_processor_record(policy: Policy, *, fmt: RopaFormat, lang: str = "en") -> str:
    """The record of ``policy``'s controller as a processor (art. 30(2), L74) in ``fmt``."""
    rows = processor_record(policy, lang)
    fmt = RopaFormat(fmt)
    if fmt is RopaFormat.CSV:
        return _plain_csv(_PROCESSOR_FIELDS, [asdict(row) for row in rows])
    if fmt is RopaFormat.JSON:
        return json.dumps([asdict(row) for row in rows], ensure_ascii=False, indent=2) + "\n"
    _ = translator(lang).gettext
    labels = processor_column_labels(lang)
    article = _("GDPR art. 30(2)({letter})")

    def letter(name: str) -> str:
        return article.format(letter=_LETTERS_30_2[name]) if name in _LETTERS_30_2 else ""

    once = ("processor", "data_protection_officer")
    heading = []
    if rows:
        # the processor and its DPO are the same on every row: stated once
        heading = [(name, labels[name], letter(name), getattr(rows[0], name)) for name in once]
    columns = [(name, labels[name], letter(name)) for name in _PROCESSOR_FIELDS if name not in once]
    title = _("Record of processing of {controller} as a processor (GDPR art. 30(2))").format(
        controller=policy.controller.name
    )
    cells = [asdict(row) for row in rows]
    return _page(policy, lang, title, heading, columns, cells, "service")


def _vendor_table(policy: Policy, lang: str) -> dict[str, object]:
    labels = vendor_column_labels(lang)
    return {
        "title": translator(lang)
        .gettext("Processors and other vendors of {controller} (GDPR art. 28, 44-46)")
        .format(controller=policy.controller.name),
        "columns": [(name, labels[name], "") for name in _VENDOR_FIELDS],
        "rows": [asdict(row) for row in vendor_register(policy, lang)],
        "row_header": "vendor",
    }


def _page(
    policy: Policy,
    lang: str,
    title: object,
    heading: Sequence[tuple[str, str, str, str]],
    columns: object,
    rows: object,
    row_header: str,
) -> str:
    _, meta = translator(lang).gettext, policy.policy
    return (
        environment(lang)
        .get_template("ropa.html.j2")
        .render(
            lang=lang,
            title=title,
            subtitle=_(
                "Generated from the privacy policy, version {version}, last updated {date}."
            ).format(
                version=meta.version,
                date=format_date(meta.last_updated, format="long", locale=formatting_locale(lang)),
            ),
            heading=heading,
            columns=columns,
            rows=rows,
            row_header=row_header,
        )
    )
