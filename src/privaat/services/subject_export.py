"""Everything held about one subject, read for an access or portability answer (issue 11
item 4; GDPR art. 15, 20; LEGAL L59, L63).

    the registry (store.registry): every table whose rows belong to a subject
        │   by subject_id, or by pseudonym (access log, audit trail)
        ▼
    collect(subject) ── opened once under rights_handling (Operation.EXPORT, access-logged)
        ├── ``*_enc`` columns decrypted: held columns under the hold key, the rest under the
        │   data key (each ciphertext is bound to ``table.column``)
        ├── keyed hashes (``*_bidx``, ``*_hash``) and key material are left out: they are no
        │   readable data, only a way to find it (the summary says so)
        ├── the keys themselves (``subject_keys``, ``hold_keys``): not data about anyone
        └── other people's data taken out (render.redaction, art. 15(4), L62): staff named
            by role; other people's addresses, phone numbers and IBANs out of stored mails,
            request fields and the texts of support cases, notes, orders and objections. What
            stays is the person's own (``_own_parties``: the addresses, phone numbers and
            names of the account, their support cases, orders and requests); the names of
            the other customers whose address her texts name go too (``_mentioned``)
        ▼
    SubjectData: one part per table, each field with its activity and data category
    (``stream``: the same, table by table and row by row, for an answer written as a stream)

Per table the statement and the handling of each column are worked out once (``_TablePlan``)
and run on the driver's cursor: an export reads ~30 tables, and building and compiling a
SQLAlchemy statement per table cost more than reading a small person's rows (W1).

It walks the schema, not a list: a table a later issue adds is exported the day it lands,
and a test fails if a subject table is neither exported nor excluded here with a reason.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import Column, Connection, Date, DateTime, LargeBinary, Table, bindparam, select

from privaat.domain.activities import RIGHTS
from privaat.domain.clock import Clock, SystemClock
from privaat.domain.disclosures import may_be_told
from privaat.domain.principal import DataSubject, Principal, SystemJob
from privaat.render.redaction import (
    Parties,
    Rule,
    addresses_in,
    redact_actor,
    redact_free_text,
    redact_mail,
    redact_recording,
    redact_text,
    rule_for,
)
from privaat.services.subject_access import Opened, Operation, SubjectAccess
from privaat.store.crypto import DecryptionError, SubjectCipher
from privaat.store.holders import Compiled
from privaat.store.key_errors import SubjectKeyMissing
from privaat.store.key_store import KeyStore
from privaat.store.registry import ErasureMode, Personal, SubjectTable, subject_tables
from privaat.store.tables import UTCDateTime, accounts, hold_keys, metadata
from privaat.store.tables_disclosures import disclosures
from privaat.store.tables_requests import request_mails, subject_requests
from privaat.store.tables_rights import request_objections
from privaat.store.tables_shop import shop_invoices, shop_orders
from privaat.store.tables_support import support_case_events, support_cases
from privaat.store.unit_of_work import UnitOfWork

__all__ = [
    "EXCLUDED_TABLES",
    "ExportField",
    "ExportPart",
    "ExportStream",
    "StreamedPart",
    "SubjectData",
    "SubjectExport",
]

# tables that belong to a subject but hold nothing to hand over, and why
EXCLUDED_TABLES: Mapping[str, str] = MappingProxyType(
    {
        "subject_keys": "the key that encrypts the person's data, not data about them",
        "hold_keys": "the key that encrypts what erasure keeps, not data about them",
        "request_answers": "earlier answers to their requests: copies of this same data",
        # P12, L36: its own part, ``disclosures``, without those a legal bar keeps from them
        "disclosures": "shown as the part 'disclosures', less those under a legal bar",
    }
)
_HASHED_SUFFIXES = ("_bidx", "_hash")
_KEY_COLUMNS = frozenset({"wrapped_key", "master_key_id"})


@dataclass(frozen=True, slots=True)
class ExportField:
    """One exported column: what it is for (activity) and what kind of data (category)."""

    name: str
    activity: str | None  # None for a technical column (an id, a reference)
    category: str | None


@dataclass(frozen=True, slots=True)
class ExportPart:
    """One table's rows about the subject, clear text, in the schema's column order."""

    table: str
    fields: tuple[ExportField, ...]
    rows: tuple[Mapping[str, Any], ...]
    # binary values (a mail as received) by row and field, handed over as original files
    files: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True, slots=True)
class SubjectData:
    """Everything held about one subject."""

    pseudonym: str
    parts: tuple[ExportPart, ...]
    # per original file, what the redaction says of it (a muted or a mono recording)
    notes: Mapping[str, str] = dataclasses.field(default_factory=lambda: MappingProxyType({}))

    def part(self, table: str) -> ExportPart | None:
        return next((part for part in self.parts if part.table == table), None)


@dataclass(frozen=True, slots=True)
class StreamedPart:
    """One table's rows about the subject, read lazily (an answer streams them into its ZIP):
    each row with the original files it holds. Iterate ``rows`` inside the transaction."""

    table: str
    fields: tuple[ExportField, ...]
    rows: Iterator[tuple[Mapping[str, Any], tuple[tuple[str, bytes], ...]]]


class _Kept:
    """What the redaction of one export keeps: the person's own identifiers, read before
    the parts, and more of them a caller adds before it reads the parts (``also_own``);
    and, as the parts are read, a note per original file the redaction could not finish
    (a mono recording) or changed (a muted channel), for the manifest."""

    __slots__ = ("notes", "parties")

    def __init__(self, parties: Parties) -> None:
        self.parties = parties
        self.notes: dict[str, str] = {}


@dataclass(frozen=True, slots=True)
class ExportStream:
    """A subject's data as a stream: the parts (read lazily), and the data key's opening
    (None once erased) that an answer seals its file under."""

    pseudonym: str
    parts: Iterator[StreamedPart]
    opened: Opened | None
    kept: _Kept = dataclasses.field(default_factory=lambda: _Kept(Parties()))

    @property
    def notes(self) -> Mapping[str, str]:
        """Per original file (its path in the part), what the redaction says of it (L62):
        complete once every part has been read."""
        return self.kept.notes

    def also_own(self, *, ibans: Iterable[str] = (), phones: Iterable[str] = ()) -> None:
        """More of the person's own identifiers for the redaction to keep (an IBAN a store
        outside privaat holds for them); before the parts are read."""
        own = self.kept.parties
        self.kept.parties = Parties.of(
            addresses=own.addresses,
            phones=[*own.phones, *phones],
            ibans=[*own.ibans, *ibans],
            names=own.names,
            others=own.others,
        )


class SubjectExport:
    """Collects a subject's data from every table that holds some (the registry)."""

    activities = frozenset({RIGHTS})

    def __init__(
        self,
        *,
        access: SubjectAccess,
        mailboxes: Iterable[str] = (),
        clock: Clock | None = None,
        keys: KeyStore | None = None,
    ) -> None:
        self._access = access
        # the blind index finds the other customers a text mentions (None: names not looked up)
        self._keys = keys
        # the day against which a disclosure's legal bar is read (P12, L36)
        self._clock: Clock = clock or SystemClock()
        # the controller's own addresses (the privacy mailbox): no other person's, so kept
        self._mailboxes = frozenset(address.strip().lower() for address in mailboxes if address)
        self._tables = tuple(
            (table, spec)
            for table, spec in subject_tables(metadata)
            if table.name not in EXCLUDED_TABLES
        )
        self._plans = tuple(_TablePlan(table, spec) for table, spec in self._tables)

    def collect(
        self,
        uow: UnitOfWork,
        principal: Principal,
        subject_id: int,
        *,
        activity: str = RIGHTS,
        operation: Operation = Operation.EXPORT,
    ) -> SubjectData:
        """The subject's data as it stands now, read under ``rights_handling`` (or, for a
        disclosure, the activity that hands it over)."""
        with uow.reading() as connection:
            stream = self.stream(
                connection, principal, subject_id, activity=activity, operation=operation
            )
            collected = []
            for part in stream.parts:
                rows: list[Mapping[str, Any]] = []
                files: list[tuple[str, bytes]] = []
                for values, held_files in part.rows:
                    rows.append(values)
                    files.extend(held_files)
                if rows:
                    collected.append(ExportPart(part.table, part.fields, tuple(rows), tuple(files)))
        return SubjectData(stream.pseudonym, tuple(collected), MappingProxyType(dict(stream.notes)))

    def stream(
        self,
        connection: Connection,
        principal: Principal,
        subject_id: int,
        *,
        activity: str = RIGHTS,
        operation: Operation = Operation.EXPORT,
    ) -> ExportStream:
        """The subject's data table by table, read lazily in the caller's transaction; the
        keys are opened (and the export access-logged) before it returns."""
        opened, held_cipher, pseudonym = self._ciphers(
            connection, principal, subject_id, activity, operation
        )
        opener = _Opener(opened.cipher if opened else None, held_cipher)
        own = _own_parties(connection, subject_id, opener, self._mailboxes)
        if activity == RIGHTS:  # the names of the other customers her texts mention
            own = own.with_others(self._mentioned(connection, principal, subject_id, opener, own))
        kept = _Kept(own)
        parts: Iterator[StreamedPart] = (
            StreamedPart(
                plan.table.name,
                plan.fields,
                plan.rows(connection, pseudonym if plan.by_pseudonym else subject_id, opener, kept),
            )
            for plan in self._plans
        )
        if activity == RIGHTS:  # a disclosure hands over data, never the register itself
            today = self._clock.now().date()
            told = _DisclosurePart(connection, subject_id, opener, today)
            parts = _then(parts, told.part())
        return ExportStream(pseudonym, parts, opened, kept)

    # --- the steps ---------------------------------------------------------------------

    def _mentioned(
        self,
        connection: Connection,
        principal: Principal,
        subject_id: int,
        opener: _Opener,
        own: Parties,
    ) -> frozenset[str]:
        """The names of the other customers whose e-mail address the person's texts name
        (art. 15(4), L62): found by the address's keyed hash, each other customer opened
        under rights_handling and access-logged as read; their name goes from her texts.

        Only these, not every customer's: opening all of them for each answer would put an
        entry in every customer's access log and cost a key per customer (the guard's
        rights_handling reads one subject's data for their own request)."""
        mentioned: set[str] = set()
        for table, column, query in _TEXTS:
            for (blob,) in query.rows(connection, subject_id):
                value = opener.open(table, column, blob) if blob is not None else None
                if value is not None:
                    mentioned |= addresses_in(value)
        mentioned -= own.addresses
        if not mentioned or self._keys is None:
            return frozenset()
        if connection.execute(select(accounts.c.subject_id).limit(1)).first() is None:
            return frozenset()  # no account at all: no index key, no one to find
        index = self._keys.blind_index(connection)
        others = connection.execute(
            select(accounts.c.subject_id).where(
                accounts.c.email_bidx.in_([index.email(address) for address in mentioned]),
                accounts.c.subject_id != subject_id,
            )
        ).scalars()
        # a data subject opens no one else: the job of their answer does, logged by its name
        reader = SystemJob("access-redaction") if isinstance(principal, DataSubject) else principal
        found = self._access.open_many(
            connection, reader, list(others), RIGHTS, operation=Operation.READ
        )
        names: set[str] = set()
        for opened in found.values():
            if not isinstance(opened, Opened):
                continue  # the guard refused: their name is not read, nor taken out
            for shown in ("name", "display_name"):
                if opened.withholds(f"accounts.{shown}"):
                    continue
                name = opened.decrypt(f"accounts.{shown}", opened.record.get(f"{shown}_enc"))
                if name:
                    names.add(name)
        return frozenset(names)

    def _ciphers(
        self,
        connection: Connection,
        principal: Principal,
        subject_id: int,
        activity: str,
        operation: Operation,
    ) -> tuple[Opened | None, SubjectCipher | None, str]:
        opened: Opened | None
        try:
            opened = self._access.open(
                connection, principal, subject_id, activity, operation=operation
            )
            pseudonym = opened.pseudonym
        except SubjectKeyMissing:  # erased: only what erasure kept is left, under the hold key
            opened, pseudonym = None, ""
        held_cipher = None
        if _HOLD_KEY.first(connection, subject_id) is not None:
            held = self._access.open_held(
                connection, principal, subject_id, activity, operation=operation
            )
            held_cipher, pseudonym = held.cipher, held.pseudonym
        return opened, held_cipher, pseudonym


