"""The answer to an access or portability request as one ZIP file (issue 11 item 4; GDPR art.
15(1)-(3), 20; LEGAL L59, L61, L63).

    SubjectData (services.subject_export) + the policy
        ▼
    privacy-answer.zip
    ├── summary.html            in the requester's language: per activity that holds their
    │                           data, its purpose, legal basis, categories, the named
    │                           recipients, retention, source, profiling and automated
    │                           decisions, transfers and their safeguards; the rights; the AP
    ├── data/<table>.json       the rows, machine-readable (art. 15(3), 20(1))
    ├── data/<table>.csv        the same rows, for a spreadsheet
    ├── schemas/<table>.schema.json   a JSON Schema (2020-12) of each JSON file
    ├── files/…                 originals (a mail as received)
    └── manifest.json           what is in the file, with a SHA-256 of each part

Portability (art. 20(1); WP242 rev.01) covers only what the person provided or what was
observed of them, on consent or contract: ``portable`` keeps those fields and no others.
Pure: bytes out, nothing stored.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from privaat.i18n import N_, translations
from privaat.policy.schema import DataSource, LegalBasis, Policy, ProcessingActivity
from privaat.policy.wording import legal_basis_words, retention_in_words, safeguard_words
from privaat.render.policy_text import PUBLIC_RETENTION
from privaat.render.templating import environment
from privaat.services.subject_export import ExportPart, SubjectData

__all__ = ["SOURCE_WORDS", "access_zip", "portable"]

SOURCE_WORDS = {
    DataSource.DATA_SUBJECT: N_("provided by you"),
    DataSource.OBSERVED: N_("recorded when you use our services"),
    DataSource.DERIVED: N_("derived by us"),
    DataSource.THIRD_PARTY: N_("received from others"),
}
# art. 20(1)(a): consent or contract; art. 20(1) and WP242: provided or observed data
_PORTABLE_BASES = frozenset({LegalBasis.CONSENT, LegalBasis.CONTRACT})
_PORTABLE_SOURCES = frozenset({DataSource.DATA_SUBJECT, DataSource.OBSERVED})


def portable(data: SubjectData, policy: Policy) -> SubjectData:
    """Only the fields art. 20 covers: of activities on consent or contract, whose data the
    person provided or that was observed of them (not what was derived or inferred)."""
    covered = {
        activity.id
        for activity in policy.activities
        if activity.legal_basis in _PORTABLE_BASES
        and _PORTABLE_SOURCES.intersection(activity.sources)
    }
    parts = []
    for part in data.parts:
        keep = [f for f in part.fields if f.activity in covered]
        if not keep:
            continue
        names = [f.name for f in keep]
        rows = tuple({name: row[name] for name in names} for row in part.rows)
        parts.append(replace(part, fields=tuple(keep), rows=rows, files=part.files))
    return replace(data, parts=tuple(parts))


def access_zip(
    data: SubjectData, policy: Policy, *, lang: str, generated_at: datetime, kind: str
) -> bytes:
    """The ZIP of ``data`` with its summary in ``lang``; ``kind`` is access or portability."""
    buffer = io.BytesIO()
    digests: dict[str, str] = {}
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def add(name: str, content: bytes) -> None:
            archive.writestr(name, content)
            digests[name] = hashlib.sha256(content).hexdigest()

        for part in data.parts:
            add(f"data/{part.table}.json", _json(list(part.rows)))
            add(f"data/{part.table}.csv", _csv(part))
            add(f"schemas/{part.table}.schema.json", _json(_schema(part, policy)))
            for path, content in part.files:
                add(f"files/{path}", content)
        add("summary.html", _summary(data, policy, lang, generated_at, kind).encode("utf-8"))
        manifest = {
            "kind": kind,
            "generated_at": generated_at.isoformat(),
            "controller": policy.controller.name,
            "policy_version": policy.policy.version,
            "files": [{"name": n, "sha256": d} for n, d in sorted(digests.items())],
        }
        archive.writestr("manifest.json", _json(manifest))
    return buffer.getvalue()


# --- the parts ---------------------------------------------------------------------------


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False).encode("utf-8")


def _csv(part: ExportPart) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[f.name for f in part.fields], lineterminator="\r\n")
    writer.writeheader()  # RFC 4180: a header line, CRLF line ends
    for row in part.rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return out.getvalue().encode("utf-8-sig")  # the BOM: spreadsheets read it as UTF-8


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def _schema(part: ExportPart, policy: Policy) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for field in part.fields:
        types = sorted({_json_type(row.get(field.name)) for row in part.rows} | {"null"})
        described = []
        if field.category:
            described.append(f"data category: {field.category}")
        if field.activity:
            described.append(f"processing activity: {field.activity}")
        properties[field.name] = {"type": types, "description": "; ".join(described) or "id"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:privaat:{policy.policy.id}:export:{part.table}",
        "title": part.table,
        "type": "array",
        "items": {
            "type": "object",
            "properties": properties,
            "required": [f.name for f in part.fields],
            "additionalProperties": False,
        },
    }


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string"


def _summary(data: SubjectData, policy: Policy, lang: str, at: datetime, kind: str) -> str:
    _ = translations(lang).gettext
    used = {f.activity for part in data.parts for f in part.fields if f.activity}
    activities = [a for a in policy.activities if a.id in used]
    template = environment(lang).get_template("access_summary.html.j2")
    return template.render(
        lang=lang,
        kind=kind,
        generated_at=at,
        controller=policy.controller,
        contact=policy.privacy_contact,
        authority=policy.supervisory_authority,
        activities=[_activity_facts(policy, a, lang) for a in activities],
        tables=[(part.table, len(part.rows)) for part in data.parts],
        title=_("The data we hold about you")
        if kind == "access"
        else _("Your data to take with you"),
    )


def _activity_facts(policy: Policy, activity: ProcessingActivity, lang: str) -> Mapping[str, Any]:
    _ = translations(lang).gettext
    recipients = [policy.recipient(r) for r in activity.recipients]
    return {
        "id": activity.id,
        "name": activity.name.in_language(lang),
        "purpose": activity.description.in_language(lang),
        "basis": legal_basis_words(activity.legal_basis, lang),
        "interest": activity.legitimate_interest.in_language(lang)
        if activity.legitimate_interest
        else None,
        "categories": [policy.category(c).name.in_language(lang) for c in activity.data_categories],
        "recipients": [r.name for r in recipients],
        "retention": retention_in_words(activity.retention, lang, PUBLIC_RETENTION),
        "sources": [_(SOURCE_WORDS[s]) for s in activity.sources],
        "profiling": activity.profiling.in_language(lang) if activity.profiling else None,
        "automated": activity.automated_decision,
        "transfers": [
            (policy.recipient(t.recipient).name, t.country, safeguard_words(t.safeguard, lang))
            for t in activity.transfers
        ],
    }
