"""F, the footprint (issue 16 item 8): start-up to healthy, resident memory idle and after a
burst of requests, and the installed size of the runtime without dev tools — each beside a
bare FastAPI hello-world measured the same way in the same run.

    python -m bench.footprint_bench --samples 5 --requests 2000
    python -m bench.footprint_bench --samples 1 --requests 100 --no-install   # small, quick

    start-up ── spawn ``privaat serve`` (the README's way; PRIVAAT_MODE=test, a fresh SQLite
                file each time, so the migrations run too) and poll GET /healthz until 200;
                then as often again on the database left (a restart: nothing to migrate);
                the baseline is ``python -c "…uvicorn.run(FastAPI hello-world)…"`` spawned
                and polled the same way
    memory   ── VmRSS of that process from /proc/PID/status, once healthy and idle, then
                after ``--requests`` requests over a few hot pages (statement, banner script,
                log-in form, health); the baseline gets the same number on its one route
    install  ── a throwaway venv in /tmp with ``pip install <project>`` (no dev extra) and the
                size of its site-packages, with the biggest packages named (the baseline
                row is the venv with only fastapi and uvicorn installed)

Targets (BENCHMARKS.md, F): start ≤ 1.5 s, RSS ≤ 150 MB, install ≤ 200 MB; the peer: 6–8 s,
430–950 MB, 800 MB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx

from bench.accounts_bench import machine
from bench.rights_bench import _free_port

PROJECT = Path(__file__).resolve().parent.parent
TARGET_START_S, TARGET_RSS_MB, TARGET_INSTALL_MB = 1.5, 150, 200
PEER = {"start": "6–8 s", "rss": "430–950 MB", "install": "800 MB"}
HELLO = (
    "import sys, fastapi, uvicorn\n"
    "app = fastapi.FastAPI()\n"
    "@app.get('/healthz')\n"
    "def health() -> dict[str, str]:\n"
    "    return {'status': 'ok'}\n"
    "uvicorn.run(app, host='127.0.0.1', port=int(sys.argv[1]), log_level='warning')\n"
)
BURST_PATHS = ("/privacy", "/consent/banner.js", "/login", "/healthz")


def _privaat_command(port: int) -> list[str]:
    """The installed ``privaat`` script beside this interpreter, as an operator runs it."""
    script = Path(sys.executable).with_name("privaat")
    launcher = [str(script)] if script.exists() else [sys.executable, "-m", "privaat"]
    return [*launcher, "serve", "--host", "127.0.0.1", "--port", str(port)]


def rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` in MB (VmRSS, kB in /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


@contextmanager
def spawned(command: list[str], env: dict[str, str], port: int) -> Iterator[tuple[int, float]]:
    """Start ``command``, poll /healthz; yield (pid, seconds from spawn to the first 200)."""
    began = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603  (our own interpreter and commands)
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        url = f"http://127.0.0.1:{port}/healthz"
        with httpx.Client(timeout=2) as client:
            while True:
                if process.poll() is not None:
                    message = process.stderr.read().decode() if process.stderr else ""
                    raise RuntimeError(f"{command[0]} exited: {message[-2000:]}")
                if time.perf_counter() - began > 60:
                    raise RuntimeError(f"{command[0]}: not healthy within 60 s")
                try:
                    if client.get(url).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.01)
        yield process.pid, time.perf_counter() - began
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stderr is not None:
            process.stderr.close()


def _burst(port: int, paths: tuple[str, ...], requests: int) -> int:
    """``requests`` GETs round the paths; the number that did not answer 200."""
    failed = 0
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        for n in range(requests):
            if client.get(paths[n % len(paths)]).status_code != 200:
                failed += 1
    return failed


def measure_process(
    make_command: Callable[[int], list[str]],
    env: dict[str, str],
    samples: int,
    requests: int,
    paths: tuple[str, ...],
) -> dict[str, float]:
    """Start-up on a fresh database ``samples`` times, then ``samples`` restarts on the
    database the last one left (no migrations to run); memory on the last restart."""
    fresh: list[float] = []
    again: list[float] = []
    idle = after = 0.0
    failed = 0
    with tempfile.TemporaryDirectory(prefix="privaat-footprint-") as workdir:
        for n in range(2 * samples):
            port = _free_port()
            database = f"{workdir}/privaat-{min(n, samples - 1)}.db"
            run_env = {
                **env,
                "PRIVAAT_DATABASE_URL": f"sqlite:///{database}",
                "PRIVAAT_VAR_DIR": f"{workdir}/var",
                "PRIVAAT_BASE_URL": f"http://127.0.0.1:{port}",
            }
            with spawned(make_command(port), run_env, port) as (pid, seconds):
                (fresh if n < samples else again).append(seconds)
                if n == 2 * samples - 1:
                    time.sleep(1.0)
                    idle = rss_mb(pid)
                    failed = _burst(port, paths, requests)
                    after = rss_mb(pid)
    return {
        "start": statistics.median(fresh),
        "start_min": min(fresh),
        "restart": statistics.median(again),
        "restart_min": min(again),
        "idle": idle,
        "after": after,
        "failed": failed,
    }


def _venv_size(packages: list[str], workdir: str) -> tuple[float, list[tuple[str, float]]]:
    """Install ``packages`` into a fresh venv; its site-packages in MB and the biggest ones."""
    venv = Path(workdir) / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)  # noqa: S603
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-cache-dir"]
    subprocess.run([*pip, *packages], check=True)  # noqa: S603
    (site,) = venv.glob("lib/python*/site-packages")
    sizes: dict[str, int] = {}
    for entry in site.iterdir():
        if entry.name.startswith(("pip", "_distutils_hack", "setuptools")):
            continue  # the venv's own installer, not the runtime's
        name = entry.name.split("-")[0].removesuffix(".py").lower()
        sizes[name] = sizes.get(name, 0) + _du(entry)
    total = sum(sizes.values()) / 2**20
    biggest = sorted(((k, v / 2**20) for k, v in sizes.items()), key=lambda kv: -kv[1])
    return total, biggest[:8]


def _du(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def run(samples: int, requests: int, install: bool) -> list[str]:
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        print(line, flush=True)

    env = {**os.environ, "PRIVAAT_MODE": "test"}
    ours = measure_process(_privaat_command, env, samples, requests, BURST_PATHS)
    base = measure_process(
        lambda port: [sys.executable, "-c", HELLO, str(port)],
        env,
        samples,
        requests,
        ("/healthz",),
    )
    if ours["failed"] or base["failed"]:
        say(f"ERRORS in the burst: privaat {ours['failed']:.0f}, hello-world {base['failed']:.0f}")
    say("| figure | privaat | FastAPI hello-world | ratio | target | the peer |")
    say("|---|---|---|---|---|---|")
    say(
        f"| start-up to healthy (median of {samples}; fastest) | {ours['start']:.2f} s "
        f"({ours['start_min']:.2f}) | {base['start']:.2f} s ({base['start_min']:.2f}) | "
        f"{ours['start'] / base['start']:.1f}x | ≤ {TARGET_START_S} s | {PEER['start']} |"
    )
    say(
        f"| restart on that database (median of {samples}; fastest) | {ours['restart']:.2f} s "
        f"({ours['restart_min']:.2f}) | {base['restart']:.2f} s ({base['restart_min']:.2f}) | "
        f"{ours['restart'] / base['restart']:.1f}x | ≤ {TARGET_START_S} s | {PEER['start']} |"
    )
    say(
        f"| RSS idle | {ours['idle']:.0f} MB | {base['idle']:.0f} MB | "
        f"{ours['idle'] / base['idle']:.1f}x | ≤ {TARGET_RSS_MB} MB | {PEER['rss']} |"
    )
    say(
        f"| RSS after {requests:,} requests | {ours['after']:.0f} MB | {base['after']:.0f} MB | "
        f"{ours['after'] / base['after']:.1f}x | ≤ {TARGET_RSS_MB} MB | {PEER['rss']} |"
    )
    if install:
        with tempfile.TemporaryDirectory(prefix="privaat-install-") as workdir:
            built = Path(workdir) / "src"
            shutil.copytree(
                PROJECT,
                built,
                ignore=shutil.ignore_patterns(".venv", ".git", "var", "__pycache__", "*.db"),
            )
            total, biggest = _venv_size([str(built)], f"{workdir}/ours")
            hello_total, _ = _venv_size(["fastapi", "uvicorn"], f"{workdir}/hello")
        say(
            f"| installed runtime (site-packages, no dev extra) | {total:.0f} MB | "
            f"{hello_total:.0f} MB | {total / hello_total:.1f}x | ≤ {TARGET_INSTALL_MB} MB | "
            f"{PEER['install']} |"
        )
        say("biggest packages: " + ", ".join(f"{name} {mb:.0f} MB" for name, mb in biggest))
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=5, help="starts of each process")
    parser.add_argument("--requests", type=int, default=2_000, help="requests of the burst")
    parser.add_argument(
        "--no-install", action="store_true", help="skip the throwaway venv (needs PyPI)"
    )
    args = parser.parse_args(argv)
    print(f"machine: {machine()}, load average {os.getloadavg()[0]:.1f}", flush=True)
    run(args.samples, args.requests, not args.no_install)


if __name__ == "__main__":
    main()
