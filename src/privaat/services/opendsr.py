"""Requests from business customers over OpenDSR (issue 11 item 10)."""

from __future__ import annotations

from privaat.domain.activities import RIGHTS
from privaat.domain.clock import Clock
from privaat.policy.schema import Policy
from privaat.services.subject_access import SubjectAccess
from privaat.services.subject_requests import SubjectRequests
from privaat.store.key_store import KeyStore

__all__ = ["OpenDsr"]


class OpenDsr:
    """OpenDSR requests of business customers, in the one queue of data-subject requests."""

    activities = frozenset({RIGHTS})

    def __init__(
        self,
        *,
        access: SubjectAccess,
        keys: KeyStore,
        requests: SubjectRequests,
        policy: Policy,
        clock: Clock,
        base_url: str = "",
    ) -> None:
        self._access, self._keys, self._requests = access, keys, requests
        self._policy, self._clock = policy, clock
        self._base_url = base_url.rstrip("/")
