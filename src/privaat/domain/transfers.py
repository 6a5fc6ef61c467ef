"""May this subject's data go to this recipient in this country? (P13, LEGAL L37, L38)

The one seam every handover calls (the shop's carrier handover, the disclosure register,
processor deliveries): a pure function of the policy, the recipient, the country and the
subject's state, like the guard it leans on::

    recipient in the policy's catalogue? ──no──▶ UNKNOWN_RECIPIENT
      │
    country in the EEA? ── yes: no transfer in the sense of chapter V
      │  no: an art. 45 adequacy decision (ADEQUACY_COUNTRIES), or a recorded
      │      art. 45/46 basis for this recipient and country (the recipient's own
      │      safeguard, or an activity's ``transfers`` entry) ──none──▶ NO_TRANSFER_BASIS
      │
    a group company? ── the person's explicit consent: a consent-based activity of the
      │                 policy that names the recipient, allowed by the guard now
      │                 (absent, withdrawn, stale or expired) ──▶ NO_GROUP_CONSENT
      ▼
    allowed

The EEA and adequacy lists live in one place, ``privaat.policy.vocab`` (with their source),
and ``privaat policy check`` refuses a policy whose own transfers lack a safeguard (L37).
Decisions taken where the law leaves room:

- A recorded basis must name the same country: an SCC for a US importer does not carry a
  transfer to India. ``eea`` is no basis outside the EEA, and an ``adequacy`` safeguard counts
  only for a country on the list.
- Group companies (P13, L38): the seed promises explicit consent even inside the EEA, so
  the consent is checked whatever the country, and a withdrawal stops the next transfer at
  once (the guard treats the withdrawn consent as final, art. 7(3)).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from privaat.domain.errors import DomainError
from privaat.domain.guard import Guard
from privaat.domain.subject import SubjectState
from privaat.policy.schema import LegalBasis, Policy, RecipientRole, Safeguard
from privaat.policy.vocab import ADEQUACY_COUNTRIES, EEA_COUNTRIES

__all__ = [
    "TransferDecision",
    "TransferReason",
    "TransferRefused",
    "consent_activities_for",
    "may_transfer",
]


class TransferReason(StrEnum):
    """Why a handover was refused."""

    UNKNOWN_RECIPIENT = "unknown_recipient"  # art. 13(1)(e): only recipients the policy names
    NO_TRANSFER_BASIS = "no_transfer_basis"  # art. 44-46, L37: outside the EEA, no basis
    NO_GROUP_CONSENT = "no_group_consent"  # P13, L38: no valid explicit consent


@dataclass(frozen=True, slots=True)
class TransferDecision:
    """The answer for one handover; ``detail`` is English, names recipient and country,
    and no person."""

    allowed: bool
    recipient: str
    country: str
    reason: TransferReason | None = None
    detail: str = ""
    # the basis the handover rests on when allowed: "eea", "adequacy", a safeguard's value
    basis: str | None = None


class TransferRefused(DomainError):
    """A handover the transfer rules refuse; ``decision`` says to whom, where and why."""

    def __init__(self, decision: TransferDecision) -> None:
        super().__init__(decision.detail)
        self.decision = decision


def consent_activities_for(policy: Policy, recipient: str) -> tuple[str, ...]:
    """The consent-based activities that name ``recipient``: the consents that carry it."""
    return tuple(
        activity.id
        for activity in policy.activities
        if activity.legal_basis is LegalBasis.CONSENT and recipient in activity.recipients
    )


def may_transfer(
    policy: Policy,
    recipient: str,
    country: str,
    state: SubjectState | None,
    *,
    now: datetime,
    guard: Guard | None = None,
) -> TransferDecision:
    """Whether data may be handed to ``recipient`` in ``country`` (ISO 3166-1 alpha-2) now;
    ``state`` is the subject's snapshot (None: the handover names nobody)."""
    country = country.strip().upper()
    known = {r.id: r for r in policy.recipients}
    target = known.get(recipient)
    if target is None:
        return _refused(
            recipient,
            country,
            TransferReason.UNKNOWN_RECIPIENT,
            f"recipient {recipient!r} is not in the policy's catalogue of recipients",
        )
    basis = _basis(policy, recipient, country)
    if basis is None:
        return _refused(
            recipient,
            country,
            TransferReason.NO_TRANSFER_BASIS,
            f"{country} is outside the EEA and recipient {recipient!r} has no recorded "
            "art. 45/46 basis for it (L37)",
        )
    if target.role is RecipientRole.GROUP_COMPANY:
        activities = consent_activities_for(policy, recipient)
        judge = guard if guard is not None else Guard(policy)
        if state is None or not any(
            judge.decide(activity, state, now).allowed for activity in activities
        ):
            return _refused(
                recipient,
                country,
                TransferReason.NO_GROUP_CONSENT,
                f"a transfer to group company {recipient!r} needs the person's explicit "
                "consent, and there is no valid one (P13, L38)",
            )
    return TransferDecision(True, recipient, country, basis=basis)


def _basis(policy: Policy, recipient: str, country: str) -> str | None:
    if country in EEA_COUNTRIES:
        return Safeguard.EEA.value
    if country in ADEQUACY_COUNTRIES:
        return Safeguard.ADEQUACY.value  # art. 45: e.g. Switzerland, 2000/518/EC
    for recorded_country, safeguard in _recorded(policy, recipient):
        if recorded_country == country and safeguard is not None and _counts(safeguard, country):
            return safeguard.value
    return None


def _recorded(policy: Policy, recipient: str) -> Iterator[tuple[str | None, Safeguard | None]]:
    for target in policy.recipients:
        if target.id == recipient:
            yield target.country, target.safeguard
    for activity in policy.activities:
        for transfer in activity.transfers:
            if transfer.recipient == recipient:
                yield transfer.country, transfer.safeguard


def _counts(safeguard: Safeguard | None, country: str) -> bool:
    if safeguard is None or safeguard is Safeguard.EEA:
        return False
    if safeguard is Safeguard.ADEQUACY:
        return country in ADEQUACY_COUNTRIES
    if safeguard is Safeguard.DATA_PRIVACY_FRAMEWORK:
        return country == "US"  # (EU) 2023/1795 covers certified US importers only
    return True


def _refused(recipient: str, country: str, reason: TransferReason, detail: str) -> TransferDecision:
    return TransferDecision(False, recipient, country, reason, detail)
