"""Whether a new request repeats the person's earlier ones (issue 15 item 8; GDPR art. 12(5);
LEGAL L54, L57).

    a new request (kind, channel, day of receipt) and the person's earlier requests
        │ counted: every earlier request whose identity was established (verified at some
        │ point, or refused), whatever channel it came by; a request that was never
        │ verified and closed (expired, withdrawn before the check, L57) is not counted:
        │ nobody knows it came from this person
        ▼
    judge(...) ── DUPLICATE  a request of the same kind is still open and was received
                             within LINK_DAYS (any channel: the same person by the web
                             form and then by mail): the new one joins it, no second
                             request is opened; an UNCLEAR follow-up joins the newest such
                             open request of any kind. An open request that waits for its
                             confirmation counts too (the mail path always linked to it)
                  EXCESSIVE  with the new one, EXCESSIVE_COUNT or more counted requests of
                             any kind received within EXCESSIVE_MONTHS
                  REPEAT     the same kind was answered (completed) within the kind's
                             window (REPEAT_MONTHS) before this request was received: e.g.
                             access again within 3 months of the last copy; or a request
                             of the same kind is open but older than LINK_DAYS (the person
                             asks again while it runs: perhaps chasing it, perhaps with a
                             new scope, e.g. a restriction of something else; the officer
                             judges, so it is filed, not joined)
                  NEW        none of these

A REPEAT or EXCESSIVE request is filed as any other and flagged with its evidence (the
earlier references): art. 12(5) lets the controller charge a reasonable fee or refuse a
manifestly unfounded or excessive request, "in particular because of [its] repetitive
character", and the controller bears the burden of demonstrating it, so the flag decides
nothing, it shows the privacy officer the history to judge by.

The numbers, and why (``RepeatRules``; the defaults are ``RULES``):

* ``LINK_DAYS`` 14: a second request of the same kind within two weeks of one still open is
  the same request (a reminder, a double submit, the same wish by another channel), as the
  privacy mailbox always linked follow-ups (issue 11 item 1).
* ``REPEAT_MONTHS``: access and portability 3 months. The EDPB's guidelines 01/2022 on the
  right of access (§§ 187-190) judge repetition by how often the data change; a provider's
  customer data (invoices, call records, tickets) change monthly, so a copy of every month
  is reasonable and one within a quarter of the last is worth a look. Rectification,
  erasure, restriction and objection have no window: each new one is about the data as
  they are now (a new error, new data, a new objection), never a repeat in itself.
* ``EXCESSIVE_COUNT`` 6 in ``EXCESSIVE_MONTHS`` 12: one every two months of any kind for a
  whole year is beyond what the rights need, even when each is of another kind.

A refused earlier request was not answered, so it makes no REPEAT (the person still has
not had the copy), but it was a request the person made and counts toward EXCESSIVE.

Pure: the days are the controller's local dates of receipt and answer, passed in.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType

from privaat.domain.subject_requests import RequestKind, RequestStatus

__all__ = [
    "EXCESSIVE_COUNT",
    "EXCESSIVE_MONTHS",
    "LINK_DAYS",
    "REPEAT_MONTHS",
    "RULES",
    "EarlierRequest",
    "Repetition",
    "RepeatRules",
    "Verdict",
    "judge",
    "months_before",
]

REPEAT_MONTHS: Mapping[RequestKind, int] = MappingProxyType(
    {RequestKind.ACCESS: 3, RequestKind.PORTABILITY: 3}
)
LINK_DAYS = 14  # an open request of the kind received this recently is joined
EXCESSIVE_COUNT = 6  # counted requests of any kind, the new one included ...
EXCESSIVE_MONTHS = 12  # ... received within this many months


class Repetition(StrEnum):
    """What a new request is, measured against the person's earlier ones."""

    NEW = "new"
    DUPLICATE = "duplicate"  # joins the open request named in the evidence
    REPEAT = "repeat"  # filed, flagged: the same right answered within the window
    EXCESSIVE = "excessive"  # filed, flagged: too many requests within the period


