"""A disclosure to a third party and the rules it must meet (P12, LEGAL L36; art. 6, 15(1)(c)).

    DisclosureRequest ── problems() ──▶ every field that is missing or wrong, by name
        │                              (a ground and a recipient are mandatory)
        ▼
    the register records it: ground, who asked, scope, what was handed, when, by whom,
    and a legal bar (a gagging order) with its end

A disclosure rests on one of P12's grounds, each served by one activity of the policy
(``GROUND_ACTIVITIES``), whose guard decision opens the data. The person sees it in their
access export (art. 15(1)(c): the recipients their data went to) unless a recorded legal
bar forbids telling them; the bar ends on its end date, and from that day on the export
shows the disclosure (``told_at``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "GROUND_ACTIVITIES",
    "DisclosureGround",
    "DisclosureRequest",
    "DisclosureScope",
    "LegalBar",
    "may_be_told",
    "problems",
]


class DisclosureGround(StrEnum):
    """P12's grounds for giving data to a third party."""

    LEGAL_ORDER = "legal_order"  # art. 6(1)(c): a court order, a demand (Sv 126nd), a subpoena
    ENFORCING_TERMS = "enforcing_terms"  # art. 6(1)(f): enforcing the terms and conditions
    LEGAL_CLAIMS = "legal_claims"  # art. 6(1)(f), 17(3)(e): bringing or defending a claim
    CONSENT = "consent"  # art. 6(1)(a): the person's consent to this recipient
    CORPORATE_TRANSFER = "corporate_transfer"  # a merger, acquisition or reorganisation


# the policy activity each ground's disclosure runs under; CONSENT runs under the
# consent-based activity that names the recipient (domain.transfers.consent_activities_for)
GROUND_ACTIVITIES: Mapping[DisclosureGround, str] = MappingProxyType(
    {
        DisclosureGround.LEGAL_ORDER: "disclosures",
        DisclosureGround.ENFORCING_TERMS: "legal_claims",
        DisclosureGround.LEGAL_CLAIMS: "legal_claims",
        DisclosureGround.CORPORATE_TRANSFER: "business_transfer",
    }
)

_GROUNDS = frozenset(ground.value for ground in DisclosureGround)


@dataclass(frozen=True, slots=True)
class LegalBar:
    """An order that forbids telling the person (e.g. a gagging order), until ``until``."""

    until: date
    reason: str


@dataclass(frozen=True, slots=True)
class DisclosureScope:
    """What was asked for: data categories (empty: every category the activity may
    disclose), and optionally a time window of the records."""

    categories: frozenset[str] = frozenset()
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class DisclosureRequest:
    """A disclosure as staff enter it, before the register accepts it."""

    subject_id: int | None
    ground: str | None
    recipient: str | None
    requested_by: str  # the authority or party, and who there asked
    reference: str = ""  # their reference: case number, order number
    country: str | None = None  # None: the recipient's country in the policy
    scope: DisclosureScope = field(default_factory=DisclosureScope)
    bar: LegalBar | None = None


def problems(request: DisclosureRequest, *, today: date) -> dict[str, str]:
    """Each field that keeps the disclosure from being recorded, with the reason (English)."""
    found: dict[str, str] = {}
    if request.subject_id is None:
        found["subject"] = "name the person whose data is disclosed"
    if not request.ground:
        found["ground"] = "a disclosure needs its legal ground (P12, L36)"
    elif request.ground not in _GROUNDS:
        grounds = ", ".join(ground.value for ground in DisclosureGround)
        found["ground"] = f"unknown legal ground {request.ground!r}: one of {grounds}"
    if not request.recipient:
        found["recipient"] = "a disclosure needs its recipient"
    if not request.requested_by.strip():
        found["requested_by"] = "say who asked: the authority or party"
    elif len(request.requested_by) > 500:
        found["requested_by"] = "at most 500 characters"
    if len(request.reference) > 200:
        found["reference"] = "at most 200 characters"
    if request.country is not None and not (
        len(request.country) == 2 and request.country.isascii() and request.country.isalpha()
    ):
        found["country"] = "a two-letter country code (ISO 3166-1), e.g. NL"
    scope = request.scope
    if scope.start is not None and scope.end is not None and scope.end <= scope.start:
        found["window"] = "the window's end must come after its start"
    if request.bar is not None:
        if request.bar.until <= today:
            found["bar_until"] = "a legal bar ends in the future"
        if not request.bar.reason.strip():
            found["bar_reason"] = "name the order that bars telling the person"
    return found


def may_be_told(bar_until: date | None, *, today: date) -> bool:
    """Whether the person may learn of a disclosure today: no bar, or the bar has ended."""
    return bar_until is None or bar_until <= today
