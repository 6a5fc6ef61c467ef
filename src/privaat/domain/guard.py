"""The guard: may this processing activity touch this subject's data now?

The one enforcement point (DESIGN): every read or write of personal data names the
activity it serves, and the guard answers from the activity's declaration in the policy
and a snapshot of the subject. It is a pure function of (policy activity, subject state,
now): no I/O, no clock, no logging; the caller logs the decision and raises or proceeds.

The checks run in this order and the first that fails gives the reason::

    activity in the policy? ──no──▶ UNKNOWN_ACTIVITY
      │
    minor flagged? ──yes, and not (legal obligation that survives closure,
      │                   or legal claims under a legal hold)──▶ MINOR
      │
    restricted? ──yes, and not during_restriction──▶ RESTRICTED
      │
    account ── none:   neither after_account_closure nor for visitors/users ──▶ NO_ACCOUNT
      │        closed: not after_account_closure
      │                (nor legal claims under a legal hold) ──▶ ACCOUNT_CLOSED
      │
    consent basis? ── absent ▶ NO_CONSENT · withdrawn ▶ CONSENT_WITHDRAWN
      │               other text version ▶ CONSENT_STALE · expired at now ▶ CONSENT_EXPIRED
      │
    objected? ──yes, and (objection absolute, or no compelling grounds)──▶ OBJECTED
      │
    allowed

Decisions taken where the law leaves room (each is tested):

- Minor (P18, LEGAL L46/L47): art. 8 and the seed say no data of under-16s; flagged data
  is erased. Only what the law itself compels survives: activities on a legal obligation
  (art. 6(1)(c)) that also run after account closure, i.e. handling the erasure and other
  rights requests, breach handling and disclosures the law requires (art. 17(3)(b)).
- Restriction (art. 18(2), LEGAL L65): only activities declared ``during_restriction``
  continue (storage, legal claims, others' rights). Art. 18(2) also lets processing go on
  "with the data subject's consent"; a consent given before the restriction is not read
  as consent to process restricted data, so a consent-based activity continues only when
  the policy declares it ``during_restriction`` *and* the consent is valid.
- Account (P20, LEGAL L52): a closed account keeps only the ``after_account_closure``
  activities. A subject without an account (a visitor, a requester) gets those too (the
  schema: "runs for people without an account, or after it is closed") plus every
  activity whose data subjects include a DPV term for people who hold no account of
  their own: ``dpv:Visitor`` (websites, cookies) and ``dpv:User`` (someone using a
  service: a mailbox or PBX user of a customer, an app user). An activity only for
  ``dpv:Customer`` or any other kind of subject needs an account: fail closed.
- Legal hold (art. 17(3)(e)): a hold never grants processing by itself and never lifts a
  consent or objection check. It only keeps the records needed for legal claims within
  reach: activities declared ``during_restriction`` (storage and legal claims) continue
  for a held subject after closure or a minor flag, as they already do under restriction.
- Consent (art. 7, LEGAL L11/L29/L50): valid only when given under exactly the version of
  the consent text the activity declares and not expired at ``now``. A withdrawn consent
  is final for its activity: the guard never falls back to another legal basis.
- Objection (art. 21, LEGAL L15/L25/L67): honoured for every activity whose policy offers
  objection and for every activity on legitimate interest or public task (art. 21(1)
  gives the right whatever the policy says). Compelling grounds recorded by the controller
  override it, except where the objection is absolute (direct marketing, art. 21(3)).

Speed (BENCHMARKS W5): each activity is compiled once into a ``_Rule`` holding plain
booleans and every ``Decision`` it can return, built in advance; ``decide`` is a handful
of attribute reads and returns one of those shared immutable objects without allocating.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from privaat.domain.errors import AccessDenied
from privaat.domain.subject import AccountStatus, ConsentStatus, SubjectState
from privaat.policy.schema import LegalBasis, Policy, ProcessingActivity

__all__ = ["ACCOUNTLESS_SUBJECTS", "Decision", "DenyReason", "Guard", "decide", "objection_applies"]


class DenyReason(StrEnum):
    """Why the guard refused; the first failing check in the documented order."""

    UNKNOWN_ACTIVITY = "unknown_activity"  # the policy declares no such activity (art. 5(2))
    MINOR = "minor"  # P18, L47: under 16; only rights handling and legal obligations go on
    NO_ACCOUNT = "no_account"  # the activity needs an account and the subject has none
    ACCOUNT_CLOSED = "account_closed"  # P20, L52: only after_account_closure activities
    RESTRICTED = "restricted"  # art. 18(2): only during_restriction activities continue
    NO_CONSENT = "no_consent"  # art. 6(1)(a): consent-based and never given (L8)
    CONSENT_WITHDRAWN = "consent_withdrawn"  # art. 7(3), L11: never moves to another basis
    CONSENT_STALE = "consent_stale"  # L50: given under another version of the consent text
    CONSENT_EXPIRED = "consent_expired"  # L29: a time-limited grant ran out
    OBJECTED = "objected"  # art. 21(1) without compelling grounds; 21(3) absolute (L15)


@dataclass(frozen=True, slots=True)
class Decision:
    """The guard's answer for one activity; ``detail`` is English and names no person."""

    allowed: bool
    activity: str
    reason: DenyReason | None
    detail: str


