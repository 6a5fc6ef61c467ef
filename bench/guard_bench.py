"""W5: guard decisions per second on one core, beside the cheapest check conceivable.

Usage: ``python -m bench.guard_bench [--size N] [--policy FILE]``

The workload is N decisions over every activity of the policy (the shipped Flexibelt
policy by default) and fourteen subject states that exercise every rule: visitor, fresh
customer, customer with all consents, withdrawn, stale and expired consents, objections
with and without compelling grounds, an objection to all direct marketing, restriction of
the whole subject and of one data category, closed account, minor, legal hold.
The sequence is drawn from a seeded generator, so every run decides the same pairs.

The baseline runs over the same pairs in the same process: one dict look-up and one
boolean test per pair in a plain loop, i.e. what a hard-coded allow-list would cost. The
ratio says how much the real rules cost over that floor. Each figure is the median of
five runs (BENCHMARKS.md: shared machines are noisy; quote medians and ratios).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from privaat.domain.guard import Guard
from privaat.domain.subject import DIRECT_MARKETING, AccountStatus, ConsentState, SubjectState
from privaat.policy.schema import Policy, consent_text_sha256

RUNS = 5
NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Result:
    """Decisions per second of the guard and of the baseline (medians), and the mix decided."""

    guard_per_second: float
    baseline_per_second: float
    outcomes: Counter[str]

    @property
    def ratio(self) -> float:
        return self.baseline_per_second / self.guard_per_second

    def report(self, size: int) -> str:
        total = sum(self.outcomes.values())
        mix = ", ".join(
            f"{name} {count / total:.0%}" for name, count in self.outcomes.most_common()
        )
        return (
            f"guard decisions/s: {self.guard_per_second:,.0f} | baseline (dict lookup + bool) "
            f"{self.baseline_per_second:,.0f}/s | ratio {self.ratio:.1f}x\n"
            f"size {size:,} decisions, median of {RUNS} runs; outcomes: {mix}"
        )


def subject_states(policy: Policy) -> list[SubjectState]:
    """One state per rule the guard applies, built from the policy's own activities."""
    consent_based = [a for a in policy.activities if a.consent is not None]
    given = {
        a.id: ConsentState.given(
            consent_text_sha256(a.consent.request.en), NOW - timedelta(days=30)
        )
        for a in consent_based
        if a.consent is not None
    }
    earlier_text = consent_text_sha256("an earlier consent text")  # shown by no activity
    stale = {aid: replace(c, text_sha256=earlier_text) for aid, c in given.items()}
    expired = {aid: replace(c, expires_at=NOW - timedelta(days=1)) for aid, c in given.items()}
    everything = frozenset(a.id for a in policy.activities)
    customer = SubjectState(AccountStatus.ACTIVE, consents=given)
    return [
        SubjectState.visitor(),
        SubjectState.customer(),
        customer,
        replace(customer, consents={aid: c.withdraw(NOW) for aid, c in given.items()}),
        replace(customer, consents=stale),
        replace(customer, consents=expired),
        replace(customer, objections=everything),
        replace(customer, objections=everything, compelling_grounds=everything),
        replace(customer, objections=frozenset({DIRECT_MARKETING})),
        replace(customer, restricted=True),
        replace(customer, restricted_categories=frozenset({"phone_number"})),
        replace(customer, account=AccountStatus.CLOSED),
        replace(customer, minor=True),
        replace(customer, account=AccountStatus.CLOSED, legal_hold=True),
    ]


def workload(policy: Policy, size: int, seed: int = 2018) -> tuple[list[str], list[SubjectState]]:
    """``size`` (activity, state) pairs; customers with consents weigh most, as in real traffic."""
    rng = random.Random(seed)
    activities = [a.id for a in policy.activities]
    states = subject_states(policy)
    weights = [1] * len(states)
    weights[2] = len(states)  # the customer with every consent: the common case
    return rng.choices(activities, k=size), rng.choices(states, weights=weights, k=size)


def _time_guard(guard: Guard, activities: list[str], states: list[SubjectState]) -> float:
    decide, now = guard.decide, NOW
    start = time.perf_counter()
    for activity, state in zip(activities, states, strict=True):
        decide(activity, state, now)
    return time.perf_counter() - start


def _time_baseline(
    allow: dict[str, bool], activities: list[str], states: list[SubjectState]
) -> float:
    allowed = 0
    start = time.perf_counter()
    for activity, _state in zip(activities, states, strict=True):
        if allow[activity]:
            allowed += 1
    elapsed = time.perf_counter() - start
    assert allowed >= 0
    return elapsed


def run(policy: Policy, size: int) -> Result:
    """Decide ``size`` pairs ``RUNS`` times with the guard and with the baseline."""
    guard = Guard(policy)
    activities, states = workload(policy, size)
    allow = {a.id: not a.requires_consent for a in policy.activities}
    outcomes = Counter(
        str(guard.decide(a, s, NOW).reason or "allowed")
        for a, s in zip(activities, states, strict=True)
    )
    guard_times, baseline_times = [], []
    for _ in range(RUNS):  # interleaved, so drift in machine load hits both alike
        guard_times.append(_time_guard(guard, activities, states))
        baseline_times.append(_time_baseline(allow, activities, states))
    return Result(
        guard_per_second=size / statistics.median(guard_times),
        baseline_per_second=size / statistics.median(baseline_times),
        outcomes=outcomes,
    )


def _size(text: str) -> int:
    try:
        size = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if size < 1:
        raise argparse.ArgumentTypeError("the size must be at least 1")
    return size


def main(argv: Sequence[str] | None = None) -> int:
    from privaat.policy.loader import load_policy_file
    from privaat.settings import default_policy_file

    parser = argparse.ArgumentParser(prog="python -m bench.guard_bench", description=__doc__)
    parser.add_argument("--size", type=_size, default=1_000_000, help="decisions per run")
    parser.add_argument("--policy", type=Path, default=None, help="policy file (default: shipped)")
    args = parser.parse_args(argv)
    path = args.policy or default_policy_file()
    try:
        policy = load_policy_file(path)
    except (OSError, ValueError) as error:
        parser.exit(2, f"cannot load the policy {path}: {error}\n")
    print(run(policy, args.size).report(args.size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