def _then(parts: Iterator[StreamedPart], last: StreamedPart) -> Iterator[StreamedPart]:
    yield from parts
    yield last


# P12, L36, art. 15(1)(c): what was disclosed, to whom, when, on what ground; not the
# released file (a copy of this same data) nor the staff member (art. 15(4))
_TOLD_COLUMNS = (
    "disclosed_at",
    "ground",
    "recipient",
    "country",
    "categories",
    "window_start",
    "window_end",
    "handed_fields",
    "released_digest",
    "requested_by_enc",
    "reference_enc",
)


class _DisclosurePart:
    """The subject's disclosures that no legal bar keeps from them today."""

    def __init__(
        self, connection: Connection, subject_id: int, opener: _Opener, today: date
    ) -> None:
        self._connection, self._subject_id = connection, subject_id
        self._opener, self._today = opener, today

    def part(self) -> StreamedPart:
        columns = [disclosures.c[name] for name in _TOLD_COLUMNS]
        return StreamedPart(
            disclosures.name, tuple(_field(column) for column in columns), self._rows(columns)
        )

    def _rows(
        self, columns: list[Column[Any]]
    ) -> Iterator[tuple[Mapping[str, Any], tuple[tuple[str, bytes], ...]]]:
        rows = self._connection.execute(
            select(*columns, disclosures.c.bar_until)
            .where(disclosures.c.subject_id == self._subject_id)
            .order_by(disclosures.c.disclosed_at, disclosures.c.id)
        ).mappings()
        for row in rows:
            if not may_be_told(row["bar_until"], today=self._today):
                continue  # a gagging order: not until its end (Sv 126nd-126ng, L36)
            values: dict[str, Any] = {}
            for column in columns:
                value = row[column.name]
                if column.name.endswith("_enc"):
                    value = self._opener.open(disclosures, column, value)
                elif isinstance(value, datetime):
                    value = _iso_time(value)
                values[_public_name(column)] = value
            yield values, ()