# bound once: the hot path compares identities instead of looking up enum members
_ACTIVE = AccountStatus.ACTIVE
_CLOSED = AccountStatus.CLOSED
_GIVEN = ConsentStatus.GIVEN
# art. 21(1): the right to object exists for processing on these bases
_OBJECTABLE_BASES = frozenset({LegalBasis.LEGITIMATE_INTEREST, LegalBasis.PUBLIC_TASK})
# DPV data subjects who need no account: an activity naming one runs for account-less people
ACCOUNTLESS_SUBJECTS = frozenset({"dpv:Visitor", "dpv:User"})


def objection_applies(activity: ProcessingActivity) -> bool:
    """Whether a recorded objection counts for this activity, so its state must be read."""
    return activity.objection.possible or activity.legal_basis in _OBJECTABLE_BASES


@dataclass(frozen=True, slots=True)
class _Rule:
    """One activity compiled to booleans, with every decision it can return built in advance."""

    needs_consent: bool
    consent_version: int  # 0 when the activity is not consent-based
    objection_possible: bool
    objection_absolute: bool
    during_restriction: bool
    after_account_closure: bool
    needs_account: bool
    survives_minor: bool
    allow: Decision
    deny_minor: Decision
    deny_restricted: Decision
    deny_no_account: Decision
    deny_closed: Decision
    deny_no_consent: Decision
    deny_withdrawn: Decision
    deny_stale: Decision
    deny_expired: Decision
    deny_objected: Decision

    @classmethod
    def compile(cls, activity: ProcessingActivity) -> _Rule:
        aid = activity.id
        basis = activity.legal_basis
        version = activity.consent.version if activity.consent is not None else 0
        absolute = activity.objection.absolute

        def deny(reason: DenyReason, detail: str) -> Decision:
            return Decision(False, aid, reason, detail)

        objected = (
            f"the subject objected to '{aid}' and an objection to direct marketing is "
            "absolute (art. 21(3), LEGAL L15)"
            if absolute
            else f"the subject objected to '{aid}' (art. 21(1)) and no compelling legitimate "
            "grounds are recorded (LEGAL L67)"
        )
        return cls(
            needs_consent=activity.requires_consent,
            consent_version=version,
            objection_possible=objection_applies(activity),
            objection_absolute=absolute,
            during_restriction=activity.during_restriction,
            after_account_closure=activity.after_account_closure,
            needs_account=not (
                activity.after_account_closure
                or ACCOUNTLESS_SUBJECTS.intersection(activity.data_subjects)
            ),
            survives_minor=(
                basis is LegalBasis.LEGAL_OBLIGATION and activity.after_account_closure
            ),
            allow=Decision(True, aid, None, f"'{aid}' is allowed on {basis.article}"),
            deny_minor=deny(
                DenyReason.MINOR,
                f"'{aid}' stops for a subject flagged as under 16 (P18, LEGAL L47); only "
                "rights handling and legal obligations continue",
            ),
            deny_restricted=deny(
                DenyReason.RESTRICTED,
                f"processing is restricted (art. 18) and '{aid}' is not among the activities "
                "that continue during restriction",
            ),
            deny_no_account=deny(
                DenyReason.NO_ACCOUNT, f"'{aid}' needs an account and the subject has none"
            ),
            deny_closed=deny(
                DenyReason.ACCOUNT_CLOSED,
                f"'{aid}' does not run after the account is closed (P20, LEGAL L52)",
            ),
            deny_no_consent=deny(
                DenyReason.NO_CONSENT,
                f"'{aid}' is based on consent (art. 6(1)(a)) and the subject has not given it",
            ),
            deny_withdrawn=deny(
                DenyReason.CONSENT_WITHDRAWN,
                f"consent for '{aid}' was withdrawn (art. 7(3)); no other legal basis takes "
                "its place (LEGAL L11)",
            ),
            deny_stale=deny(
                DenyReason.CONSENT_STALE,
                f"consent for '{aid}' was not given under version {version} of its consent "
                "text; fresh consent is needed (LEGAL L50)",
            ),
            deny_expired=deny(
                DenyReason.CONSENT_EXPIRED,
                f"the time-limited consent for '{aid}' has expired (LEGAL L29)",
            ),
            deny_objected=deny(DenyReason.OBJECTED, objected),
        )


