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
    restricted? ──the whole subject, this activity or a data category it uses,
      │            and not during_restriction──▶ RESTRICTED
      │
    account ── none:   neither after_account_closure nor for visitors/users ──▶ NO_ACCOUNT
      │        closed: not after_account_closure
      │                (nor legal claims under a legal hold) ──▶ ACCOUNT_CLOSED
      │
    consent basis? ── absent ▶ NO_CONSENT · withdrawn ▶ CONSENT_WITHDRAWN
      │               for another text ▶ CONSENT_STALE · expired at now ▶ CONSENT_EXPIRED
      │
    requires_consent_of? ──that consent absent, withdrawn, stale or expired──▶
      │                     REQUIRED_CONSENT_MISSING
      │
    objected? ── direct marketing: to any direct-marketing activity or to all ──▶ OBJECTED
      │          otherwise: to this activity, and (objection final or absolute,
      │                     or no compelling grounds) ──▶ OBJECTED
      │
    allowed

Decisions taken where the law leaves room (each is tested):

- Minor (P18, LEGAL L46/L47): art. 8 and the seed say no data of under-16s; flagged data
  is erased. Only what the law itself compels survives: activities on a legal obligation
  (art. 6(1)(c)) that also run after account closure, i.e. handling the erasure and other
  rights requests, breach handling and disclosures the law requires (art. 17(3)(b)).
