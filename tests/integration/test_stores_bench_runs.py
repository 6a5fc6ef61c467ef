"""The issue 15 benchmark (access and erasure across three stores, masking) runs at a small
size and prints each figure beside its raw baseline; full-size figures: bench/RESULTS.md."""

from __future__ import annotations

from bench import stores_bench


def test_the_stores_benchmark_runs_small_and_prints_ours_beside_the_raw_calls() -> None:
    lines = stores_bench.run(20, 2, 50, None, emit=lambda _line: None)
    text = "\n".join(lines)
    assert "billing: sqlite, 20 other customers" in text
    for name in ("stores access (billing + webmail)", "stores erasure (billing + webmail)"):
        [line] = [x for x in lines if x.startswith(name)]
        assert " vs raw " in line and "x (target <= 3x:" in line
    assert any(x.startswith("access answer end to end") for x in lines)
    assert any(x.startswith("erasure request end to end") for x in lines)
    masking = [x for x in lines if x.startswith("masking 50 held invoice rows")]
    assert len(masking) == 2 and all("vs one raw UPDATE" in x for x in masking)