class Guard:
    """Decides activities of one policy; build it once per policy and share it freely."""

    __slots__ = ("_policy", "_rules")

    def __init__(self, policy: Policy) -> None:
        self._policy = policy
        self._rules = {activity.id: _Rule.compile(activity) for activity in policy.activities}

    @property
    def policy(self) -> Policy:
        return self._policy

    def __contains__(self, activity_id: object) -> bool:
        return activity_id in self._rules

    def decide(self, activity_id: str, state: SubjectState, now: datetime) -> Decision:
        """Whether ``activity_id`` may process this subject's data at ``now`` (aware UTC)."""
        rule = self._rules.get(activity_id)
        if rule is None:
            return Decision(
                False,
                activity_id,
                DenyReason.UNKNOWN_ACTIVITY,
                f"the policy declares no activity '{activity_id}'",
            )
        # art. 17(3)(e): under a legal hold the storage/legal-claims activities stay in reach
        held = state.legal_hold and rule.during_restriction
        if state.minor and not (rule.survives_minor or held):
            return rule.deny_minor
        if state.restricted and not rule.during_restriction:
            return rule.deny_restricted
        account = state.account
        if account is not _ACTIVE:
            if account is _CLOSED:
                if not (rule.after_account_closure or held):
                    return rule.deny_closed
            elif rule.needs_account:
                return rule.deny_no_account
        if rule.needs_consent:
            consent = state.consents.get(activity_id)
            if consent is None:
                return rule.deny_no_consent
            if consent.status is not _GIVEN:
                return rule.deny_withdrawn
            if consent.version != rule.consent_version:
                return rule.deny_stale
            expires_at = consent.expires_at
            if expires_at is not None and _reached(expires_at, now):
                return rule.deny_expired
        if (
            rule.objection_possible
            and activity_id in state.objections
            and (rule.objection_absolute or activity_id not in state.compelling_grounds)
        ):
            return rule.deny_objected
        return rule.allow

    def check(self, activity_id: str, state: SubjectState, now: datetime) -> Decision:
        """The allowing decision, or ``AccessDenied`` carrying the refusal."""
        decision = self.decide(activity_id, state, now)
        if not decision.allowed:
            raise AccessDenied(decision)
        return decision


def _reached(moment: datetime, now: datetime) -> bool:
    try:
        return moment <= now
    except TypeError:  # naive against aware: say which argument is wrong
        raise ValueError("'now' must be a timezone-aware datetime (UTC)") from None


def decide(policy: Policy, activity_id: str, state: SubjectState, now: datetime) -> Decision:
    """One decision without keeping a Guard; compiles the policy each call, so hold a Guard."""
    return Guard(policy).decide(activity_id, state, now)
