"""Replaying the append-only consent ledger into the current state (LEGAL L7).

The ledger (``store.tables.consent_events``) is never updated: every give and every
withdrawal is a new entry. What a person has consented to *now* is a fold over those
entries, oldest first, per activity:

    give(text)      ──▶ GIVEN for that text (the newest give wins: a re-consent to a new text)
    withdraw        ──▶ WITHDRAWN (art. 7(3)); a later give starts a new consent
    request         ──▶ no change: a double opt-in asked and not yet confirmed is no
                        consent (issue 14 item 5); its confirmation is the give
    nothing at all  ──▶ absent: silence is no consent (recital 32, LEGAL L8)

Pure: no store, no clock. The services tier reads the rows and calls ``replay``; the guard
reads the same newest-entry-per-activity (``services.subject_state``), and a property test
holds the two to the same answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from privaat.domain.subject import ConsentState, ConsentStatus

__all__ = [
    "LedgerEntry",
    "Stage",
    "awaiting_confirmation",
    "is_stale",
    "live",
    "live_activities",
    "replay",
]


class Stage(StrEnum):
    """The step of a double opt-in a ledger entry records (``consent_events.stage``); an
    ordinary give or withdrawal has none."""

    REQUESTED = "requested"  # asked, a link mailed to the address; not yet consent
    CONFIRMED = "confirmed"  # the link was opened: this entry is the give


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One ledger entry as the fold needs it: which activity, given or not, for which text."""

    id: int  # the ledger's own order: a higher id was appended later
    activity: str
    given: bool
    at: datetime
    text_sha256: str
    expires_at: datetime | None = None  # a request: when its link stops working
    stage: Stage | None = None


def replay(entries: Iterable[LedgerEntry]) -> dict[str, ConsentState]:
    """Each activity's consent after replaying ``entries`` in ledger order (by id, L7)."""
    state: dict[str, ConsentState] = {}
    for entry in sorted(entries, key=lambda e: e.id):
        if entry.stage is Stage.REQUESTED:
            continue  # asked, not confirmed: what stood before still stands
        if entry.given:
            # art. 7(1), L86: a give proves consent to the text whose hash it carries
            state[entry.activity] = ConsentState.given(
                entry.text_sha256, entry.at, expires_at=entry.expires_at
            )
            continue
        before = state.get(entry.activity)
        if before is None:
            # a withdrawal without a give before it (never written by the service) still
            # counts as no consent: the person said no
            state[entry.activity] = ConsentState(
                ConsentStatus.WITHDRAWN, entry.text_sha256, entry.at, None, entry.at
            )
        else:
            # art. 7(3), L11: a withdrawal after a give wins, whatever came before
            state[entry.activity] = before.withdraw(entry.at)
    return state


def is_stale(state: ConsentState, current_hashes: frozenset[str]) -> bool:
    """A consent given for a text that is no longer shown: the guard does not count it
    (art. 7(1), LEGAL L50, L86). A withdrawal is never stale: it is simply no consent."""
    return state.status is ConsentStatus.GIVEN and state.text_sha256 not in current_hashes


def live(state: ConsentState | None, current_hashes: frozenset[str], now: datetime) -> bool:
    """Whether ``state`` is a consent the guard counts at ``now``: given, for a current text,
    not expired (L29)."""
    if state is None or state.status is not ConsentStatus.GIVEN:
        return False
    if is_stale(state, current_hashes):
        return False
    return state.expires_at is None or now < state.expires_at


def live_activities(
    state: Mapping[str, ConsentState], hashes: Mapping[str, frozenset[str]], now: datetime
) -> frozenset[str]:
    """The activities whose consent counts at ``now``, given each activity's current hashes."""
    return frozenset(
        activity
        for activity, consent in state.items()
        if live(consent, hashes.get(activity, frozenset()), now)
    )


def awaiting_confirmation(entries: Iterable[LedgerEntry], now: datetime) -> dict[str, LedgerEntry]:
    """Per activity, the double opt-in request that its link can still confirm at ``now``:
    the activity's newest entry, a request, not expired. Anything after a request (its
    confirmation, a withdrawal, a newer request) spends it."""
    newest: dict[str, LedgerEntry] = {}
    for entry in sorted(entries, key=lambda e: e.id):
        newest[entry.activity] = entry
    return {
        activity: entry
        for activity, entry in newest.items()
        if entry.stage is Stage.REQUESTED and (entry.expires_at is None or now < entry.expires_at)
    }
