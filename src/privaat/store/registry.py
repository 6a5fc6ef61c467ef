"""The data registry: what every column holds, and how every table reaches a subject.

It lives on the table definitions themselves (``Column.info``, ``Table.info``), so a column
cannot be added without saying what it is (a test walks the schema):

    column ── personal(activity, category, erasure)   personal data, for a declared activity
           └─ technical()                              keys, ids, token hashes: nothing of its own

    table ── SubjectTable(subject_column, clock, hold)  rows that belong to one subject
          └─ Unlinked(reason, clock)                    no row names a subject (keyed hashes only)

How erasure treats a column (GDPR art. 17, with its exemptions in 17(3)):

- ``DELETE``  the value goes with its row;
- ``SHRED``   ciphertext under the subject's data key, unreadable once the key is destroyed
              (crypto-shredding reaches backups too); the row goes as well;
- ``HOLD``    kept, restricted, until the hold's clock runs out: what the law makes the
              provider keep (consent proof art. 7(1), the tax duty, a legal claim, the audit
              trail); encrypted held values are under the subject's **hold key**, which
              survives the data key until the last held row is gone.

Export, erasure, retention sweeps and the art. 30 data map are walks over this registry,
never hand-kept lists.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from sqlalchemy import Column, MetaData, Table

__all__ = [
    "ACCOUNT_CLOSURE",
    "TECHNICAL",
    "ErasureMode",
    "Personal",
    "SubjectTable",
    "Unlinked",
    "data_map",
    "encrypted_column_categories",
    "held_columns",
    "personal",
    "personal_columns",
    "registry_activities",
    "subject_tables",
    "table_spec",
    "technical",
]

TECHNICAL = "technical"
# a retention clock that is not a column of the table: the subject's account closure (P20)
ACCOUNT_CLOSURE = "account_closure"


class ErasureMode(StrEnum):
    """What erasure does with a column's value (module docstring)."""

    DELETE = "delete"  # deleted with its row
    SHRED = "shred"  # unreadable once the subject's data key is destroyed; the row goes too
    HOLD = "hold"  # kept, restricted, until its hold ends (art. 17(3)(b), (e))


@dataclass(frozen=True, slots=True)
class Personal:
    """A column of personal data: the activity it serves and its data category."""

    activity: str  # an activity id of the policy (LEGAL L1: every column has a purpose)
    category: str | None  # a data category of the policy; None for the record's own time
    erasure: ErasureMode


@dataclass(frozen=True, slots=True)
class SubjectTable:
    """A table whose rows belong to one subject, named by ``subject_column``."""

    subject_column: str  # "subject_id" (a foreign key) or "subject_pseudonym"
    clock: str  # the column whose time starts the retention clock, or ACCOUNT_CLOSURE
    # rows kept after the subject's erasure, for this activity's retention (None: deleted)
    hold: str | None = None

    @property
    def by_pseudonym(self) -> bool:
        return self.subject_column == "subject_pseudonym"


@dataclass(frozen=True, slots=True)
class Unlinked:
    """A table no row of which names a subject (e.g. keyed hashes for rate limiting)."""

    reason: str
    clock: str | None = None


def personal(
    name: str,
    type_: Any,
    *args: Any,
    activity: str,
    category: str | None,
    erasure: ErasureMode | None = None,
    **kwargs: Any,
) -> Column[Any]:
    """A column of personal data; ``_enc`` columns shred by default, others delete."""
    mode = erasure or (ErasureMode.SHRED if name.endswith("_enc") else ErasureMode.DELETE)
    info = {"personal": Personal(activity, category, mode)}
    return Column(name, type_, *args, info=info, **kwargs)


def technical(name: str, type_: Any, *args: Any, **kwargs: Any) -> Column[Any]:
    """A column that holds no personal data of its own: a key, an id, a hash of a token."""
    return Column(name, type_, *args, info={TECHNICAL: True}, **kwargs)


def table_spec(table: Table) -> SubjectTable | Unlinked:
    """How ``table`` reaches a subject; KeyError when the table declares nothing."""
    spec = table.info["subject"]
    if not isinstance(spec, SubjectTable | Unlinked):
        raise TypeError(f"{table.name}: info['subject'] must be SubjectTable or Unlinked")
    return spec


def subject_tables(metadata: MetaData) -> Iterator[tuple[Table, SubjectTable]]:
    """Every table whose rows belong to a subject, parents before children."""
    for table in metadata.sorted_tables:
        spec = table.info.get("subject")
        if isinstance(spec, SubjectTable):
            yield table, spec


def personal_columns(table: Table) -> Iterator[tuple[Column[Any], Personal]]:
    for column in table.columns:
        role = column.info.get("personal")
        if isinstance(role, Personal):
            yield column, role


def held_columns(table: Table) -> list[str]:
    """The columns of ``table`` that erasure keeps (HOLD)."""
    return [c.name for c, role in personal_columns(table) if role.erasure is ErasureMode.HOLD]


def registry_activities(metadata: MetaData) -> frozenset[str]:
    """Every activity a column or a hold of the schema names: the policy must declare them."""
    named = {
        role.activity for table in metadata.tables.values() for _c, role in personal_columns(table)
    }
    holds = {
        spec.hold
        for table in metadata.tables.values()
        if isinstance(spec := table.info.get("subject"), SubjectTable) and spec.hold
    }
    return frozenset(named | holds)


def encrypted_column_categories(metadata: MetaData) -> Mapping[str, str]:
    """``table.field`` (the associated data of an ``_enc`` column) → its data category."""
    return MappingProxyType(
        {
            f"{table.name}.{column.name.removesuffix('_enc')}": role.category
            for table in metadata.tables.values()
            for column, role in personal_columns(table)
            if column.name.endswith("_enc") and role.category is not None
        }
    )


def data_map(metadata: MetaData) -> Mapping[str, Mapping[str, str]]:
    """table → column → activity id (or ``technical``): the register's data map (art. 30)."""
    return MappingProxyType(
        {
            table.name: MappingProxyType(
                {
                    column.name: (
                        column.info["personal"].activity if "personal" in column.info else TECHNICAL
                    )
                    for column in table.columns
                }
            )
            for table in metadata.sorted_tables
        }
    )
