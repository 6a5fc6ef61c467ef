"""The guard, rule by rule, over a small policy built here; the shipped policy has its own file."""

from __future__ import annotations

import ast
import hashlib
import inspect
from copy import deepcopy
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any, cast

import pytest

from privaat.domain import errors as errors_module
from privaat.domain import guard as guard_module
from privaat.domain import subject as subject_module
from privaat.domain.errors import AccessDenied, DomainError
from privaat.domain.guard import (
    Decision,
    DenyReason,
    Guard,
    decide,
    is_direct_marketing,
    objection_applies,
)
from privaat.domain.subject import (
    DIRECT_MARKETING,
    AccountStatus,
    ConsentState,
    ConsentStatus,
    SubjectState,
)
from privaat.policy.schema import Policy, ProcessingActivity, consent_text_sha256

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
TEXT = {"nl": "tekst", "en": "text"}


def _activity(
    aid: str,
    basis: str,
    *,
    objection: bool = False,
    absolute: bool = False,
    overridable: bool = True,
    purposes: tuple[str, ...] = ("dpv:ServiceProvision",),
    categories: tuple[str, ...] = ("email_address",),
    subjects: tuple[str, ...] = ("dpv:Customer",),
    **flags: Any,
) -> dict[str, Any]:
    activity: dict[str, Any] = {
        "id": aid,
        "name": TEXT,
        "description": TEXT,
        "promises": ["P1"],
        "purposes": list(purposes),
        "data_categories": list(categories),
        "data_subjects": list(subjects),
        "legal_basis": basis,
        "retention": {"starts": "collection", "period": "P1Y"},
        "sources": ["data_subject"],
        "objection": {"possible": objection, "absolute": absolute, "overridable": overridable},
        **flags,
    }
    if basis == "legitimate_interest":
        activity["legitimate_interest"] = TEXT
    if basis == "consent":
        activity["consent"] = {
            # each purpose asks with its own words (L9), so each has its own text hashes
            "request": {"nl": f"Ja, {aid}.", "en": f"Yes, {aid}."},
            "channels": ["account_preferences"],
        }
    return activity