- Restriction (art. 18, LEGAL L65/L87): a restriction has a scope: the whole subject
  (``restricted``), named activities, or data categories. A category restriction stops an
  activity only when every category it uses is restricted; otherwise the activity goes on
  and the enforcement seam withholds the restricted columns (contesting one phone number
  keeps the phone number out of use, not the customer out of the account). In scope, only
  activities declared
  ``during_restriction`` continue (storage, legal claims, others' rights). Art. 18(2) also
  lets processing go on "with the data subject's consent"; a consent given before the
  restriction is not read as consent to process restricted data, so a consent-based
  activity continues only when the policy declares it ``during_restriction`` *and* the
  consent is valid.
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
- Consent (art. 7(1), LEGAL L11/L29/L50/L86): valid only when given for the exact request
  text the activity shows now, in any of its languages (its SHA-256, ``Consent.text_hashes``),
  and not expired at ``now``; ``Consent.version`` is not compared. A withdrawn consent is
  final for its activity: the guard never falls back to another legal basis.
- Required consent (LEGAL L13): an activity may run only among people with a valid
  consent to another activity (``requires_consent_of``): selecting who gets marketing
  e-mail on legitimate interest selects only among those who opted in to it.
- Direct marketing (art. 21(2)-(3), LEGAL L15/L85): an activity is direct marketing when
  one of its purposes is a DPV marketing term. An objection to any direct-marketing
  activity, or to direct marketing as such (``DIRECT_MARKETING``), stops every one of
  them, whatever their basis or consents, and no ground overrides it.
- Objection (art. 21(1), LEGAL L25/L67): honoured for every activity whose policy offers
  objection and for every activity on legitimate interest or public task (art. 21(1)
  gives the right whatever the policy says). Compelling grounds override it unless the
  objection is absolute or the policy makes it final (``overridable: false``, e.g. a
  caller declining call recording, L26). Grounds are a reviewed decision that the
  services record and tell the person about; the guard only reads them.

Speed (BENCHMARKS W5): each activity is compiled once into a ``_Rule`` holding plain
booleans, frozensets and every ``Decision`` it can return, built in advance; ``decide`` is
a handful of attribute reads and set tests and returns one of those shared immutable
objects without allocating.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from privaat.domain.errors import AccessDenied
from privaat.domain.subject import DIRECT_MARKETING, AccountStatus, ConsentStatus, SubjectState
from privaat.policy.schema import LegalBasis, Policy, ProcessingActivity
from privaat.policy.vocab import DPV_MARKETING_PURPOSES

__all__ = [
    "ACCOUNTLESS_SUBJECTS",
    "Decision",
    "DenyReason",
    "Guard",
    "decide",
    "is_direct_marketing",
    "objection_applies",
]


class DenyReason(StrEnum):
    """Why the guard refused; the first failing check in the documented order."""

    UNKNOWN_ACTIVITY = "unknown_activity"  # the policy declares no such activity (art. 5(2))
    MINOR = "minor"  # P18, L47: under 16; only rights handling and legal obligations go on
    NO_ACCOUNT = "no_account"  # the activity needs an account and the subject has none
    ACCOUNT_CLOSED = "account_closed"  # P20, L52: only after_account_closure activities
    RESTRICTED = "restricted"  # art. 18(2), L87: in scope only during_restriction continues
    NO_CONSENT = "no_consent"  # art. 6(1)(a): consent-based and never given (L8)
    CONSENT_WITHDRAWN = "consent_withdrawn"  # art. 7(3), L11: never moves to another basis
    CONSENT_STALE = "consent_stale"  # art. 7(1), L50, L86: given for a text no longer shown
    CONSENT_EXPIRED = "consent_expired"  # L29: a time-limited grant ran out
    # L13: runs only among people with a valid consent to another activity, and this
    # subject's consent to it is absent, withdrawn, stale or expired
    REQUIRED_CONSENT_MISSING = "required_consent_missing"
    OBJECTED = "objected"  # art. 21(1) without compelling grounds; 21(2)-(3) absolute (L15)


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


def is_direct_marketing(activity: ProcessingActivity) -> bool:
    """Whether the activity serves direct marketing, so an objection to it is absolute."""
    # art. 21(2)-(3), LEGAL L85: sending, selection and engagement tracking alike
    return not DPV_MARKETING_PURPOSES.isdisjoint(activity.purposes)


def objection_applies(activity: ProcessingActivity) -> bool:
    """Whether a recorded objection counts for this activity, so its state must be read."""
    return (
        activity.objection.possible
        or activity.legal_basis in _OBJECTABLE_BASES
        # art. 21(2): the right to object to direct marketing needs no offer in the policy
        or is_direct_marketing(activity)
    )


@dataclass(frozen=True, slots=True)
class _Rule:
    """One activity compiled to booleans and sets, with every decision it can return built."""

    needs_consent: bool
    consent_hashes: frozenset[str]  # the hashes of the current request text; empty if none
    # (activity id, its current text hashes, the refusal) per requires_consent_of entry
    required: tuple[tuple[str, frozenset[str], Decision], ...]
    objection_keys: frozenset[str]  # objections that count: own id, or all direct marketing
    objection_final: bool  # no compelling grounds override (art. 21(3); overridable: false)
    categories: frozenset[str]  # for a restriction scoped to data categories (L87)
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
    def compile(
        cls,
        activity: ProcessingActivity,
        activities: dict[str, ProcessingActivity],
        direct_marketing: frozenset[str],
    ) -> _Rule:
        aid = activity.id
        basis = activity.legal_basis
        marketing = aid in direct_marketing

        def deny(reason: DenyReason, detail: str) -> Decision:
            return Decision(False, aid, reason, detail)

        if marketing:
            objection_keys = direct_marketing
            objected = (
                f"the subject objected to direct marketing, which covers '{aid}'; an objection "
                "to direct marketing is absolute (art. 21(2)-(3), LEGAL L15, L85)"
            )
        else:
            objection_keys = frozenset({aid}) if objection_applies(activity) else frozenset()
            if activity.objection.absolute:
                objected = f"the subject objected to '{aid}' and the objection is absolute"
            elif not activity.objection.overridable:
                objected = (
                    f"the subject objected to '{aid}' (art. 21(1)) and the policy lets no "
                    "compelling grounds override this objection"
                )
            else:
                objected = (
                    f"the subject objected to '{aid}' (art. 21(1)) and no compelling "
                    "legitimate grounds are recorded (LEGAL L67)"
                )
        return cls(
            needs_consent=activity.requires_consent,
            consent_hashes=(
                activity.consent.text_hashes() if activity.consent is not None else frozenset()
            ),
            required=tuple(
                (
                    other,
                    _current_text_hashes(activity, other, activities),
                    deny(
                        DenyReason.REQUIRED_CONSENT_MISSING,
                        f"'{aid}' runs only among subjects with a valid consent to '{other}' "
                        "(LEGAL L13), and this subject holds none",
                    ),
                )
                for other in activity.requires_consent_of
            ),
            objection_keys=objection_keys,
            objection_final=(
                marketing or activity.objection.absolute or not activity.objection.overridable
            ),
            categories=frozenset(activity.data_categories),
            during_restriction=activity.during_restriction,
            after_account_closure=activity.after_account_closure,
            needs_account=not (
                activity.after_account_closure
                or ACCOUNTLESS_SUBJECTS.intersection(activity.data_subjects)
            ),
            # P18, L47: what the law compels, and the child's own protection (art. 8), go on
            survives_minor=(
                (basis is LegalBasis.LEGAL_OBLIGATION and activity.after_account_closure)
                or activity.continues_for_minors
            ),
            allow=Decision(True, aid, None, f"'{aid}' is allowed on {basis.article}"),
            deny_minor=deny(
                DenyReason.MINOR,
                f"'{aid}' stops for a subject flagged as under 16 (P18, LEGAL L47); only "
                "rights handling, legal obligations and the protection itself continue",
            ),
            deny_restricted=deny(
                DenyReason.RESTRICTED,
                f"processing is restricted (art. 18) for '{aid}' or data it uses, and '{aid}' "
                "is not among the activities that continue during restriction",
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
                f"consent for '{aid}' was given for a text that is no longer the one shown; "
                "fresh consent is needed (art. 7(1), LEGAL L50, L86)",
            ),
            deny_expired=deny(
                DenyReason.CONSENT_EXPIRED,
                f"the time-limited consent for '{aid}' has expired (LEGAL L29)",
            ),
            deny_objected=deny(DenyReason.OBJECTED, objected),
        )


def _current_text_hashes(
    activity: ProcessingActivity, other: str, activities: dict[str, ProcessingActivity]
) -> frozenset[str]:
    # validate.py checks policies too; the guard refuses to compile a reference it cannot
    # enforce rather than deny (or allow) every decision for a reason nobody sees
    required = activities.get(other)
    if required is None:
        raise ValueError(
            f"activity '{activity.id}' requires the consent of '{other}', which the policy "
            "does not declare"
        )
    if required.consent is None or not required.requires_consent:
        raise ValueError(
            f"activity '{activity.id}' requires the consent of '{other}', which is not "
            f"based on consent but on {required.legal_basis.value}"
        )
    return required.consent.text_hashes()


class Guard:
    """Decides activities of one policy; build it once per policy and share it freely."""

    __slots__ = ("_policy", "_rules")

    def __init__(self, policy: Policy) -> None:
        activities = {activity.id: activity for activity in policy.activities}
        marketing = frozenset(a.id for a in policy.activities if is_direct_marketing(a))
        if DIRECT_MARKETING in activities and DIRECT_MARKETING not in marketing:
            # its id is the key of a general objection to direct marketing (subject.py)
            raise ValueError(
                f"activity '{DIRECT_MARKETING}' must have a direct-marketing purpose: its id "
                "is the key of an objection to all direct marketing"
            )
        direct_marketing = marketing | {DIRECT_MARKETING}
        self._policy = policy
        self._rules = {
            activity.id: _Rule.compile(activity, activities, direct_marketing)
            for activity in policy.activities
        }

    @property
    def policy(self) -> Policy:
        return self._policy

    def __contains__(self, activity_id: object) -> bool:
        return activity_id in self._rules

    def consents_read(self, activity_id: str) -> frozenset[str]:
        """The activities whose consent ``decide`` reads for this one: load these, no more."""
        rule = self._rules[activity_id]
        own = frozenset({activity_id}) if rule.needs_consent else frozenset()
        return own | {other for other, _, _ in rule.required}

    def withheld(self, activity_id: str, state: SubjectState) -> frozenset[str]:
        """The data categories ``activity_id`` may not use for this subject although it may
        run: those of a category restriction (art. 18(1), L87), unless the activity is one
        that continues during restriction (storage, legal claims, art. 18(2))."""
        categories = state.restricted_categories
        if not categories or self._rules[activity_id].during_restriction:
            return frozenset()
        return categories

    def objections_read(self, activity_id: str) -> frozenset[str]:
        """The objection keys that count for this activity (all direct marketing, or its own)."""
        return self._rules[activity_id].objection_keys

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
        # art. 18(1), L87: only processing within the restriction's scope stops
        if not rule.during_restriction and (
            state.restricted
            or activity_id in state.restricted_activities
            # an activity whose every category is contested has nothing left to process; one
            # that uses other data too goes on without the contested data, which the
            # enforcement seam withholds column by column (a contested phone number does not
            # lock the customer out of the account)
            or (state.restricted_categories and rule.categories <= state.restricted_categories)
        ):
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
            if consent.text_sha256 not in rule.consent_hashes:
                return rule.deny_stale
            expires_at = consent.expires_at
            if expires_at is not None and _reached(expires_at, now):
                return rule.deny_expired
        if rule.required:
            for other, hashes, missing in rule.required:
                consent = state.consents.get(other)
                if (
                    consent is None
                    or consent.status is not _GIVEN
                    or consent.text_sha256 not in hashes
                    or (consent.expires_at is not None and _reached(consent.expires_at, now))
                ):
                    return missing
        objections = state.objections
        if (
            objections
            and not objections.isdisjoint(rule.objection_keys)
            and (rule.objection_final or activity_id not in state.compelling_grounds)
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