_HOLD_KEY = Compiled(
    select(hold_keys.c.subject_id).where(hold_keys.c.subject_id == bindparam("key"))
)
# where the person's own identifiers are: what a redacted text keeps (art. 15(4) takes out
# only other people's); by table, the columns that hold them and what each one is
_OWN = tuple(
    (
        table,
        tuple((table.c[f"{name}_enc"], kind) for name, kind in columns),
        Compiled(
            select(*(table.c[f"{name}_enc"] for name, _kind in columns)).where(
                table.c.subject_id == bindparam("key")
            )
        ),
    )
    for table, columns in (
        (accounts, (("email", "address"), ("phone", "phone"), ("name", "name"))),
        (support_cases, (("email", "address"), ("phone", "phone"), ("name", "name"))),
        (shop_orders, (("email", "address"), ("phone", "phone"), ("name", "name"))),
        (shop_invoices, (("name", "name"),)),
        (subject_requests, (("details", "details"),)),
    )
)


# the texts in which the person may name someone else (each one redacted as TEXT or MAIL)
_TEXTS = tuple(
    (
        table,
        table.c[name],
        Compiled(select(table.c[name]).where(table.c.subject_id == bindparam("key"))),
    )
    for table, name in (
        (support_cases, "title_enc"),
        (support_cases, "question_enc"),
        (support_case_events, "body_enc"),
        (shop_orders, "comment_enc"),
        (request_objections, "grounds_enc"),
        (subject_requests, "details_enc"),
        (request_mails, "raw_enc"),
    )
)