@dataclass(frozen=True, slots=True)
class RepeatRules:
    """The windows the judgement uses (``RULES`` are the documented defaults)."""

    repeat_months: Mapping[RequestKind, int] = field(default_factory=lambda: REPEAT_MONTHS)
    excessive_count: int = EXCESSIVE_COUNT
    excessive_months: int = EXCESSIVE_MONTHS
    link_days: int = LINK_DAYS

    def __post_init__(self) -> None:
        if self.link_days < 0:
            raise ValueError("link_days must not be negative")
        if any(months < 0 for months in self.repeat_months.values()):
            raise ValueError("a repeat window must not be negative")
        if self.excessive_count < 2:
            raise ValueError("excessive_count must be at least 2: one request is never excessive")
        if self.excessive_months < 1:
            raise ValueError("excessive_months must be at least 1")


RULES = RepeatRules()


@dataclass(frozen=True, slots=True)
class EarlierRequest:
    """One earlier request of the same person, as stored (nothing personal but the kind)."""

    reference: str
    kind: RequestKind
    channel: str
    status: RequestStatus
    received_on: date
    verified: bool  # its identity was established at some point (L57)
    answered_on: date | None = None  # the local date it was completed, if it was

    @property
    def counted(self) -> bool:
        """Whether it counts at all: an unverified request that closed is nobody's for sure."""
        if self.status is RequestStatus.REFUSED:
            return True
        return self.verified or self.status.open


@dataclass(frozen=True, slots=True)
class Verdict:
    """The judgement and its evidence: the earlier references it rests on, oldest first."""

    repetition: Repetition
    evidence: tuple[str, ...] = ()

    @property
    def flagged(self) -> bool:
        return self.repetition in (Repetition.REPEAT, Repetition.EXCESSIVE)


def months_before(day: date, months: int) -> date:
    """The first day still within ``months`` months before ``day``: 31 May less 3 months is
    the last day of February (the deadline's day-of-month rule, Regulation 1182/71 art.
    3(2)(c), run backwards)."""
    if months < 0:
        raise ValueError("months must not be negative")
    index = day.month - 1 - months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def judge(
    kind: RequestKind,
    channel: str,
    received_on: date,
    earlier: Sequence[EarlierRequest],
    *,
    rules: RepeatRules = RULES,
) -> Verdict:
    """What the new request is (module docstring). ``channel`` is the new request's; the
    judgement is the same whatever channel either came by (it is named so a caller cannot
    forget that the rule is across channels)."""
    del channel  # deliberately unused: every channel counts alike
    counted = sorted(
        (request for request in earlier if request.counted),
        key=lambda request: (request.received_on, request.reference),
    )
    open_ = [request for request in counted if request.status.open]
    recently = received_on - timedelta(days=rules.link_days)
    joinable = [request for request in open_ if request.received_on >= recently]
    if kind is RequestKind.UNCLEAR:
        if joinable:
            return Verdict(Repetition.DUPLICATE, (joinable[-1].reference,))
    else:
        same = [request for request in joinable if request.kind is kind]
        if same:
            return Verdict(Repetition.DUPLICATE, (same[-1].reference,))
    since = months_before(received_on, rules.excessive_months)
    recent = [request for request in counted if since <= request.received_on <= received_on]
    if len(recent) + 1 >= rules.excessive_count:
        return Verdict(Repetition.EXCESSIVE, tuple(request.reference for request in recent))
    running = [request for request in open_ if request.kind is kind]
    if running:
        return Verdict(Repetition.REPEAT, tuple(request.reference for request in running))
    window = rules.repeat_months.get(kind, 0)
    if window:
        start = months_before(received_on, window)
        answered = [
            request
            for request in counted
            if request.kind is kind
            and request.answered_on is not None
            and start <= request.answered_on <= received_on
        ]
        if answered:
            return Verdict(Repetition.REPEAT, tuple(request.reference for request in answered))
    return Verdict(Repetition.NEW)
