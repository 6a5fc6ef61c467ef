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
        └── the keys themselves (``subject_keys``, ``hold_keys``): not data about anyone
        ▼
    SubjectData: one part per table, each field with its activity and data category

It walks the schema, not a list: a table a later issue adds is exported the day it lands,
and a test fails if a subject table is neither exported nor excluded here with a reason.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import Column, Connection, Table, select

from privaat.domain.activities import RIGHTS
from privaat.domain.principal import Principal
from privaat.services.subject_access import Operation, SubjectAccess
from privaat.store.crypto import DecryptionError, SubjectCipher
from privaat.store.key_errors import SubjectKeyMissing
from privaat.store.registry import ErasureMode, Personal, SubjectTable, subject_tables
from privaat.store.tables import hold_keys, metadata
from privaat.store.unit_of_work import UnitOfWork

__all__ = ["EXCLUDED_TABLES", "ExportField", "ExportPart", "SubjectData", "SubjectExport"]

# tables that belong to a subject but hold nothing to hand over, and why
EXCLUDED_TABLES: Mapping[str, str] = MappingProxyType(
    {
        "subject_keys": "the key that encrypts the person's data, not data about them",
        "hold_keys": "the key that encrypts what erasure keeps, not data about them",
        "request_answers": "earlier answers to their requests: copies of this same data",
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

    def part(self, table: str) -> ExportPart | None:
        return next((part for part in self.parts if part.table == table), None)


class SubjectExport:
    """Collects a subject's data from every table that holds some (the registry)."""

    activities = frozenset({RIGHTS})

    def __init__(self, *, access: SubjectAccess) -> None:
        self._access = access
        self._tables = tuple(
            (table, spec)
            for table, spec in subject_tables(metadata)
            if table.name not in EXCLUDED_TABLES
        )

    def collect(self, uow: UnitOfWork, principal: Principal, subject_id: int) -> SubjectData:
        """The subject's data as it stands now, read under ``rights_handling``."""
        with uow.reading() as connection:
            data_cipher, held_cipher, pseudonym = self._ciphers(connection, principal, subject_id)
            parts = tuple(
                self._part(connection, table, spec, subject_id, pseudonym, data_cipher, held_cipher)
                for table, spec in self._tables
            )
        return SubjectData(pseudonym, tuple(part for part in parts if part.rows))

    # --- the steps ---------------------------------------------------------------------

    def _ciphers(
        self, connection: Connection, principal: Principal, subject_id: int
    ) -> tuple[SubjectCipher | None, SubjectCipher | None, str]:
        try:
            opened = self._access.open(
                connection, principal, subject_id, RIGHTS, operation=Operation.EXPORT
            )
            data_cipher: SubjectCipher | None = opened.cipher
            pseudonym = opened.pseudonym
        except SubjectKeyMissing:  # erased: only what erasure kept is left, under the hold key
            data_cipher, pseudonym = None, ""
        held_cipher = None
        has_hold_key = connection.execute(
            select(hold_keys.c.subject_id).where(hold_keys.c.subject_id == subject_id)
        ).first()
        if has_hold_key is not None:
            held = self._access.open_held(
                connection, principal, subject_id, RIGHTS, operation=Operation.EXPORT
            )
            held_cipher, pseudonym = held.cipher, held.pseudonym
        return data_cipher, held_cipher, pseudonym

    def _part(
        self,
        connection: Connection,
        table: Table,
        spec: SubjectTable,
        subject_id: int,
        pseudonym: str,
        data_cipher: SubjectCipher | None,
        held_cipher: SubjectCipher | None,
    ) -> ExportPart:
        columns = [column for column in table.columns if _exported(column)]
        owner = table.c[spec.subject_column]
        key = pseudonym if spec.by_pseudonym else subject_id
        order = list(table.primary_key.columns) or columns[:1]
        rows = connection.execute(select(*columns).where(owner == key).order_by(*order)).all()
        fields = tuple(_field(column) for column in columns)
        out: list[Mapping[str, Any]] = []
        files: list[tuple[str, bytes]] = []
        for number, row in enumerate(rows, start=1):
            values: dict[str, Any] = {}
            for column, value in zip(columns, row, strict=True):
                name = _public_name(column)
                if column.name.endswith("_enc"):
                    clear = _opened(table, column, value, data_cipher, held_cipher)
                    extension = column.info.get("file")
                    if clear is not None and (extension or isinstance(clear, bytes)):
                        path = f"{table.name}/{number}-{name}.{extension or 'bin'}"
                        files.append((path, clear if isinstance(clear, bytes) else clear.encode()))
                        clear = f"(file {path})"
                    values[name] = clear
                else:
                    values[name] = _plain(value)
            out.append(values)
        return ExportPart(table.name, fields, tuple(out), tuple(files))


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


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):  # a technical binary value: shown, never interpreted
        return base64.b64encode(value).decode("ascii")
    return value
