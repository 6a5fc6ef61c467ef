"""Requests per kind per week and the time to answer them, for the console (issue 11 item 11)."""

from __future__ import annotations

from privaat.domain.clock import Clock
from privaat.services.subject_requests import SubjectRequests

__all__ = ["RequestStats"]


class RequestStats:
    """The console's figures on data-subject requests, read in aggregate."""

    def __init__(self, *, requests: SubjectRequests, clock: Clock) -> None:
        self._requests, self._clock = requests, clock
