"""Invariants of the guard over the shipped policy, for every subject state hypothesis can build.

Each property is a sentence of the law or of DESIGN that must hold whatever the state;
none restates how the guard computes a decision. Named cases are in test_guard_flexibelt.py.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from privaat.domain.guard import Decision, Guard, is_direct_marketing
from privaat.domain.subject import (
    DIRECT_MARKETING,
    AccountStatus,
    ConsentState,
    SubjectState,
)
from privaat.policy.loader import load_policy_file
from privaat.policy.schema import LegalBasis, consent_text_sha256
from privaat.settings import default_policy_file

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
POLICY = load_policy_file(default_policy_file())
GUARD = Guard(POLICY)
IDS = sorted(a.id for a in POLICY.activities)
CATEGORIES = sorted(c.id for c in POLICY.data_categories)
MARKETING = sorted(a.id for a in POLICY.activities if is_direct_marketing(a))
CONSENT_BASED = sorted(a.id for a in POLICY.activities if a.legal_basis is LegalBasis.CONSENT)
# what the policy declares, read without the guard: its own consent and requires_consent_of
CONSENTS_NEEDED = {
    a.id: sorted(
        ({a.id} if a.legal_basis is LegalBasis.CONSENT else set()) | set(a.requires_consent_of)
    )
    for a in POLICY.activities
}
OLD_TEXT = consent_text_sha256("Yes, send me news.")  # a text no activity shows
EVERY_ID = frozenset(IDS)
PROPERTY = settings(max_examples=100, deadline=None)


def _hashes(activity: str) -> list[str]:
    consent = POLICY.activity(activity).consent
    assert consent is not None
    return sorted(consent.text_hashes())


moments = st.integers(min_value=-90 * 24, max_value=90 * 24).map(
    lambda hours: NOW + timedelta(hours=hours)
)
# stops are rare, so that plenty of drawn states are allowed something and can be denied it
rarely = st.sampled_from([False, False, False, True])


def consent_states(activity: str) -> st.SearchStrategy[ConsentState]:
    """Given for a current or an old text, perhaps time-limited, perhaps withdrawn since."""
    given_consent = st.builds(
        ConsentState.given,
        st.sampled_from([*_hashes(activity), OLD_TEXT]),
        moments,
        expires_at=st.none() | moments,
    )
    return st.one_of(given_consent, given_consent, given_consent.map(lambda c: c.withdraw(NOW)))


objection_keys = st.sampled_from([*IDS, DIRECT_MARKETING, "not_an_activity"])
states = st.builds(
    SubjectState,
    account=st.sampled_from([AccountStatus.ACTIVE, AccountStatus.ACTIVE, *AccountStatus]),
    consents=st.fixed_dictionaries(
        {}, optional={aid: consent_states(aid) for aid in CONSENT_BASED}
    ),
    objections=st.frozensets(objection_keys, max_size=3) | st.just(frozenset()),
    compelling_grounds=st.frozensets(objection_keys, max_size=3),
    restricted=rarely,
    restricted_activities=st.just(frozenset()) | st.frozensets(st.sampled_from(IDS), max_size=2),
    restricted_categories=(
        st.just(frozenset()) | st.frozensets(st.sampled_from(CATEGORIES), max_size=2)
    ),
    minor=rarely,
    legal_hold=rarely,
)


def _allowed(activity: str, state: SubjectState) -> bool:
    return GUARD.decide(activity, state, NOW).allowed


def _stopped(state: SubjectState, data: st.DataObject) -> dict[str, SubjectState]:
    """The state with one more reason to stop, for every kind of stop the guard knows of."""
    consents = st.sampled_from(sorted(state.consents)) if state.consents else st.nothing()
    consent = data.draw(consents | st.none(), label="consent")
    stops = {
        "minor": replace(state, minor=True),
        "restricted": replace(state, restricted=True),
        "restricted activity": replace(
            state,
            restricted_activities=state.restricted_activities
            | {data.draw(st.sampled_from(IDS), label="restricted activity")},
        ),
        "restricted category": replace(
            state,
            restricted_categories=state.restricted_categories
            | {data.draw(st.sampled_from(CATEGORIES), label="restricted category")},
        ),
        "objection": replace(
            state, objections=state.objections | {data.draw(objection_keys, label="objection")}
        ),
    }
    if state.account is AccountStatus.ACTIVE:
        stops["closure"] = replace(state, account=AccountStatus.CLOSED)
    if consent is not None:
        removed = {aid: c for aid, c in state.consents.items() if aid != consent}
        withdrawn = {**state.consents, consent: state.consents[consent].withdraw(NOW)}
        stops["consent removed"] = replace(state, consents=removed)
        stops["consent withdrawn"] = replace(state, consents=withdrawn)
    return stops


BAD_CONSENTS = ("absent", "withdrawn", "stale")


def _spoil(state: SubjectState, activity: str, how: str) -> SubjectState:
    consents = dict(state.consents)
    if how == "absent":
        consents.pop(activity, None)
    elif how == "withdrawn":
        consents[activity] = ConsentState.given(_hashes(activity)[0], NOW).withdraw(NOW)
    else:
        consents[activity] = ConsentState.given(OLD_TEXT, NOW)
    return replace(state, consents=consents)


@PROPERTY
@given(state=states)
def test_art7_l8_l11_l86_an_absent_withdrawn_or_stale_consent_never_allows(
    state: SubjectState,
) -> None:
    # whatever else holds (grounds for everything, a legal hold), a consent the activity
    # needs, its own or one named in requires_consent_of, that was never given, was
    # withdrawn or was given for another text stops it: no other basis takes over (L11)
    for base in (state, replace(state, compelling_grounds=EVERY_ID, legal_hold=True)):
        for activity, needed in CONSENTS_NEEDED.items():
            for other, how in itertools.product(needed, BAD_CONSENTS):
                assert not _allowed(activity, _spoil(base, other, how)), (activity, other, how)


@PROPERTY
@given(state=states, data=st.data())
def test_monotonic_minor_restriction_closure_objection_or_less_consent_never_allow_more(
    state: SubjectState, data: st.DataObject
) -> None:
    stops = _stopped(state, data)
    for activity in IDS:
        # an objection to this very activity is rare among random keys: try it too
        for objection in (frozenset(), frozenset({activity})):
            base = replace(state, objections=state.objections | objection)
            if _allowed(activity, base):
                continue  # nothing to turn into an allow
            for stop, changed in stops.items():
                changed = replace(changed, objections=changed.objections | objection)
                assert not _allowed(activity, changed), (activity, stop)


@PROPERTY
@given(state=states)
def test_art17_3_e_a_legal_hold_allows_more_only_for_legal_claims_under_closure_or_minor(
    state: SubjectState,
) -> None:
    unheld = replace(state, legal_hold=False)
    held = replace(unheld, legal_hold=True)
    for activity in IDS:
        if not _allowed(activity, unheld) and _allowed(activity, held):
            assert POLICY.activity(activity).during_restriction, activity
            assert unheld.account is AccountStatus.CLOSED or unheld.minor, activity


@PROPERTY
@given(key=st.sampled_from([*MARKETING, DIRECT_MARKETING]), state=states)
def test_art21_3_l15_l85_a_marketing_objection_denies_every_direct_marketing_activity(
    key: str, state: SubjectState
) -> None:
    # whatever else holds: every consent valid, compelling grounds for everything
    valid = {aid: ConsentState.given(_hashes(aid)[0], NOW) for aid in CONSENT_BASED}
    best = replace(state, consents=valid, compelling_grounds=EVERY_ID)
    for candidate in (state, best):
        objected = replace(candidate, objections=candidate.objections | {key})
        for activity in MARKETING:
            assert not _allowed(activity, objected), activity


@PROPERTY
@given(first=states, second=states)
def test_decide_is_deterministic_and_its_detail_never_depends_on_the_subject(
    first: SubjectState, second: SubjectState
) -> None:
    for activity in IDS:
        one, two = GUARD.decide(activity, first, NOW), GUARD.decide(activity, second, NOW)
        assert GUARD.decide(activity, first, NOW) is one  # shared, prebuilt decisions
        assert one.activity == two.activity == activity
        assert one.allowed is (one.reason is None)
        if one.reason is two.reason:
            assert one.detail == two.detail, activity


@PROPERTY
@given(
    unknown=st.text(max_size=20),
    state=states,
    now=st.builds(
        lambda moment, offset: moment.astimezone(timezone(timedelta(hours=offset))),
        moments,
        st.integers(min_value=-12, max_value=14),
    ),
)
def test_the_guard_never_raises_for_any_valid_state(
    unknown: str, state: SubjectState, now: datetime
) -> None:
    for activity in [*IDS, unknown]:
        decision = GUARD.decide(activity, state, now)
        assert isinstance(decision, Decision)
        assert decision.allowed is (decision.reason is None)
