"""The answer to an access or portability request as one ZIP file (issue 11 item 4; GDPR art.
15(1)-(3), 20; LEGAL L59, L61, L63).

    SubjectData (services.subject_export) + the policy
        ▼
    privacy-answer.zip
    ├── summary.html            in the requester's language: per activity that holds their
    │                           data, its purpose, legal basis, categories, the named
    │                           recipients, retention, source, profiling and automated
    │                           decisions, transfers and their safeguards; the rights; the AP
    ├── data/<table>.json       the rows, machine-readable (art. 15(3), 20(1)), one a line
    ├── data/<table>.csv        the same rows, for a spreadsheet
    ├── schemas/<table>.schema.json   a JSON Schema (2020-12) of each JSON file
    ├── files/…                 originals (a mail as received, a call recording)
    └── manifest.json           what is in the file, with a SHA-256 of each part and, where
                                the redaction says something of a file, its ``note`` (art.
                                15(4): a muted channel, a mono recording to review)

Portability (art. 20(1); WP242 rev.01) covers only what the person provided or what was
observed of them, on consent or contract: ``portable`` keeps those fields and no others.

``AccessZip`` writes the file as a stream (rows in, compressed bytes out, to any writable
object): an answer for a person with 100,000 rows needs no more memory than one with 15.
``access_zip`` is the same for collected data, as bytes. Pure: nothing stored.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from markupsafe import Markup, escape

from privaat.i18n import N_, translations
from privaat.policy.schema import DataSource, LegalBasis, Policy, ProcessingActivity
from privaat.policy.wording import legal_basis_words, retention_in_words, safeguard_words
from privaat.render.policy_text import PUBLIC_RETENTION
from privaat.render.templating import environment
from privaat.services.subject_export import ExportField, ExportPart, StreamedPart, SubjectData

__all__ = [
    "SOURCE_WORDS",
    "AccessZip",
    "MemorySpool",
    "Spool",
    "access_zip",
    "portable",
    "portable_parts",
]

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
    covered = _portable_activities(policy)
    parts = []
    for part in data.parts:
        keep = [f for f in part.fields if f.activity in covered]
        if not keep:
            continue
        names = [f.name for f in keep]
        rows = tuple({name: row[name] for name in names} for row in part.rows)
        parts.append(replace(part, fields=tuple(keep), rows=rows, files=part.files))
    return replace(data, parts=tuple(parts))


def portable_parts(parts: Iterable[StreamedPart], policy: Policy) -> Iterator[StreamedPart]:
    """``portable`` for parts read as a stream: the same fields kept, row by row."""
    covered = _portable_activities(policy)
    for part in parts:
        keep = tuple(f for f in part.fields if f.activity in covered)
        if not keep:
            continue
        names = [f.name for f in keep]
        rows = (({name: row[name] for name in names}, files) for row, files in part.rows)
        yield StreamedPart(part.table, keep, rows)


def _portable_activities(policy: Policy) -> frozenset[str]:
    return frozenset(
        activity.id
        for activity in policy.activities
        if activity.legal_basis in _PORTABLE_BASES
        and _PORTABLE_SOURCES.intersection(activity.sources)
    )


def access_zip(
    data: SubjectData, policy: Policy, *, lang: str, generated_at: datetime, kind: str
) -> bytes:
    """The ZIP of ``data`` with its summary in ``lang``; ``kind`` is access or portability."""
    buffer = io.BytesIO()
    writer = AccessZip(buffer, policy, generated_at=generated_at, kind=kind)
    writer.add(StreamedPart(part.table, part.fields, _with_files(part)) for part in data.parts)
    writer.finish(lang=lang, notes=data.notes)
    return buffer.getvalue()


def _listed(name: str, digest: str, note: str | None) -> dict[str, str]:
    listed = {"name": name, "sha256": digest}
    if note is not None:
        listed["note"] = note
    return listed


def _with_files(
    part: ExportPart,
) -> Iterator[tuple[Mapping[str, Any], tuple[tuple[str, bytes], ...]]]:
    # a collected part keeps its files apart from its rows; they go into the ZIP with the first
    for number, row in enumerate(part.rows):
        yield row, (part.files if number == 0 else ())


class Spool(Protocol):
    """Somewhere to put a member's bytes while another member is being written."""

    def write(self, data: bytes) -> None: ...

    def chunks(self) -> Iterator[bytes]: ...

    def close(self) -> None: ...


