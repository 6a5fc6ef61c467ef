"""The peer-shape benchmark (issue 12; BENCHMARKS.md "The peer to beat") runs at a small size
over real HTTP: an access request filed, answered and downloaded, erasures that leave no
event behind, and the peer's figure beside each of ours. Full size: bench/RESULTS.md."""

from __future__ import annotations

from bench import peer_bench


def test_the_peer_benchmark_runs_small_end_to_end_over_http() -> None:
    lines = peer_bench.run(120, 1, 40, emit=lambda _line: None)
    text = "\n".join(lines)
    # the population has the peer's shape: 3 orders and 10 events a customer
    assert "peer shape: 120 subjects, 360 orders, 1,200 events" in text, text
    rows = [line for line in lines if line.startswith("| ") and " ms |" in line]
    assert [row.split(" | ")[0] for row in rows] == [
        "| access request, filed → ZIP downloaded (of 1)",
        "| erasure request, filed → erased (of 1)",
        "| erasure of a person with 40 events (one run)",
    ]
    for row, peer in zip(rows, ("350 ms", "620 ms", "14100 ms"), strict=True):
        assert f"| {peer} |" in row and row.endswith("x |")