def _own_parties(
    connection: Connection, subject_id: int, opener: _Opener, mailboxes: Iterable[str]
) -> Parties:
    """The person's own addresses, phone numbers and names (the account's, their support
    cases', orders', invoices' and each request's), and the controller's mailboxes: what
    a redacted text keeps."""
    found: dict[str, set[str]] = {"address": set(mailboxes), "phone": set(), "name": set()}
    for table, columns, query in _OWN:
        for row in query.rows(connection, subject_id):
            for (column, kind), blob in zip(columns, row, strict=True):
                value = opener.open(table, column, blob) if blob is not None else None
                if not isinstance(value, str) or not value.strip():
                    continue
                if kind != "details":
                    found[kind].add(value)
                    continue
                try:
                    fields = json.loads(value)
                except ValueError:
                    continue
                for key, kind_of in (("email", "address"), ("phone", "phone"), ("name", "name")):
                    given = fields.get(key) if isinstance(fields, dict) else None
                    if isinstance(given, str) and given.strip():
                        found[kind_of].add(given)
    return Parties.of(addresses=found["address"], phones=found["phone"], names=found["name"])


class _Opener:
    """Opens encrypted cells with the subject's keys: held columns under the hold key first,
    the rest under the data key first, each bound to ``table.column``."""

    __slots__ = ("_data", "_held")

    def __init__(self, data: SubjectCipher | None, held: SubjectCipher | None) -> None:
        self._data, self._held = data, held

    def first(self, held: bool) -> SubjectCipher | None:
        return self._held if held else self._data

    def open(self, table: Table, column: Column[Any], blob: bytes | None) -> str | bytes | None:
        return _opened(table, column, blob, self._data, self._held)


