"""Run every benchmark at one size: ``python -m bench.run --size N`` (what ``make bench`` runs)."""

from __future__ import annotations

import argparse

from bench import accounts_bench, audience_bench, consent_bench, guard_bench, pages_bench


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=10_000, help="scale of every workload")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    print(f"machine: {accounts_bench.machine()}")
    print("== W5 guard ==", flush=True)
    guard_bench.main(["--size", str(max(args.size, 1000))])
    print("== W6 accounts ==", flush=True)
    for line in accounts_bench.run(args.size, min(args.size, 20_000), args.database_url):
        print(line, flush=True)
    print("== W4 consent save and look-up (SQLite) ==", flush=True)
    for line in consent_bench.run(args.size):
        print(line, flush=True)
    print("== W4 audience selection (SQLite) ==", flush=True)
    for line in audience_bench.run(args.size):
        print(line, flush=True)
    print("== W7 pages (SQLite) ==", flush=True)
    for line in pages_bench.run(args.size):
        print(line, flush=True)


if __name__ == "__main__":
    main()
