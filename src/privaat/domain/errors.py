"""Errors the domain raises; the web and CLI layers map them to problem details and messages.

    DomainError
    └── AccessDenied    the guard refused an activity for a subject (carries the Decision)

A refusal is an exception with a reason, never a silent empty result (DESIGN: the
enforcement point).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # guard.py raises AccessDenied, so the import runs one way only
    from privaat.domain.guard import Decision

__all__ = ["AccessDenied", "DomainError"]


class DomainError(Exception):
    """A rule of the domain was not met; the message is fit to show and holds no personal data."""


class AccessDenied(DomainError):
    """The guard refused the activity; ``decision`` says which activity and why."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.detail)
        self.decision = decision

    def __str__(self) -> str:
        return self.decision.detail
