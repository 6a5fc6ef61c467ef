"""The steps that carry out a request: rectification, erasure, restriction, objection
(issue 11 items 5-8; GDPR art. 16-19, 21; LEGAL L64-L67)."""

from __future__ import annotations

from privaat.domain.activities import RIGHTS
from privaat.domain.clock import Clock
from privaat.policy.schema import Policy
from privaat.services.erasure import Erasure
from privaat.services.notifier import Notifier
from privaat.services.objections import Objections
from privaat.services.subject_access import SubjectAccess
from privaat.services.subject_requests import SubjectRequests
from privaat.store.key_store import KeyStore

__all__ = ["RightsHandling"]


class RightsHandling:
    """Carries out rectification, erasure, restriction and objection requests."""

    activities = frozenset({RIGHTS})

    def __init__(
        self,
        *,
        access: SubjectAccess,
        keys: KeyStore,
        requests: SubjectRequests,
        erasure: Erasure,
        objections: Objections,
        notifier: Notifier,
        policy: Policy,
        clock: Clock,
        base_url: str = "",
    ) -> None:
        self._access, self._keys, self._requests = access, keys, requests
        self._erasure, self._objections, self._notifier = erasure, objections, notifier
        self._policy, self._clock = policy, clock
        self._base_url = base_url.rstrip("/")
