"""The W7 retention benchmark runs tiny (the figures live in bench/RESULTS.md): the sweep beside
a raw DELETE of the same rows, and the longest stall of a writer during the sweep."""

from __future__ import annotations

import pytest
from bench import retention_bench
from sqlalchemy import Engine


def test_w7_benchmark_runs_tiny_and_reports_ours_beside_the_raw_delete() -> None:
    lines = retention_bench.run(500, emit=lambda _line: None)
    rows = [line for line in lines if line.startswith("| SQLite")]
    assert len(rows) == 2 and all("500 rows" in row and "rows/s" in row for row in rows)
    assert rows[0].startswith("| SQLite raw DELETE") and "retention sweep" in rows[1]
    label = "W7 SQLite retention sweep (batches of 2,000)"
    assert any(line.startswith(f"{label}: ") and "x raw" in line for line in lines)
    assert any(line.startswith(f"{label}, writer: ") and "longest" in line for line in lines)


@pytest.mark.database("postgresql")  # month partitions are PostgreSQL's
def test_w7_on_postgresql_drops_the_expired_months_whole(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    lines = retention_bench.run(300, url, emit=lambda _line: None)
    rows = [line for line in lines if line.startswith("| PostgreSQL")]
    assert [row.split(" | ")[0] for row in rows] == [
        "| PostgreSQL raw DELETE … WHERE received_at < cutoff",
        "| PostgreSQL retention sweep (batches of 2,000)",
        "| PostgreSQL retention sweep (month partitions dropped)",
    ]
    assert all("300 rows" in row for row in rows)
    # the expired events span 120 to 180 days back: three or four months, each dropped whole
    (dropped,) = [line for line in lines if line.endswith("month partition(s) dropped")]
    assert int(dropped.split(": ")[1].split()[0]) >= 3
