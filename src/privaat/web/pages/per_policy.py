"""A cache for what is computed from the (immutable) policy: keyed by the policy's identity.

``functools.lru_cache`` would hash the policy on every call, and hashing a frozen pydantic
model walks all of it (hundreds of hash calls a request); the policy a process runs with is
one object, so its identity is the key, checked against the object kept beside the value.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from functools import wraps
from typing import Any, TypeVar

from privaat.policy.schema import Policy

__all__ = ["per_policy"]

Result = TypeVar("Result")
_BOUND = 64  # distinct (policy, arguments) pairs kept; a test process makes a few policies


def per_policy(
    compute: Callable[..., Result],
) -> Callable[..., Result]:
    """Cache ``compute(policy, *args)`` per policy object and hashable ``args``."""
    cache: dict[tuple[int, tuple[Hashable, ...]], tuple[Policy, Any]] = {}
    lock = threading.Lock()

    @wraps(compute)
    def cached(policy: Policy, *args: Hashable) -> Result:
        key = (id(policy), args)
        hit = cache.get(key)
        if hit is not None and hit[0] is policy:
            value: Result = hit[1]
            return value
        value = compute(policy, *args)
        with lock:
            if len(cache) >= _BOUND:
                cache.clear()
            cache[key] = (policy, value)
        return value

    return cached
