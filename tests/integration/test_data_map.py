"""LEGAL L1: every table and column maps to a processing activity the policy declares."""

from __future__ import annotations

import pytest

from privaat.policy.loader import load_policy_file
from privaat.policy.schema import Policy
from privaat.settings import default_policy_file
from privaat.store.data_map import DATA_MAP, TECHNICAL
from privaat.store.tables import metadata


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy_file(default_policy_file())


def test_l1_every_table_is_in_the_data_map() -> None:
    assert set(metadata.tables) == set(DATA_MAP)


@pytest.mark.parametrize("table", sorted(metadata.tables))
def test_l1_every_column_maps_to_an_activity(table: str) -> None:
    columns = {column.name for column in metadata.tables[table].columns}
    assert columns == set(DATA_MAP[table]), f"{table}: map and table disagree"


def test_l1_every_mapped_activity_is_declared_in_the_policy(policy: Policy) -> None:
    declared = {activity.id for activity in policy.activities}
    named = {a for columns in DATA_MAP.values() for a in columns.values()} - {TECHNICAL}
    assert named <= declared, named - declared


def test_l1_every_encrypted_column_is_personal_data_of_an_activity() -> None:
    for table, columns in DATA_MAP.items():
        for column, activity in columns.items():
            if column.endswith("_enc"):
                assert activity != TECHNICAL, f"{table}.{column} holds personal data"
