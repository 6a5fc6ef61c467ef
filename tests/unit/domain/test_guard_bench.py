"""W5: the guard benchmark runs, reports beside its baseline, and refuses a bad size."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def test_w5_guard_bench_runs_and_reports_beside_its_baseline() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.guard_bench", "--size", "500"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("guard decisions/s: ")
    assert "| baseline (dict lookup + bool) " in first and first.endswith("x")
    assert "size 500 decisions" in result.stdout


@pytest.mark.parametrize("size", ["0", "many", "-5"])
def test_w5_guard_bench_refuses_a_bad_size_with_a_message(size: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.guard_bench", "--size", size],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "--size" in result.stderr and "Traceback" not in result.stderr
