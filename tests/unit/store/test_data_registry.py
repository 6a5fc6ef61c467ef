"""LEGAL L1 and issue 4 item 4: every column says what it holds, every table how it reaches a
subject, and every table that reaches one has a holder that export and erasure walk."""

from __future__ import annotations

import pytest
from sqlalchemy import PrimaryKeyConstraint, Table, UniqueConstraint

from privaat.policy.loader import load_policy_file
from privaat.policy.schema import Policy
from privaat.settings import default_policy_file
from privaat.store.holders import holders
from privaat.store.registry import (
    TECHNICAL,
    ErasureMode,
    Personal,
    SubjectTable,
    Unlinked,
    data_map,
    personal_columns,
    table_spec,
)
from privaat.store.tables import metadata

TABLES = sorted(metadata.tables.values(), key=lambda t: t.name)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy_file(default_policy_file())


def _reaches_a_subject(table: Table) -> bool:
    names_a_pseudonym = "subject_pseudonym" in table.c
    refers_to_subjects = any(fk.column.table.name == "subjects" for fk in table.foreign_keys)
    return table.name == "subjects" or names_a_pseudonym or refers_to_subjects


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_l1_every_column_declares_personal_or_technical(table: Table) -> None:
    for column in table.columns:
        kinds = [kind for kind in ("personal", TECHNICAL) if kind in column.info]
        assert len(kinds) == 1, f"{table.name}.{column.name} declares {kinds or 'nothing'}"


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_l1_every_encrypted_or_hashed_column_is_personal_data(table: Table) -> None:
    for column in table.columns:
        if column.name.endswith(("_enc", "_bidx")):
            assert isinstance(column.info.get("personal"), Personal), f"{table.name}.{column.name}"


def test_l1_every_activity_and_category_named_is_declared_in_the_policy(policy: Policy) -> None:
    activities = {a.id for a in policy.activities}
    categories = {c.id for c in policy.data_categories}
    for table in TABLES:
        for column, role in personal_columns(table):
            where = f"{table.name}.{column.name}"
            assert role.activity in activities, f"{where}: unknown activity {role.activity}"
            assert role.category is None or role.category in categories, f"{where}: {role.category}"


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_every_table_that_reaches_a_subject_has_a_holder(table: Table) -> None:
    spec = table_spec(table)  # KeyError: the table declares nothing
    held = {holder.table.name for holder in holders()}
    if _reaches_a_subject(table):
        assert isinstance(spec, SubjectTable), f"{table.name} reaches a subject: SubjectTable"
        assert table.name in held
        assert spec.subject_column in table.c
    else:
        assert isinstance(spec, Unlinked) and spec.reason
        assert table.name not in held


@pytest.mark.parametrize("holder", list(holders()), ids=lambda h: h.table.name)
def test_a_held_table_empties_only_nullable_columns_and_keeps_the_subject_reference(
    holder: object,
) -> None:
    from privaat.store.holders import SubjectRows

    assert isinstance(holder, SubjectRows)
    if not holder.held:
        return
    for name in holder.cleared_columns:
        assert holder.table.c[name].nullable, f"{holder.table.name}.{name} cannot be emptied"
    assert holder.spec.subject_column not in holder.cleared_columns


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_every_retention_clock_names_a_column_or_the_account_closure(table: Table) -> None:
    spec = table_spec(table)
    if spec.clock is not None and spec.clock != "account_closure":
        assert spec.clock in table.c, f"{table.name}: clock {spec.clock}"


def test_l34_l64_proof_and_logs_are_held_and_account_data_is_not() -> None:
    def mode(table: str, column: str) -> ErasureMode:
        role = metadata.tables[table].c[column].info["personal"]
        assert isinstance(role, Personal)
        return role.erasure

    # art. 7(1): the proof of consent outlives the account; its evidence is under the hold key
    assert mode("consent_events", "evidence_enc") is ErasureMode.HOLD
    assert mode("access_log", "actor") is ErasureMode.HOLD
    # the account itself is shredded with the data key
    assert mode("accounts", "name_enc") is ErasureMode.SHRED
    assert mode("accounts", "email_bidx") is ErasureMode.DELETE


def test_the_data_map_is_derived_from_the_tables() -> None:
    mapped = data_map(metadata)
    assert set(mapped) == set(metadata.tables)
    assert mapped["accounts"]["email_enc"] == "account"
    assert mapped["accounts"]["subject_id"] == TECHNICAL


@pytest.mark.parametrize("holder", list(holders()), ids=lambda h: h.table.name)
def test_every_subject_reference_leads_an_index(holder: object) -> None:
    # the export, the erasure and ON DELETE CASCADE find a person's rows by it: without an
    # index each of them reads the whole table (at a million accounts, seconds per request)
    from privaat.store.holders import SubjectRows

    assert isinstance(holder, SubjectRows)
    table, column = holder.table, holder.spec.subject_column
    leading = [next(iter(index.columns)).name for index in table.indexes]
    leading += [  # a primary key or a unique constraint is an index too
        next(iter(constraint.columns)).name
        for constraint in table.constraints
        if isinstance(constraint, (PrimaryKeyConstraint, UniqueConstraint)) and constraint.columns
    ]
    assert column in leading, f"{table.name}.{column} leads no index"