# how a cell becomes an exported value, decided once per column (the row loop is hot: W1)
_AS_IS, _TIME, _DAY, _BINARY, _ACTOR, _SEALED = range(6)


@dataclass(frozen=True, slots=True)
class _Cell:
    """How one stored column becomes a value of the export."""

    column: Column[Any]
    name: str
    kind: int  # one of _AS_IS … _SEALED
    held: bool  # sealed under the hold key (registry HOLD), else the data key
    field: str  # what the ciphertext is bound to: "table.column" without _enc
    # an original file (the mail as received): its file extension, or a function of its bytes
    # that names it (a recording is a WAV or an Ogg file: store.tables_calls)
    extension: str | Callable[[bytes], str] | None
    rule: Rule | None  # other people's data to take out (render.redaction, L62)


def _kind(column: Column[Any]) -> int:
    if column.name.endswith("_enc"):
        return _SEALED
    if rule_for(column.table.name, column.name) is Rule.ACTOR:
        return _ACTOR
    if isinstance(column.type, UTCDateTime | DateTime):
        return _TIME
    if isinstance(column.type, Date):
        return _DAY
    if isinstance(column.type, LargeBinary):
        return _BINARY
    return _AS_IS


class _TablePlan:
    """One table's export, worked out once: the statement, the cells, the redaction rules."""

    def __init__(self, table: Table, spec: SubjectTable) -> None:
        self.table, self.by_pseudonym = table, spec.by_pseudonym
        columns = [column for column in table.columns if _exported(column)]
        self.fields = tuple(_field(column) for column in columns)
        self.cells = tuple(
            _Cell(
                column,
                _public_name(column),
                _kind(column),
                _is_held(column),
                f"{table.name}.{_public_name(column)}",
                column.info.get("file"),
                rule_for(table.name, column.name),
            )
            for column in columns
        )
        owner = table.c[spec.subject_column]
        order = list(table.primary_key.columns) or columns[:1]
        # times and days are turned into ISO 8601 here, without SQLAlchemy's parse first
        raw = frozenset(i for i, cell in enumerate(self.cells) if cell.kind in (_TIME, _DAY))
        statement = select(*columns).where(owner == bindparam("key")).order_by(*order)
        self._select = Compiled(statement, unprocessed=raw)

    def rows(
        self, connection: Connection, key: object, opener: _Opener, kept: _Kept
    ) -> Iterator[tuple[Mapping[str, Any], tuple[tuple[str, bytes], ...]]]:
        table, cells = self.table, self.cells
        keep = kept.parties  # as it stands when the first row is read
        # per export: each sealed cell's first key to try (the one its erasure mode implies)
        first = [opener.first(cell.held) for cell in cells]
        plan = [
            (cell.name, cell.kind, cell, cipher) for cell, cipher in zip(cells, first, strict=True)
        ]
        for number, row in enumerate(self._select.rows(connection, key), start=1):
            values: dict[str, Any] = {}
            files: list[tuple[str, bytes]] = []
            for (name, kind, cell, cipher), value in zip(plan, row, strict=True):
                if value is None or kind == _AS_IS:
                    values[name] = value
                elif kind == _TIME:
                    values[name] = _iso_time(value)
                elif kind == _DAY:
                    values[name] = value if isinstance(value, str) else value.isoformat()
                elif kind == _ACTOR:
                    values[name] = redact_actor(value)
                elif kind == _BINARY:
                    values[name] = base64.b64encode(value).decode("ascii")
                else:
                    clear = _open_fast(cipher, cell, value, opener, table)
                    note = None
                    if cell.rule is Rule.RECORDING and clear is not None:
                        raw = clear if isinstance(clear, bytes) else clear.encode("utf-8")
                        clear, note = redact_recording(raw)
                    elif cell.rule is not None and clear is not None:
                        clear = _redacted(cell.rule, clear, keep)
                    if clear is not None and (cell.extension or isinstance(clear, bytes)):
                        content = clear if isinstance(clear, bytes) else clear.encode()
                        extension = cell.extension
                        if callable(extension):
                            extension = extension(content)
                        path = f"{table.name}/{number}-{name}.{extension or 'bin'}"
                        files.append((path, content))
                        if note is not None:
                            kept.notes[path] = note
                        clear = f"(file {path})"
                    values[name] = clear
            yield values, tuple(files)