MARKETING = ("dpv:DirectMarketing",)
ADDRESS = {"street": "Oosterheemplein 2a", "postal_code": "2721 NA", "city": "Zoetermeer"}
POLICY_DATA: dict[str, Any] = {
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
        _activity("account", "contract", categories=("email_address", "phone_number")),  # P1
        _activity("marketing_email", "consent", purposes=MARKETING),  # P4, L13
        _activity(  # L13, L17: selects among those who opted in to marketing_email
            "marketing_selection",
            "legitimate_interest",
            objection=True,
            absolute=True,
            purposes=MARKETING,
            requires_consent_of=["marketing_email"],
        ),
        _activity(  # P6, L25: the user of a customer's phone need not hold the account
            "device_sync",
            "legitimate_interest",
            objection=True,
            categories=("device_information",),
            subjects=("dpv:Customer", "dpv:User"),
        ),
        _activity("security_notices", "legitimate_interest"),  # P3: policy offers no objection
        _activity(  # P7, L26: a caller's refusal of recording is final
            "call_recording",
            "legitimate_interest",
            objection=True,
            overridable=False,
            categories=("phone_number", "call_recordings"),
        ),
        _activity("support_login", "consent", objection=True),  # P7, L29: time-limited grant
        _activity(  # P22: rights requests, also the erasure itself
            "rights_handling",
            "legal_obligation",
            categories=("email_address", "phone_number"),
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
POLICY = Policy.model_validate(POLICY_DATA)
GUARD = Guard(POLICY)


def _shown(activity: str, language: str = "en") -> str:
    """The hash of the consent text the activity shows now, as the consent log records it."""
    consent = POLICY.activity(activity).consent
    assert consent is not None
    return consent_text_sha256(consent.request.in_language(language))


HOUR = timedelta(hours=1)
OLD_TEXT = consent_text_sha256("Yes, send me news.")  # a text the policy no longer shows


CUSTOMER = SubjectState.customer()
MARKETING_OK = replace(
    CUSTOMER, consents={"marketing_email": ConsentState.given(_shown("marketing_email"), NOW)}
)


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
SUPPORT = _shown("support_login")
CONSENT_CASES = [
    pytest.param("marketing_email", CUSTOMER, DenyReason.NO_CONSENT, id="l8-never-given"),
    pytest.param("marketing_email", MARKETING_OK, None, id="p4-given-for-the-text-shown"),
    pytest.param(
        "marketing_email",
        _consent("marketing_email", ConsentState.given(_shown("marketing_email", "nl"), NOW)),
        None,
        id="l86-given-for-the-dutch-text",
    ),
    pytest.param(
        "marketing_email",
        _consent(
            "marketing_email", ConsentState.given(_shown("marketing_email"), YEAR_AGO).withdraw(NOW)
        ),
        DenyReason.CONSENT_WITHDRAWN,
        id="p4-withdrawn",
    ),
    pytest.param(
        "marketing_email",
        _consent("marketing_email", ConsentState.given(OLD_TEXT, YEAR_AGO)),
        DenyReason.CONSENT_STALE,
        id="l50-l86-given-for-a-text-no-longer-shown",
    ),
    pytest.param(
        "marketing_email",
        _consent("marketing_email", ConsentState.given(_shown("web_analytics"), YEAR_AGO)),
        DenyReason.CONSENT_STALE,
        id="l9-l86-another-purposes-text-is-not-this-one",
    ),
    pytest.param(
        "marketing_email",
        _consent("web_analytics", ConsentState.given(_shown("web_analytics"), YEAR_AGO)),
        DenyReason.NO_CONSENT,
        id="l9-consent-for-another-purpose-does-not-count",
    ),
    pytest.param(
        "support_login",
        _consent("support_login", ConsentState.given(SUPPORT, NOW, expires_at=NOW + HOUR)),
        None,
        id="l29-grant-still-running",
    ),
    pytest.param(
        "support_login",
        _consent("support_login", ConsentState.given(SUPPORT, YEAR_AGO, expires_at=NOW)),
        DenyReason.CONSENT_EXPIRED,
        id="l29-grant-expires-at-this-moment",
    ),
    pytest.param(
        "support_login",
        _consent("support_login", ConsentState.given(SUPPORT, YEAR_AGO, expires_at=YEAR_AGO)),
        DenyReason.CONSENT_EXPIRED,
        id="l29-grant-expired",
    ),
    pytest.param(
        "support_login",
        _consent(
            "support_login",
            ConsentState.given(SUPPORT, YEAR_AGO, expires_at=NOW + 24 * HOUR).withdraw(NOW),
        ),
        DenyReason.CONSENT_WITHDRAWN,
        id="l29-grant-revoked-before-expiry",
    ),
]


@pytest.mark.parametrize(("activity", "state", "expected"), CONSENT_CASES)
def test_art7_p4_l50_l86_l29_consent_must_be_given_for_the_text_shown_and_unexpired(
    activity: str, state: SubjectState, expected: DenyReason | None
) -> None:
    assert _reason(activity, state) is expected


def test_l86_art7_1_a_changed_text_in_one_language_stales_only_consents_given_in_it() -> None:
    data = deepcopy(POLICY_DATA)
    data["activities"][1]["consent"]["request"]["en"] = "Yes, send me offers."
    reworded = Guard(Policy.model_validate(data))
    dutch = _consent("marketing_email", ConsentState.given(_shown("marketing_email", "nl"), NOW))
    assert reworded.decide("marketing_email", dutch, NOW).allowed
    assert reworded.decide("marketing_email", MARKETING_OK, NOW).reason is DenyReason.CONSENT_STALE


def test_l86_the_guard_no_longer_compares_consent_versions() -> None:
    data = deepcopy(POLICY_DATA)
    data["activities"][1]["consent"]["version"] = 7  # the diff reads it; the guard does not
    assert Guard(Policy.model_validate(data)).decide("marketing_email", MARKETING_OK, NOW).allowed


def test_l11_withdrawn_consent_is_not_replaced_by_another_basis() -> None:
    withdrawn = ConsentState.given(_shown("marketing_email"), YEAR_AGO).withdraw(NOW)
    # compelling grounds belong to legitimate interest; they cannot revive a withdrawn consent
    state = _with(
        consents={"marketing_email": withdrawn},
        compelling_grounds=frozenset({"marketing_email"}),
        legal_hold=True,
    )
    assert _reason("marketing_email", state) is DenyReason.CONSENT_WITHDRAWN
    assert withdrawn.status is ConsentStatus.WITHDRAWN


MARKETING_GIVEN = ConsentState.given(_shown("marketing_email"), YEAR_AGO)
REQUIRED_CASES = [
    pytest.param(
        "marketing_selection",
        CUSTOMER,
        DenyReason.REQUIRED_CONSENT_MISSING,
        id="l13-fresh-customer-is-not-selected",
    ),
    pytest.param("marketing_selection", MARKETING_OK, None, id="l13-selected-among-the-opted-in"),
    pytest.param(
        "marketing_selection",
        _consent("marketing_email", MARKETING_GIVEN.withdraw(NOW)),
        DenyReason.REQUIRED_CONSENT_MISSING,
        id="l11-withdrawn-marketing-consent-ends-selection",
    ),
    pytest.param(
        "marketing_selection",
        _consent("marketing_email", ConsentState.given(OLD_TEXT, YEAR_AGO)),
        DenyReason.REQUIRED_CONSENT_MISSING,
        id="l86-stale-marketing-consent-ends-selection",
    ),
    pytest.param(
        "marketing_selection",
        _consent("marketing_email", replace(MARKETING_GIVEN, expires_at=NOW)),
        DenyReason.REQUIRED_CONSENT_MISSING,
        id="l29-expired-consent-ends-selection",
    ),
    pytest.param(
        "marketing_selection",
        _consent("web_analytics", ConsentState.given(_shown("web_analytics"), NOW)),
        DenyReason.REQUIRED_CONSENT_MISSING,
        id="l9-another-consent-does-not-stand-in",
    ),
]


@pytest.mark.parametrize(("activity", "state", "expected"), REQUIRED_CASES)
def test_l13_marketing_selection_runs_only_among_people_with_a_live_marketing_consent(
    activity: str, state: SubjectState, expected: DenyReason | None
) -> None:
    assert _reason(activity, state) is expected


def test_l13_the_refusal_names_the_consent_it_needs() -> None:
    decision = GUARD.decide("marketing_selection", CUSTOMER, NOW)
    assert "'marketing_email'" in decision.detail and "'marketing_selection'" in decision.detail


@pytest.mark.parametrize(
    ("required", "message"),
    [
        pytest.param("no_such_activity", "does not declare", id="unknown-activity"),
        pytest.param("device_sync", "not based on consent", id="not-consent-based"),
    ],
)
def test_l13_a_required_consent_the_guard_cannot_enforce_is_refused_at_compile_time(
    required: str, message: str
) -> None:
    data = deepcopy(POLICY_DATA)
    data["activities"][2]["requires_consent_of"] = [required]
    with pytest.raises(ValueError, match=message):
        Guard(Policy.model_validate(data))


def test_l85_an_activity_named_like_the_general_marketing_objection_must_be_marketing() -> None:
    data = deepcopy(POLICY_DATA)
    data["activities"].append(_activity(DIRECT_MARKETING, "contract"))
    with pytest.raises(ValueError, match="direct-marketing purpose"):
        Guard(Policy.model_validate(data))


def _objecting(*activities: str, grounds: tuple[str, ...] = (), **changes: Any) -> SubjectState:
    return _with(objections=frozenset(activities), compelling_grounds=frozenset(grounds), **changes)


OPTED_IN = MARKETING_OK.consents
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
        _objecting("marketing_selection", consents=OPTED_IN),
        DenyReason.OBJECTED,
        id="l15-objection-to-targeting",
    ),
    pytest.param(
        "marketing_selection",
        _objecting("marketing_selection", grounds=("marketing_selection",), consents=OPTED_IN),
        DenyReason.OBJECTED,
        id="l15-absolute-objection-ignores-compelling-grounds",
    ),
    pytest.param(
        "marketing_email",
        _objecting("marketing_email", consents=OPTED_IN),
        DenyReason.OBJECTED,
        id="l15-objection-to-direct-marketing-beats-a-valid-consent",
    ),
    pytest.param(
        "marketing_email",
        _objecting("marketing_selection", consents=OPTED_IN),
        DenyReason.OBJECTED,
        id="l85-objection-to-selection-stops-the-sending",
    ),
    pytest.param(
        "marketing_selection",
        _objecting("marketing_email", consents=OPTED_IN),
        DenyReason.OBJECTED,
        id="l85-objection-to-sending-stops-the-selection",
    ),
    pytest.param(
        "marketing_email",
        _objecting(DIRECT_MARKETING, consents=OPTED_IN),
        DenyReason.OBJECTED,
        id="l15-objection-to-all-direct-marketing",
    ),
    pytest.param(
        "marketing_email",
        _objecting(
            "marketing_selection",
            grounds=("marketing_email", "marketing_selection"),
            consents=OPTED_IN,
        ),
        DenyReason.OBJECTED,
        id="art21-3-no-grounds-override-a-marketing-objection",
    ),
    pytest.param(
        "device_sync",
        _objecting(DIRECT_MARKETING, "marketing_email"),
        None,
        id="l85-a-marketing-objection-leaves-other-processing-alone",
    ),
    pytest.param(
        "call_recording",
        _objecting("call_recording"),
        DenyReason.OBJECTED,
        id="l26-caller-declines-recording",
    ),
    pytest.param(
        "call_recording",
        _objecting("call_recording", grounds=("call_recording",)),
        DenyReason.OBJECTED,
        id="l26-a-final-objection-ignores-compelling-grounds",
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
def test_art21_l15_l25_l26_l67_l85_objection_stops_processing_unless_grounds_may_override(
    activity: str, state: SubjectState, expected: DenyReason | None
) -> None:
    assert _reason(activity, state) is expected


@pytest.mark.parametrize("activity", POLICY.activities, ids=lambda a: a.id)
def test_l67_objection_applies_says_exactly_when_an_objection_stops_the_activity(
    activity: ProcessingActivity,
) -> None:
    # the service layer reads objections only where objection_applies: it must not miss one
    consents = {
        a.id: ConsentState.given(_shown(a.id), NOW)
        for a in POLICY.activities
        if a.consent is not None
    }
    state = _objecting(activity.id, consents=consents)
    assert GUARD.decide(activity.id, replace(state, objections=frozenset()), NOW).allowed
    denied = GUARD.decide(activity.id, state, NOW).reason is DenyReason.OBJECTED
    assert denied is objection_applies(activity)
    assert (activity.id in GUARD.objections_read(activity.id)) is denied


def test_l85_direct_marketing_is_every_activity_with_a_dpv_marketing_purpose() -> None:
    marketing = {a.id for a in POLICY.activities if is_direct_marketing(a)}
    assert marketing == {"marketing_email", "marketing_selection"}
    assert GUARD.objections_read("marketing_email") == {DIRECT_MARKETING, *marketing}
    assert GUARD.objections_read("device_sync") == {"device_sync"}
    assert GUARD.objections_read("account") == frozenset()


def test_the_guard_names_the_consents_it_reads_so_services_load_no_more() -> None:
    assert GUARD.consents_read("marketing_selection") == {"marketing_email"}
    assert GUARD.consents_read("marketing_email") == {"marketing_email"}
    assert GUARD.consents_read("account") == frozenset()


def test_art21_objected_details_cite_the_article_that_makes_them_final_or_not() -> None:
    marketing = GUARD.decide(
        "marketing_email", _objecting(DIRECT_MARKETING, consents=OPTED_IN), NOW
    )
    relative = GUARD.decide("device_sync", _objecting("device_sync"), NOW)
    final = GUARD.decide("call_recording", _objecting("call_recording"), NOW)
    assert "art. 21(2)-(3)" in marketing.detail
    assert "art. 21(1)" in relative.detail and "compelling" in relative.detail
    assert "no compelling grounds override" in final.detail


RESTRICTED = _with(restricted=True)
PHONE_CONTESTED = _with(restricted_categories=frozenset({"phone_number"}))
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
    # the account goes on without the phone number: the seam withholds that column
    pytest.param("account", PHONE_CONTESTED, None, id="l87-account-goes-on-without-the-data"),
    pytest.param(
        "call_recording",
        _with(
            restricted_categories=frozenset(GUARD.policy.activity("call_recording").data_categories)
        ),
        DenyReason.RESTRICTED,
        id="l87-an-activity-with-all-its-data-contested-stops",
    ),
    pytest.param("device_sync", PHONE_CONTESTED, None, id="l87-other-data-is-not-restricted"),
    pytest.param("security_notices", PHONE_CONTESTED, None, id="l87-notices-still-reach-them"),
    pytest.param(
        "rights_handling", PHONE_CONTESTED, None, id="l87-during-restriction-uses-it-anyway"
    ),
    pytest.param(
        "device_sync",
        _with(restricted_activities=frozenset({"device_sync"})),
        DenyReason.RESTRICTED,
        id="l87-contested-processing-stops",
    ),
    pytest.param(
        "account",
        _with(restricted_activities=frozenset({"device_sync"})),
        None,
        id="l87-the-rest-of-the-relationship-goes-on",
    ),
    pytest.param(
        "fraud_detection",
        _with(restricted_activities=frozenset({"fraud_detection"})),
        None,
        id="l87-a-during-restriction-activity-continues-even-when-named",
    ),
]


@pytest.mark.parametrize(("activity", "state", "expected"), RESTRICTION_CASES)
def test_art18_l65_l87_restriction_stops_what_is_in_its_scope_except_during_restriction(
    activity: str, state: SubjectState, expected: DenyReason | None
) -> None:
    assert _reason(activity, state) is expected


CLOSED = _with(account=AccountStatus.CLOSED)
VISITOR = SubjectState.visitor()
ANALYTICS = ConsentState.given(_shown("web_analytics"), NOW)
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
        _consent("web_analytics", ANALYTICS, VISITOR),
        None,
        id="p14-visitor-with-cookie-consent",
    ),
    pytest.param("web_analytics", VISITOR, DenyReason.NO_CONSENT, id="l39-visitor-without-consent"),
    pytest.param(
        "web_analytics",
        _consent("web_analytics", ANALYTICS, CLOSED),
        DenyReason.ACCOUNT_CLOSED,
        id="l52-closed-account-is-not-a-visitor",
    ),
]


