"""The W4 audience benchmark runs at a small size (the figures live in bench/RESULTS.md); it
asserts itself that the service and the hand-written SQL select the same people."""

from __future__ import annotations

from bench import audience_bench


def test_w4_audience_benchmark_runs_small_and_reports_ours_beside_the_hand_written_sql() -> None:
    lines = audience_bench.run(2_000)
    selections = [line for line in lines if line.startswith("audience selection")]
    assert len(selections) == 2
    for line in selections:
        assert "hand-written SQL" in line and "ratio" in line and "subjects" in line
    everyone = int(selections[0].split("): ")[1].split(" subjects")[0].replace(",", ""))
    # ~30 % consent, less the stale, objected, restricted, closed and minor: about a quarter
    assert 300 < everyone < 700
