"""Master key rotation: every subject and system key re-wrapped under a new master key.

No data column is touched: data is encrypted under the subjects' own keys, and only the
wrapping of those keys changes (envelope encryption).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Table, bindparam, func, select, union, update

from privaat.store.crypto import KeyUnwrapError, MasterKey
from privaat.store.key_errors import KeyRotationError
from privaat.store.key_store import ROTATION_BATCH, hold_context, subject_context, system_context
from privaat.store.tables import hold_keys, subject_keys, subjects, system_keys

__all__ = ["RotationReport", "rotate_master_key"]


@dataclass(frozen=True)
class RotationReport:
    """What a master key rotation re-wrapped, and what was already on the new key."""

    old_key_id: str
    new_key_id: str
    subject_keys_rewrapped: int
    hold_keys_rewrapped: int
    system_keys_rewrapped: int
    already_on_new_key: int


def rotate_master_key(
    conn: Connection, old: MasterKey, new: MasterKey, *, batch_size: int = ROTATION_BATCH
) -> RotationReport:
    """Re-wrap every subject and system key from ``old`` to ``new``; no data column is touched.

    Run it in one transaction: a failure leaves every key on the old master key. Rows
    already on ``new`` are skipped, so a rerun after a crash finishes the job.
    """
    if old.id == new.id:
        raise KeyRotationError(f"the new master key is the current one ({old.id})")
    foreign = _foreign_master_key_ids(conn, {old.id, new.id})
    if foreign:
        raise KeyRotationError(
            f"keys wrapped by master key(s) {', '.join(sorted(foreign))} are neither the old "
            f"({old.id}) nor the new ({new.id}) key: is --old-key-file the key in use?"
        )
    already = sum(
        conn.execute(
            select(func.count()).select_from(table).where(table.c.master_key_id == new.id)
        ).scalar_one()
        for table in (subject_keys, hold_keys, system_keys)
    )
    return RotationReport(
        old_key_id=old.id,
        new_key_id=new.id,
        subject_keys_rewrapped=_rewrap_per_subject(
            conn, subject_keys, subject_context, old, new, batch_size
        ),
        hold_keys_rewrapped=_rewrap_per_subject(
            conn, hold_keys, hold_context, old, new, batch_size
        ),
        system_keys_rewrapped=_rewrap_system_keys(conn, old, new),
        already_on_new_key=already,
    )


def _foreign_master_key_ids(conn: Connection, known: set[str]) -> set[str]:
    used = union(
        select(subject_keys.c.master_key_id).distinct(),
        select(hold_keys.c.master_key_id).distinct(),
        select(system_keys.c.master_key_id).distinct(),
    )
    return {key_id for (key_id,) in conn.execute(used)} - known


def _rewrap(old: MasterKey, new: MasterKey, wrapped: bytes, context: bytes, what: str) -> bytes:
    try:
        return new.wrap(old.unwrap(wrapped, context=context), context=context)
    except KeyUnwrapError as error:
        raise KeyRotationError(f"{what} does not unwrap under the old key: {error}") from error


def _rewrap_per_subject(
    conn: Connection,
    table: Table,
    context: Callable[[str], bytes],
    old: MasterKey,
    new: MasterKey,
    batch: int,
) -> int:
    page = (
        select(table.c.subject_id, table.c.wrapped_key, subjects.c.pseudonym)
        .join(subjects, subjects.c.id == table.c.subject_id)
        .where(table.c.master_key_id == old.id, table.c.subject_id > bindparam("after"))
        .order_by(table.c.subject_id)
        .limit(batch)
    )
    store = (
        update(table)
        .where(
            table.c.subject_id == bindparam("b_subject_id"),
            table.c.master_key_id == old.id,
        )
        .values(wrapped_key=bindparam("b_wrapped"), master_key_id=new.id)
    )
    done, after = 0, -1
    while rows := conn.execute(page, {"after": after}).all():
        conn.execute(
            store,
            [
                {
                    "b_subject_id": row.subject_id,
                    "b_wrapped": _rewrap(
                        old,
                        new,
                        row.wrapped_key,
                        context(row.pseudonym),
                        f"subject {row.subject_id}'s {table.name} row",
                    ),
                }
                for row in rows
            ],
        )
        done += len(rows)
        after = rows[-1].subject_id
    return done


def _rewrap_system_keys(conn: Connection, old: MasterKey, new: MasterKey) -> int:
    # a handful of rows (the blind-index key): one read, one executemany
    rows = conn.execute(
        select(system_keys.c.name, system_keys.c.wrapped_key).where(
            system_keys.c.master_key_id == old.id
        )
    ).all()
    if rows:
        conn.execute(
            update(system_keys)
            .where(system_keys.c.name == bindparam("b_name"), system_keys.c.master_key_id == old.id)
            .values(wrapped_key=bindparam("b_wrapped"), master_key_id=new.id),
            [
                {
                    "b_name": row.name,
                    "b_wrapped": _rewrap(
                        old,
                        new,
                        row.wrapped_key,
                        system_context(row.name),
                        f"system key {row.name}",
                    ),
                }
                for row in rows
            ],
        )
    return len(rows)