class MemorySpool:
    """A spool in memory (``access_zip``, which returns the whole file anyway)."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def write(self, data: bytes) -> None:
        self._chunks.append(bytes(data))

    def chunks(self) -> Iterator[bytes]:
        yield from self._chunks

    def close(self) -> None:
        self._chunks.clear()


class AccessZip:
    """Writes the answer's ZIP as a stream to ``out`` (any object with ``write``): each table's
    rows go into its JSON member as they are read, its CSV and original files into a spool
    meanwhile (a ZIP writes one member at a time), so memory does not grow with the rows.

        add(parts)     per table: data/T.json (one row a line), data/T.csv, the files,
                       schemas/T.schema.json (the types seen while writing)
        finish(lang)   summary.html in ``lang``, manifest.json (SHA-256 of every member)
    """

    def __init__(
        self,
        out: Any,
        policy: Policy,
        *,
        generated_at: datetime,
        kind: str,
        spool: Callable[[], Spool] = MemorySpool,
    ) -> None:
        self._policy, self._at, self._kind, self._spool = policy, generated_at, kind, spool
        self._archive = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED)
        self._digests: dict[str, str] = {}
        self._tables: list[tuple[str, int]] = []
        self._used: set[str] = set()

    def add(self, parts: Iterable[StreamedPart]) -> None:
        for part in parts:
            self._part(part)

    def finish(self, *, lang: str, notes: Mapping[str, str] | None = None) -> None:
        """The summary and the manifest; ``notes``: per original file (its path in its part),
        what the redaction says of it (art. 15(4): a muted channel, a mono recording for
        the privacy officer to review), written beside the file's SHA-256."""
        summary = _summary(
            self._policy, self._tables, self._used, lang, self._at, self._kind
        ).encode("utf-8")
        self._member("summary.html", [summary])
        manifest = {
            "kind": self._kind,
            "generated_at": self._at.isoformat(),
            "controller": self._policy.controller.name,
            "policy_version": self._policy.policy.version,
            "files": [
                _listed(name, digest, (notes or {}).get(name.removeprefix("files/")))
                for name, digest in sorted(self._digests.items())
            ],
        }
        self._archive.writestr("manifest.json", _json(manifest), compress_type=zipfile.ZIP_STORED)
        self._archive.close()

    # --- one table -----------------------------------------------------------------------

    def _part(self, part: StreamedPart) -> None:
        rows = iter(part.rows)
        first = next(rows, None)
        if first is None:  # nothing held in this table: no part, as before
            return
        names = [f.name for f in part.fields]
        types: dict[str, set[str]] = {name: {"null"} for name in names}
        csv_spool, files = self._spool(), []
        try:
            csv_out = _CsvSink(csv_spool, names)
            count = 0
            name = f"data/{part.table}.json"
            with _Member(self._archive, name, self._digests) as member:
                put = member.write
                put(b"[\n")
                seen = [types[name].add for name in names]
                for values, held_files in itertools.chain([first], rows):
                    put((b",\n" if count else b"") + _row_json(values))
                    count += 1
                    for add, value in zip(seen, values.values(), strict=True):
                        add(_TYPE_NAMES.get(type(value), "string"))
                    csv_out.row(values)
                    for path, content in held_files:
                        spool = self._spool()
                        files.append((f"files/{path}", spool))
                        spool.write(content)
                put(b"\n]\n")
            csv_out.close()
            self._from_spool(f"data/{part.table}.csv", csv_spool)
            for path, spool in files:
                self._from_spool(path, spool)
        except BaseException:
            # a write that fails (a full disk under the spool, issue 16 item 4): the spools'
            # temporary files closed now, the rows' cursor while its connection is open
            for open_spool in (csv_spool, *(held for _path, held in files)):
                open_spool.close()
            close = getattr(rows, "close", None)
            if close is not None:
                close()
            raise
        schema = _schema(part.table, part.fields, types, self._policy)
        self._member(f"schemas/{part.table}.schema.json", [_json(schema)])
        self._tables.append((part.table, count))
        self._used.update(f.activity for f in part.fields if f.activity)

    def _from_spool(self, name: str, spool: Spool) -> None:
        try:
            self._member(name, spool.chunks())
        finally:
            spool.close()

    def _member(self, name: str, chunks: Iterable[bytes]) -> None:
        with _Member(self._archive, name, self._digests) as member:
            for chunk in chunks:
                member.write(chunk)


class _Member:
    """One member of the ZIP, written as a stream. Its first bytes are held back: a member
    that stays small is stored whole (uncompressed below 4 KiB, where starting a deflate
    stream costs ~0.1 ms and saves nothing), a large one becomes a deflated stream."""

    _HOLD = 64 * 1024
    _STORE_BELOW = 4 * 1024

    def __init__(self, archive: zipfile.ZipFile, name: str, digests: dict[str, str]) -> None:
        self._archive, self._name, self._digests = archive, name, digests
        self._held = bytearray()
        self._stream: Any = None
        self._digest = hashlib.sha256()

    def write(self, data: bytes) -> None:
        # rows arrive a line at a time; the deflate stream gets them in 64 KiB blocks
        self._digest.update(data)
        self._held += data
        if len(self._held) > self._HOLD:
            if self._stream is None:
                self._stream = self._archive.open(self._name, "w")
            self._stream.write(self._held)
            self._held = bytearray()

    def __enter__(self) -> _Member:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if self._stream is not None:
            if kind is None and self._held:
                self._stream.write(self._held)
            self._stream.close()
        elif kind is None:
            small = len(self._held) < self._STORE_BELOW
            method = zipfile.ZIP_STORED if small else zipfile.ZIP_DEFLATED
            self._archive.writestr(self._name, bytes(self._held), compress_type=method)
        if kind is None:
            self._digests[self._name] = self._digest.hexdigest()


