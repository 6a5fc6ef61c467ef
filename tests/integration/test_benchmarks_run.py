"""The benchmarks run at a small size (CI runs them so; the figures live in bench/RESULTS.md)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from bench import accounts_bench, consent_bench


def test_accounts_benchmark_runs_small_and_reports_each_figure_beside_its_baseline(
    database_url: str,
) -> None:
    lines = accounts_bench.run(300, 300, database_url)
    text = "\n".join(lines)
    assert "creation:" in text
    for figure in ("log-in look-up by e-mail", "account read as a request"):
        line = next(line for line in lines if line.startswith(figure))
        assert "baseline p50" in line and "ratio" in line


def test_consent_benchmark_runs_small_and_reports_each_figure_beside_its_baseline() -> None:
    # in a thread of its own: the browser tests' Playwright keeps an event loop running in
    # this one, and the benchmark starts its own (asyncio.run)
    with ThreadPoolExecutor(max_workers=1) as pool:
        lines = pool.submit(consent_bench.run, 100, 100).result()
    save = next(line for line in lines if line.startswith("consent save"))
    assert "raw INSERT+COMMIT p50" in save and "ratio p50" in save
    lookup = next(line for line in lines if line.startswith("consent-state look-up"))
    assert "/s | raw" in lookup and "ratio" in lookup
