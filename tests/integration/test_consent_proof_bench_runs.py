"""The consent proof benchmark runs tiny (the figures live in bench/RESULTS.md): the export and
the offline verification, each beside its raw baseline; it checks itself that the bundle
verifies and holds every record."""

from __future__ import annotations

from bench import consent_proof_bench


def test_the_proof_benchmark_runs_tiny_and_reports_ours_beside_the_raw_baselines() -> None:
    lines = consent_proof_bench.run(300)
    assert lines[1].startswith("consent proof: 300 records of 30 visitors on SQLite")
    (export,) = [line for line in lines if line.startswith("export (ConsentProofs.export): ")]
    assert "raw SELECT + hashlib" in export and "ratio" in export
    (checked,) = [line for line in lines if line.startswith("offline verification (verify): ")]
    assert "raw read + hashlib per line" in checked and "at 1,000,000 records" in checked
