"""The W3 telemetry benchmark runs tiny (the figures live in bench/RESULTS.md): ours beside the
raw executemany of the same rows, the HTTP row, and the stream's peak RSS per file size."""

from __future__ import annotations

from bench import telemetry_bench


def test_w3_benchmark_runs_tiny_and_reports_ours_beside_raw_executemany() -> None:
    lines = telemetry_bench.run(2_000, subjects_count=50, stream_mb=2, http=1_000)
    [ingest] = [line for line in lines if line.startswith("W3 ingest")]
    assert "ours" in ingest and "raw executemany" in ingest and "ratio" in ingest
    assert any(line.startswith("W3 over HTTP (1,000 events") for line in lines)
    streams = [line for line in lines if line.startswith("W3 stream")]
    assert len(streams) == 2 and all("highest while streaming" in line for line in streams)
