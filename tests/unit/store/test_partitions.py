"""The month arithmetic and key rewriting of the PostgreSQL partitions (store.partitions),
with hand-written expectations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from privaat.store.partitions import _keyed, add_months, month_start


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (datetime(2026, 11, 1, tzinfo=UTC), 1, datetime(2026, 12, 1, tzinfo=UTC)),
        (datetime(2026, 12, 1, tzinfo=UTC), 1, datetime(2027, 1, 1, tzinfo=UTC)),
        (datetime(2026, 12, 1, tzinfo=UTC), 3, datetime(2027, 3, 1, tzinfo=UTC)),
        (datetime(2026, 1, 1, tzinfo=UTC), -1, datetime(2025, 12, 1, tzinfo=UTC)),
        (datetime(2026, 3, 1, tzinfo=UTC), -36, datetime(2023, 3, 1, tzinfo=UTC)),
        (datetime(2026, 3, 1, tzinfo=UTC), -14, datetime(2025, 1, 1, tzinfo=UTC)),
    ],
)
def test_add_months_crosses_years_both_ways(
    start: datetime, months: int, expected: datetime
) -> None:
    assert add_months(start, months) == expected


def test_a_month_starts_at_midnight_utc_whatever_the_zone() -> None:
    # 00:30 on 1 December in Amsterdam is still 30 November in UTC
    amsterdam = timezone(timedelta(hours=1))
    assert month_start(datetime(2026, 12, 1, 0, 30, tzinfo=amsterdam)) == datetime(
        2026, 11, 1, tzinfo=UTC
    )
    assert month_start(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == datetime(
        2026, 12, 1, tzinfo=UTC
    )


def test_the_partition_key_joins_primary_and_unique_keys_once() -> None:
    assert _keyed("PRIMARY KEY (id)", "at", add=True) == "PRIMARY KEY (id, at)"
    assert (
        _keyed("UNIQUE (service_id, event_id, at)", "at", add=True)
        == "UNIQUE (service_id, event_id, at)"
    )
    assert _keyed("UNIQUE (service_id, event_id)", "at", add=True) == (
        "UNIQUE (service_id, event_id, at)"
    )
    foreign = "FOREIGN KEY (subject_id) REFERENCES subjects(id) ON DELETE CASCADE"
    assert _keyed(foreign, "at", add=True) == foreign


def test_reverting_takes_the_partition_key_out_but_never_empties_a_key() -> None:
    assert _keyed("PRIMARY KEY (id, at)", "at", add=False) == "PRIMARY KEY (id)"
    assert _keyed("UNIQUE (at)", "at", add=False) == "UNIQUE (at)"