@pytest.mark.parametrize(("activity", "state", "expected"), ACCOUNT_CASES)
def test_p20_l52_account_status_limits_activities(
    activity: str, state: SubjectState, expected: DenyReason | None
) -> None:
    assert _reason(activity, state) is expected


MINOR = _with(minor=True, consents=OPTED_IN)
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
def test_art17_3_e_legal_hold_keeps_legal_claims_within_reach_and_grants_nothing_else(
    activity: str, state: SubjectState, expected: DenyReason | None
) -> None:
    assert _reason(activity, state) is expected


STALE = {"marketing_email": ConsentState.given(OLD_TEXT, YEAR_AGO)}
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
        "marketing_selection",
        _objecting("marketing_selection", consents=STALE),
        DenyReason.REQUIRED_CONSENT_MISSING,
        id="required-consent-before-objection",
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
    *REQUIRED_CASES,
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


def test_one_off_decide_compiles_the_policy_and_answers() -> None:
    assert decide(POLICY, "marketing_email", CUSTOMER, NOW).reason is DenyReason.NO_CONSENT
    assert decide(POLICY, "marketing_email", MARKETING_OK, NOW).allowed


def test_guard_knows_the_activities_of_its_policy() -> None:
    assert "account" in GUARD and "no_such_activity" not in GUARD
    assert GUARD.policy is POLICY