def _is_held(column: Column[Any]) -> bool:
    role = column.info.get("personal")
    return isinstance(role, Personal) and role.erasure is ErasureMode.HOLD


def _iso_time(value: Any) -> str:
    """A stored time as ISO 8601 in UTC, as ``datetime.isoformat`` writes it: SQLite keeps
    ``YYYY-MM-DD HH:MM:SS.ffffff`` text in UTC (tables.UTCDateTime), PostgreSQL an aware time."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC).isoformat()
    return str(moment.astimezone(UTC).isoformat())


def _open_fast(
    cipher: SubjectCipher | None, cell: _Cell, blob: bytes, opener: _Opener, table: Table
) -> str | bytes | None:
    """The common case in one try: the key the erasure mode implies, the field's own name;
    anything else (an older field name, the other key, no key) takes the full search."""
    if cipher is not None:
        try:
            clear = cipher.decrypt_bytes(cell.field, blob)
        except DecryptionError:
            pass
        else:
            try:
                return clear.decode("utf-8")
            except UnicodeDecodeError:
                return clear
    return opener.open(table, cell.column, blob)


def _redacted(rule: Rule, clear: str | bytes, keep: Parties) -> str | bytes:
    if rule is Rule.MAIL:
        raw = clear if isinstance(clear, bytes) else clear.encode("utf-8")
        return redact_mail(raw, keep)
    if rule is Rule.FREE_TEXT and isinstance(clear, str):
        return redact_free_text(clear, keep)
    if rule is Rule.TEXT and isinstance(clear, str):
        return redact_text(clear, keep)
    if rule is Rule.ACTOR and isinstance(clear, str):
        return redact_actor(clear)
    return clear


def _exported(column: Column[Any]) -> bool:
    name = column.name
    return not (name.endswith(_HASHED_SUFFIXES) or name in _KEY_COLUMNS)


def _public_name(column: Column[Any]) -> str:
    return column.name.removesuffix("_enc")


def _field(column: Column[Any]) -> ExportField:
    role = column.info.get("personal")
    if isinstance(role, Personal):
        return ExportField(_public_name(column), role.activity, role.category)
    return ExportField(_public_name(column), None, None)


def _opened(
    table: Table,
    column: Column[Any],
    blob: bytes | None,
    data_cipher: SubjectCipher | None,
    held_cipher: SubjectCipher | None,
) -> str | bytes | None:
    """The clear value of an encrypted cell: text, or bytes when it is not text (a file)."""
    if blob is None:
        return None
    role = column.info.get("personal")
    held = isinstance(role, Personal) and role.erasure is ErasureMode.HOLD
    primary, other = (held_cipher, data_cipher) if held else (data_cipher, held_cipher)
    if primary is None:
        # erased: the data key is gone, and with it every value it encrypted (art. 17)
        return None
    # each ciphertext is bound to "table.column" (without _enc; a few older fields keep it)
    for cipher in (primary, other):
        for field in (f"{table.name}.{_public_name(column)}", f"{table.name}.{column.name}"):
            if cipher is None:
                continue
            try:
                clear = cipher.decrypt_bytes(field, blob)
            except DecryptionError:
                continue
            try:
                return clear.decode("utf-8")
            except UnicodeDecodeError:
                return clear
    # never a silent gap in an access answer (art. 15(3): a full copy)
    raise DecryptionError(f"{table.name}.{column.name}: no key of the subject opens it")
