"""The propagation benchmark (issue 14, LEGAL L11) runs at a tiny size; its figures live in
bench/RESULTS.md. Every withdrawal must reach the receiver and be acknowledged, retried ones
included, and every figure is printed beside its raw baseline."""

from __future__ import annotations

from bench import propagation_bench


def test_l11_propagation_benchmark_runs_tiny_and_loses_nothing() -> None:
    lines = propagation_bench.run(8, refuse_every=3)
    assert len(lines) == 3
    summary, acknowledged, reflected = lines
    assert "8 withdrawals" in summary
    assert "0 bad signatures, 0 not acknowledged" in summary
    # the 8 sign-ups' gives are deliveries 1-8 (none refused); the withdrawals' 16 are 9-24,
    # and the first attempts of 9, 12, 15, 18, 21 and 24 are refused
    assert "6 deliveries retried" in summary
    assert "raw POST of the same body" in acknowledged and "ratio" in acknowledged
    assert "raw newest-consent SQL" in reflected and "ratio" in reflected