# --- the parts ---------------------------------------------------------------------------


def _json(value: Any) -> bytes:
    # no indent: the C encoder (an indent takes the pure-Python one, ~10x slower)
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


_encode_row = json.JSONEncoder(ensure_ascii=False).encode  # the C encoder: no indent


def _row_json(row: Mapping[str, Any]) -> bytes:
    return _encode_row(row).encode("utf-8")


class _CsvSink:
    """RFC 4180 rows (a header line, CRLF line ends) into a spool, UTF-8 with a BOM so that
    spreadsheets read it as UTF-8; buffered, so the spool sees chunks, not lines."""

    _FLUSH_AT = 32 * 1024

    def __init__(self, spool: Spool, names: list[str]) -> None:
        self._spool, self._buffer = spool, io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")
        self._names = names
        # the BOM straight to the spool: in the buffer it would make every character 4 bytes
        spool.write("\ufeff".encode())
        self._writer.writerow(names)

    def row(self, values: Mapping[str, Any]) -> None:
        # the csv module writes None as an empty field; only booleans need words (RFC 4180
        # has no types). The values come in the fields' order (the export builds them so).
        self._writer.writerow(
            [(("true" if v else "false") if v.__class__ is bool else v) for v in values.values()]
        )
        if self._buffer.tell() >= self._FLUSH_AT:
            self._flush()

    def close(self) -> None:
        self._flush()

    def _flush(self) -> None:
        text = self._buffer.getvalue()
        if text:
            self._spool.write(text.encode("utf-8"))
        self._buffer.seek(0)
        self._buffer.truncate()


def _schema(
    table: str, fields: tuple[ExportField, ...], seen: Mapping[str, set[str]], policy: Policy
) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for field in fields:
        types = sorted(seen[field.name])
        described = []
        if field.category:
            described.append(f"data category: {field.category}")
        if field.activity:
            described.append(f"processing activity: {field.activity}")
        properties[field.name] = {"type": types, "description": "; ".join(described) or "id"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:privaat:{policy.policy.id}:export:{table}",
        "title": table,
        "type": "array",
        "items": {
            "type": "object",
            "properties": properties,
            "required": [f.name for f in fields],
            "additionalProperties": False,
        },
    }


# JSON Schema type names by Python type (bool before int: True is an int too)
_TYPE_NAMES = {type(None): "null", bool: "boolean", int: "integer", float: "number"}


_DATE = "\x00privaat-summary-date\x00"
_TABLES = "\x00privaat-summary-tables\x00"
_SUMMARIES: dict[tuple[int, str, str, tuple[str, ...]], tuple[Policy, str]] = {}
_SUMMARIES_KEPT = 64


def _summary(
    policy: Policy,
    tables: list[tuple[str, int]],
    used: set[str],
    lang: str,
    at: datetime,
    kind: str,
) -> str:
    """The summary page. What it says of the activities depends only on the policy, the
    language, the kind and which activities hold data, so that text is rendered once and
    kept; the date and the table of parts are filled in for each answer (the render was
    ~1.5 ms of a ~15-row export's 10 ms budget, W1)."""
    key = (id(policy), lang, kind, tuple(sorted(used)))
    cached = _SUMMARIES.get(key)
    if cached is None or cached[0] is not policy:
        if len(_SUMMARIES) >= _SUMMARIES_KEPT:
            _SUMMARIES.clear()
        cached = _SUMMARIES[key] = (policy, _render_summary(policy, used, lang, kind))
    rows = "".join(
        f"<tr><td><code>data/{escape(table)}.json</code></td><td>{count}</td></tr>\n"
        for table, count in tables
    )
    return cached[1].replace(_DATE, at.date().isoformat()).replace(_TABLES, rows)


def _render_summary(policy: Policy, used: set[str], lang: str, kind: str) -> str:
    _ = translations(lang).gettext
    activities = [a for a in policy.activities if a.id in used]
    template = environment(lang).get_template("access_summary.html.j2")
    return template.render(
        lang=lang,
        kind=kind,
        generated_on=_DATE,
        controller=policy.controller,
        contact=policy.privacy_contact,
        authority=policy.supervisory_authority,
        activities=[_activity_facts(policy, a, lang) for a in activities],
        table_rows=Markup(_TABLES),  # noqa: S704  (a placeholder, filled with escaped rows)
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