def test_unknown_activity_is_named_in_the_refusal() -> None:
    decision = GUARD.decide("shadow_profiling", CUSTOMER, NOW)
    assert decision.reason is DenyReason.UNKNOWN_ACTIVITY
    assert "'shadow_profiling'" in decision.detail


def test_naive_now_is_a_clear_error() -> None:
    state = _consent("support_login", ConsentState.given(SUPPORT, NOW, expires_at=NOW))
    with pytest.raises(ValueError, match="timezone-aware"):
        GUARD.decide("support_login", state, datetime(2026, 11, 26, 9, 30))


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: ConsentState.given("v1", NOW), id="not-a-sha256"),
        pytest.param(lambda: ConsentState.given(SUPPORT.upper(), NOW), id="upper-case-hex"),
        pytest.param(lambda: ConsentState.given(SUPPORT, datetime(2026, 1, 1)), id="naive-given"),
        pytest.param(
            lambda: ConsentState.given(SUPPORT, NOW, expires_at=datetime(2026, 1, 1)),
            id="naive-expiry",
        ),
        pytest.param(lambda: SubjectState("dormant"), id="unknown-account-status"),  # type: ignore[arg-type]
    ],
)
def test_malformed_subject_state_is_refused_with_a_clear_error(build: Any) -> None:
    with pytest.raises(ValueError, match=r"SHA-256|timezone|dormant"):
        build()


