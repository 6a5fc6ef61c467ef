"""The guard, rule by rule, over a small policy built here; the shipped policy has its own file."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any, cast

import pytest

from privaat.domain import errors as errors_module
from privaat.domain import guard as guard_module
from privaat.domain import subject as subject_module
from privaat.domain.errors import AccessDenied, DomainError
from privaat.domain.guard import Decision, DenyReason, Guard, decide, objection_applies
from privaat.domain.subject import AccountStatus, ConsentState, ConsentStatus, SubjectState
from privaat.policy.schema import Policy, ProcessingActivity

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
TEXT = {"nl": "tekst", "en": "text"}


def _activity(
    aid: str,
    basis: str,
    *,
    consent_version: int | None = None,
    objection: bool = False,
    absolute: bool = False,
    subjects: tuple[str, ...] = ("dpv:Customer",),
    **flags: Any,
) -> dict[str, Any]:
    activity: dict[str, Any] = {
        "id": aid,
        "name": TEXT,
        "description": TEXT,
        "promises": ["P1"],
        "purposes": ["dpv:ServiceProvision"],
        "data_categories": ["email"],
        "data_subjects": list(subjects),
        "legal_basis": basis,
        "retention": {"starts": "collection", "period": "P1Y"},
        "sources": ["data_subject"],
        "objection": {"possible": objection, "absolute": absolute},
        **flags,
    }
    if basis == "legitimate_interest":
        activity["legitimate_interest"] = TEXT
    if basis == "consent":
        activity["consent"] = {
            "version": consent_version or 1,
            "request": TEXT,
            "withdraw": TEXT,
            "channels": ["account_preferences"],
        }
    return activity


ADDRESS = {"street": "Oosterheemplein 2a", "postal_code": "2721 NA", "city": "Zoetermeer"}
POLICY = Policy.model_validate(
    {
        "policy": {"id": "test", "version": 1, "last_updated": "2018-05-23"},
        "controller": {
            "name": "Flexibelt",
            "address": {**ADDRESS, "country": "NL"},
            "email": "euprivacy@example.nl",
        },
        "privacy_contact": {"name": TEXT, "email": "euprivacy@example.nl"},
        "supervisory_authority": {"name": "AP", "website": "w", "complaint_url": "u"},
        "data_categories": [],
        "recipients": [],
        "activities": [
            _activity("account", "contract"),  # P1
            _activity(
                "marketing_email", "consent", consent_version=2, objection=True, absolute=True
            ),
            _activity("marketing_selection", "legitimate_interest", objection=True, absolute=True),
            _activity(  # P6, L25: the user of a customer's phone need not hold the account
                "device_sync",
                "legitimate_interest",
                objection=True,
                subjects=("dpv:Customer", "dpv:User"),
            ),
            _activity("security_notices", "legitimate_interest"),  # P3: policy offers no objection
            _activity("support_login", "consent", objection=True),  # P7, L29: time-limited grant
            _activity(  # P22: rights requests, also the erasure itself
                "rights_handling",
                "legal_obligation",
                during_restriction=True,
                after_account_closure=True,
            ),
            _activity("invoices", "legal_obligation", after_account_closure=True),  # L34
            _activity("traffic_data", "legal_obligation"),  # L22: only while the service runs
            _activity(  # P12(d): legal claims; art. 18(2)
                "legal_claims",
                "legitimate_interest",
                during_restriction=True,
                after_account_closure=True,
            ),
            _activity("fraud_detection", "legitimate_interest", during_restriction=True),  # P8
            _activity("web_analytics", "consent", subjects=("dpv:Visitor", "dpv:Customer")),
        ],
    }
)
GUARD = Guard(POLICY)

CUSTOMER = SubjectState.customer()
MARKETING_OK = replace(CUSTOMER, consents={"marketing_email": ConsentState.given(2, NOW)})


def _with(state: SubjectState = CUSTOMER, **changes: Any) -> SubjectState:
    return replace(state, **changes)


def _consent(activity: str, consent: ConsentState, state: SubjectState = CUSTOMER) -> SubjectState:
    return replace(state, consents={activity: consent})


def _reason(activity: str, state: SubjectState, now: datetime = NOW) -> DenyReason | None:
    decision = GUARD.decide(activity, state, now)
    assert decision.allowed is (decision.reason is None)
    assert decision.activity == activity
    return decision.reason


YEAR_AGO = NOW - timedelta(days=365)
CONSENT_CASES = [
    pytest.param("marketing_email", CUSTOMER, DenyReason.NO_CONSENT, id="l8-never-given"),
    pytest.param("marketing_email", MARKETING_OK, None, id="p4-given-current-version"),
    pytest.param(
        "marketing_email",
        _consent("marketing_email", ConsentState.given(2, YEAR_AGO).withdraw(NOW)),
        DenyReason.CONSENT_WITHDRAWN,
        id="p4-withdrawn",
    ),
    pytest.param(
        "marketing_email",
        _consent("marketing_email", ConsentState.given(1, YEAR_AGO)),
        DenyReason.CONSENT_STALE,
        id="l50-older-text-version",
    ),
    pytest.param(
        "marketing_email",
        _consent("marketing_email", ConsentState.given(3, YEAR_AGO)),
        DenyReason.CONSENT_STALE,
        id="l50-version-the-policy-does-not-declare",
    ),
    pytest.param(
        "marketing_email",
        _consent("web_analytics", ConsentState.given(1, YEAR_AGO)),
        DenyReason.NO_CONSENT,
        id="l9-consent-for-another-purpose-does-not-count",
    ),
    pytest.param(
        "support_login",
        _consent("support_login", ConsentState.given(1, NOW, expires_at=NOW + timedelta(hours=1))),
        None,
        id="l29-grant-still-running",
    ),
    pytest.param(
        "support_login",
        _consent("support_login", ConsentState.given(1, YEAR_AGO, expires_at=NOW)),
        DenyReason.CONSENT_EXPIRED,
        id="l29-grant-expires-at-this-moment",
    ),
    pytest.param(
        "support_login",
        _consent("support_login", ConsentState.given(1, YEAR_AGO, expires_at=YEAR_AGO)),
        DenyReason.CONSENT_EXPIRED,
        id="l29-grant-expired",
    ),
    pytest.param(
        "support_login",
        _consent(
            "support_login",
            ConsentState.given(1, YEAR_AGO, expires_at=NOW + timedelta(days=1)).withdraw(NOW),
        ),
        DenyReason.CONSENT_WITHDRAWN,
        id="l29-grant-revoked-before-expiry",
    ),
]


@pytest.mark.parametrize(("activity", "state", "expected"), CONSENT_CASES)
def test_p4_l50_l29_consent_must_be_given_current_and_unexpired(
    activity: str, state: SubjectState, expected: DenyReason | None
) -> None:
    assert _reason(activity, state) is expected


def test_l11_withdrawn_consent_is_not_replaced_by_another_basis() -> None:
    withdrawn = ConsentState.given(2, YEAR_AGO).withdraw(NOW)
    # compelling grounds belong to legitimate interest; they cannot revive a withdrawn consent
    state = _with(
        consents={"marketing_email": withdrawn},
        compelling_grounds=frozenset({"marketing_email"}),
        legal_hold=True,
    )
    assert _reason("marketing_email", state) is DenyReason.CONSENT_WITHDRAWN
    assert withdrawn.status is ConsentStatus.WITHDRAWN


def _objecting(*activities: str, grounds: tuple[str, ...] = (), **changes: Any) -> SubjectState:
    return _with(objections=frozenset(activities), compelling_grounds=frozenset(grounds), **changes)


OBJECTION_CASES = [
    pytest.param("device_sync", _objecting("device_sync"), DenyReason.OBJECTED, id="l25-objected"),
    pytest.param(
        "device_sync",
        _objecting("device_sync", grounds=("device_sync",)),
        None,
        id="l67-compelling-grounds-recorded",
    ),
    pytest.param(
        "device_sync",
        _objecting(grounds=("device_sync",)),
        None,
        id="l67-grounds-without-objection-change-nothing",
    ),
    pytest.param(
        "device_sync", _objecting("telemetry_other"), None, id="l25-objection-is-per-activity"
    ),
    pytest.param(
        "marketing_selection",
        _objecting("marketing_selection"),
        DenyReason.OBJECTED,
        id="l15-objection-to-targeting",
    ),
    pytest.param(
        "marketing_selection",
        _objecting("marketing_selection", grounds=("marketing_selection",)),
        DenyReason.OBJECTED,
        id="l15-absolute-objection-ignores-compelling-grounds",
    ),
    pytest.param(
        "marketing_email",
        _objecting("marketing_email", consents=MARKETING_OK.consents),
        DenyReason.OBJECTED,
        id="l15-objection-to-direct-marketing-beats-a-valid-consent",
    ),
    pytest.param(
        "security_notices",
        _objecting("security_notices"),
        DenyReason.OBJECTED,
        id="l67-art21-1-applies-to-legitimate-interest-the-policy-marks-unobjectable",
    ),
    pytest.param(
        "security_notices",
        _objecting("security_notices", grounds=("security_notices",)),
        None,
        id="l67-grounds-override-where-the-policy-offers-no-objection",
    ),
    pytest.param("account", _objecting("account"), None, id="p1-contract-is-not-open-to-objection"),
]


@pytest.mark.parametrize(("activity", "state", "expected"), OBJECTION_CASES)
def test_l15_l25_l67_objection_stops_processing_unless_compelling_grounds(
    activity: str, state: SubjectState, expected: DenyReason | None
) -> None:
    assert _reason(activity, state) is expected


@pytest.mark.parametrize("activity", POLICY.activities, ids=lambda a: a.id)
def test_l67_objection_applies_says_exactly_when_an_objection_stops_the_activity(
    activity: ProcessingActivity,
) -> None:
    # the service layer reads objections only where objection_applies: it must not miss one
    consents = {
        a.id: ConsentState.given(a.consent.version, NOW)
        for a in POLICY.activities
        if a.consent is not None
    }
    state = _objecting(activity.id, consents=consents)
    assert GUARD.decide(activity.id, replace(state, objections=frozenset()), NOW).allowed
    denied = GUARD.decide(activity.id, state, NOW).reason is DenyReason.OBJECTED
    assert denied is objection_applies(activity)


def test_l15_objected_detail_cites_art_21_3_for_absolute_and_21_1_otherwise() -> None:
    absolute = GUARD.decide("marketing_selection", _objecting("marketing_selection"), NOW)
    relative = GUARD.decide("device_sync", _objecting("device_sync"), NOW)
    assert "art. 21(3)" in absolute.detail
    assert "art. 21(1)" in relative.detail


RESTRICTED = _with(restricted=True)
RESTRICTION_CASES = [
    pytest.param("rights_handling", RESTRICTED, None, id="p22-rights-handling-continues"),
    pytest.param("legal_claims", RESTRICTED, None, id="l65-legal-claims-continue"),
    pytest.param("fraud_detection", RESTRICTED, None, id="l65-others-rights-continue"),
    pytest.param("account", RESTRICTED, DenyReason.RESTRICTED, id="l65-contract-stops"),
    pytest.param("device_sync", RESTRICTED, DenyReason.RESTRICTED, id="l65-telemetry-stops"),
    pytest.param("invoices", RESTRICTED, DenyReason.RESTRICTED, id="l65-not-declared-stops"),
    pytest.param(
        "marketing_email",
        replace(MARKETING_OK, restricted=True),
        DenyReason.RESTRICTED,
        id="l65-earlier-consent-does-not-lift-restriction",
    ),
]


@pytest.mark.parametrize(("activity", "state", "expected"), RESTRICTION_CASES)
def test_l65_restriction_limits_processing_to_during_restriction_activities(
    activity: str, state: SubjectState, expected: DenyReason | None
) -> None:
    assert _reason(activity, state) is expected


CLOSED = _with(account=AccountStatus.CLOSED)
VISITOR = SubjectState.visitor()
ACCOUNT_CASES = [
    pytest.param("account", CUSTOMER, None, id="p1-active-account"),
    pytest.param("account", CLOSED, DenyReason.ACCOUNT_CLOSED, id="p20-closed-account"),
    pytest.param("device_sync", CLOSED, DenyReason.ACCOUNT_CLOSED, id="l52-telemetry-stops"),
    pytest.param("invoices", CLOSED, None, id="l34-tax-records-outlive-the-account"),
    pytest.param(
        "traffic_data", CLOSED, DenyReason.ACCOUNT_CLOSED, id="l22-service-obligation-ends"
    ),
    pytest.param("rights_handling", CLOSED, None, id="p22-rights-after-closure"),
    pytest.param("account", VISITOR, DenyReason.NO_ACCOUNT, id="p1-visitor-has-no-account"),
    pytest.param("device_sync", VISITOR, None, id="p6-service-user-without-own-account"),
    pytest.param(
        "fraud_detection", VISITOR, DenyReason.NO_ACCOUNT, id="customer-only-activity-fails-closed"
    ),
    pytest.param("rights_handling", VISITOR, None, id="l54-requester-without-account"),
    pytest.param(
        "web_analytics",
        _consent("web_analytics", ConsentState.given(1, NOW), VISITOR),
        None,
        id="p14-visitor-with-cookie-consent",
    ),
    pytest.param("web_analytics", VISITOR, DenyReason.NO_CONSENT, id="l39-visitor-without-consent"),
    pytest.param(
        "web_analytics",
        _consent("web_analytics", ConsentState.given(1, NOW), CLOSED),
        DenyReason.ACCOUNT_CLOSED,
        id="l52-closed-account-is-not-a-visitor",
    ),
]


@pytest.mark.parametrize(("activity", "state", "expected"), ACCOUNT_CASES)
def test_p20_l52_account_status_limits_activities(
    activity: str, state: SubjectState, expected: DenyReason | None
) -> None:
    assert _reason(activity, state) is expected


MINOR = _with(minor=True, consents=MARKETING_OK.consents)
MINOR_CASES = [
    pytest.param("rights_handling", MINOR, None, id="l47-erasure-request-handled"),
    pytest.param("invoices", MINOR, None, id="art17-3-b-legal-obligation-survives"),
    pytest.param("account", MINOR, DenyReason.MINOR, id="p18-account-stops"),
    pytest.param(
        "traffic_data", MINOR, DenyReason.MINOR, id="p18-obligation-of-the-service-stops-with-it"
    ),
    pytest.param("marketing_email", MINOR, DenyReason.MINOR, id="p18-consent-does-not-help"),
    pytest.param("legal_claims", MINOR, DenyReason.MINOR, id="p18-legal-claims-need-a-hold"),
    pytest.param("web_analytics", MINOR, DenyReason.MINOR, id="p18-visitor-activity-stops"),
    pytest.param(
        "rights_handling", replace(MINOR, account=AccountStatus.CLOSED), None, id="l47-closed"
    ),
]


@pytest.mark.parametrize(("activity", "state", "expected"), MINOR_CASES)
def test_p18_minor_flag_stops_processing(
    activity: str, state: SubjectState, expected: DenyReason | None
) -> None:
    assert _reason(activity, state) is expected


HELD_CLOSED = _with(account=AccountStatus.CLOSED, legal_hold=True)
LEGAL_HOLD_CASES = [
    pytest.param("legal_claims", _with(minor=True, legal_hold=True), None, id="minor-claims"),
    pytest.param("fraud_detection", HELD_CLOSED, None, id="closed-fraud-records-for-claims"),
    pytest.param("fraud_detection", CLOSED, DenyReason.ACCOUNT_CLOSED, id="closed-without-hold"),
    pytest.param("account", HELD_CLOSED, DenyReason.ACCOUNT_CLOSED, id="closed-contract-stays-off"),
    pytest.param(
        "account", _with(minor=True, legal_hold=True), DenyReason.MINOR, id="minor-account-off"
    ),
    pytest.param(
        "fraud_detection",
        replace(VISITOR, legal_hold=True),
        DenyReason.NO_ACCOUNT,
        id="no-account-is-not-a-closed-one",
    ),
    pytest.param(
        "marketing_email", _with(legal_hold=True), DenyReason.NO_CONSENT, id="no-consent-by-hold"
    ),
    pytest.param(
        "device_sync",
        _objecting("device_sync", legal_hold=True),
        DenyReason.OBJECTED,
        id="no-objection-lifted-by-hold",
    ),
    pytest.param(
        "device_sync", _with(legal_hold=True, restricted=True), DenyReason.RESTRICTED, id="restr"
    ),
]


@pytest.mark.parametrize(("activity", "state", "expected"), LEGAL_HOLD_CASES)
def test_l52_legal_hold_keeps_legal_claims_within_reach_and_grants_nothing_else(
    activity: str, state: SubjectState, expected: DenyReason | None
) -> None:
    assert _reason(activity, state) is expected


STALE = {"marketing_email": ConsentState.given(1, YEAR_AGO)}
PRECEDENCE_CASES = [
    pytest.param(
        "no_such_activity",
        _with(minor=True, restricted=True, account=AccountStatus.CLOSED),
        DenyReason.UNKNOWN_ACTIVITY,
        id="unknown-before-everything",
    ),
    pytest.param(
        "marketing_email",
        _with(minor=True, restricted=True, account=AccountStatus.CLOSED, consents=STALE),
        DenyReason.MINOR,
        id="minor-before-restriction",
    ),
    pytest.param(
        "marketing_email",
        _with(restricted=True, account=AccountStatus.CLOSED, consents=STALE),
        DenyReason.RESTRICTED,
        id="restriction-before-account",
    ),
    pytest.param(
        "marketing_email",
        _with(account=AccountStatus.CLOSED, consents=STALE),
        DenyReason.ACCOUNT_CLOSED,
        id="account-before-consent",
    ),
    pytest.param(
        "marketing_email",
        _objecting("marketing_email", consents=STALE),
        DenyReason.CONSENT_STALE,
        id="consent-before-objection",
    ),
    pytest.param(
        "rights_handling",
        _with(minor=True, restricted=True, account=AccountStatus.CLOSED),
        None,
        id="p22-rights-handling-passes-every-stop",
    ),
]


@pytest.mark.parametrize(("activity", "state", "expected"), PRECEDENCE_CASES)
def test_the_first_failing_check_in_the_documented_order_gives_the_reason(
    activity: str, state: SubjectState, expected: DenyReason | None
) -> None:
    assert _reason(activity, state) is expected


ALL_CASES = [
    *CONSENT_CASES,
    *OBJECTION_CASES,
    *RESTRICTION_CASES,
    *ACCOUNT_CASES,
    *MINOR_CASES,
    *LEGAL_HOLD_CASES,
    *PRECEDENCE_CASES,
]


Case = tuple[str, SubjectState, DenyReason | None]
CASE_VALUES = [cast(Case, case.values) for case in ALL_CASES]


def test_the_tables_reach_every_deny_reason() -> None:
    assert {expected for _, _, expected in CASE_VALUES} == {*DenyReason, None}


@pytest.mark.parametrize("reason", list(DenyReason), ids=str)
def test_every_refusal_names_its_activity_and_reason(reason: DenyReason) -> None:
    activity, state, _ = next(case for case in CASE_VALUES if case[2] is reason)
    decision = GUARD.decide(activity, state, NOW)
    assert decision == Decision(False, activity, reason, decision.detail)
    assert f"'{activity}'" in decision.detail


def test_details_depend_only_on_activity_and_reason_never_on_the_subject() -> None:
    details: dict[tuple[str, DenyReason | None], set[str]] = {}
    for activity, state, _ in CASE_VALUES:
        decision = GUARD.decide(activity, state, NOW)
        details.setdefault((activity, decision.reason), set()).add(decision.detail)
    assert all(len(texts) == 1 for texts in details.values())


def test_allowed_decisions_are_shared_immutable_objects() -> None:
    first = GUARD.decide("account", CUSTOMER, NOW)
    assert first.allowed and first.reason is None and "art. 6(1)(b)" in first.detail
    assert GUARD.decide("account", _with(objections=frozenset({"x"})), NOW) is first
    with pytest.raises(AttributeError):
        first.allowed = False  # type: ignore[misc]  # proving the dataclass is frozen


def test_check_raises_access_denied_carrying_the_decision() -> None:
    with pytest.raises(AccessDenied) as raised:
        GUARD.check("marketing_email", CUSTOMER, NOW)
    assert isinstance(raised.value, DomainError)
    assert raised.value.decision.reason is DenyReason.NO_CONSENT
    assert str(raised.value) == raised.value.decision.detail
    assert GUARD.check("marketing_email", MARKETING_OK, NOW).allowed


def test_module_level_decide_agrees_with_the_guard() -> None:
    for activity, state, _ in CASE_VALUES:
        assert decide(POLICY, activity, state, NOW) == GUARD.decide(activity, state, NOW)


def test_guard_knows_the_activities_of_its_policy() -> None:
    assert "account" in GUARD and "no_such_activity" not in GUARD
    assert GUARD.policy is POLICY


def test_unknown_activity_is_named_in_the_refusal() -> None:
    decision = GUARD.decide("shadow_profiling", CUSTOMER, NOW)
    assert decision.reason is DenyReason.UNKNOWN_ACTIVITY
    assert "'shadow_profiling'" in decision.detail


def test_naive_now_is_a_clear_error() -> None:
    state = _consent("support_login", ConsentState.given(1, NOW, expires_at=NOW))
    with pytest.raises(ValueError, match="timezone-aware"):
        GUARD.decide("support_login", state, datetime(2026, 11, 26, 9, 30))


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: ConsentState.given(0, NOW), id="version-zero"),
        pytest.param(lambda: ConsentState.given(1, datetime(2026, 1, 1)), id="naive-given-at"),
        pytest.param(
            lambda: ConsentState.given(1, NOW, expires_at=datetime(2026, 1, 1)),
            id="naive-expiry",
        ),
        pytest.param(lambda: SubjectState("dormant"), id="unknown-account-status"),  # type: ignore[arg-type]
    ],
)
def test_malformed_subject_state_is_refused_with_a_clear_error(build: Any) -> None:
    with pytest.raises(ValueError, match=r"version|timezone|dormant"):
        build()


def test_subject_state_is_a_snapshot_the_caller_cannot_change() -> None:
    consents = {"marketing_email": ConsentState.given(2, NOW)}
    state = _with(consents=consents)
    consents.clear()
    assert GUARD.decide("marketing_email", state, NOW).allowed
    with pytest.raises(TypeError):
        state.consents["marketing_email"] = ConsentState.given(1, NOW)  # type: ignore[index]


def test_visitor_and_customer_start_with_nothing_given_or_flagged() -> None:
    for state, account in [(VISITOR, AccountStatus.NONE), (CUSTOMER, AccountStatus.ACTIVE)]:
        assert state.account is account
        assert not (state.consents or state.objections or state.compelling_grounds)
        assert not (state.restricted or state.minor or state.legal_hold)


@pytest.mark.parametrize(
    "module", [guard_module, subject_module, errors_module], ids=lambda m: m.__name__
)
def test_public_api_is_exactly_what_all_lists(module: ModuleType) -> None:
    # a public name defined here (class, function, constant) must be exported, and only those
    imported = {"annotations", "TYPE_CHECKING"}
    defined_here = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and name not in imported
        and getattr(value, "__module__", module.__name__) == module.__name__
    }
    assert set(module.__all__) == defined_here
