"""Telemetry ingestion: VoIP device sync and app analytics (issue 12 item 1; P6, P15)."""

from __future__ import annotations

from privaat.domain.clock import Clock
from privaat.policy.schema import Policy
from privaat.services.subject_access import SubjectAccess
from privaat.store.key_store import KeyStore

__all__ = ["Telemetry"]


class Telemetry:
    """Takes telemetry events from Flexibelt's services in, through the guard."""

    def __init__(
        self, *, access: SubjectAccess, keys: KeyStore, policy: Policy, clock: Clock
    ) -> None:
        self._access, self._keys, self._policy, self._clock = access, keys, policy, clock