def test_l7_consent_text_hash_is_the_hex_sha256_of_the_utf8_text() -> None:
    # the consent log and the guard must hash alike: one function, known vectors
    assert consent_text_sha256("") == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert consent_text_sha256("é") == hashlib.sha256("é".encode()).hexdigest()
    consent = POLICY.activity("marketing_email").consent
    assert consent is not None
    assert consent.text_hashes() == {_shown("marketing_email", "nl"), _shown("marketing_email")}


def test_subject_state_is_a_snapshot_the_caller_cannot_change() -> None:
    consents = {"marketing_email": ConsentState.given(_shown("marketing_email"), NOW)}
    activities = {"account"}
    state = _with(consents=consents, restricted_activities=activities)
    consents.clear()
    activities.clear()
    assert GUARD.decide("marketing_email", state, NOW).allowed
    assert GUARD.decide("account", state, NOW).reason is DenyReason.RESTRICTED
    with pytest.raises(TypeError):
        state.consents["marketing_email"] = ConsentState.given(SUPPORT, NOW)  # type: ignore[index]


def test_visitor_and_customer_start_with_nothing_given_or_flagged() -> None:
    for state, account in [(VISITOR, AccountStatus.NONE), (CUSTOMER, AccountStatus.ACTIVE)]:
        assert state.account is account
        assert not (state.consents or state.objections or state.compelling_grounds)
        assert not (state.restricted or state.restricted_activities or state.restricted_categories)
        assert not (state.minor or state.legal_hold)


@pytest.mark.parametrize(
    "module", [guard_module, subject_module, errors_module], ids=lambda m: m.__name__
)
def test_public_api_is_exactly_what_all_lists(module: ModuleType) -> None:
    # a public name defined here (class, function, constant) must be exported, and only those
    tree = ast.parse(inspect.getsource(module))
    imported = {
        (alias.asname or alias.name).split(".")[0]
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    defined_here = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and name not in imported
        and name != "TYPE_CHECKING"
        and getattr(value, "__module__", module.__name__) == module.__name__
    }
    assert set(module.__all__) == defined_here
