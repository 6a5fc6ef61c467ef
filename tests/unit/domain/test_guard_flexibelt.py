"""The guard over the shipped Flexibelt policy: named cases, each with the decision the law asks.

Every expectation here is written out by hand for one person in one situation; the
invariants that must hold for every state are in ``test_guard_invariants.py``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from privaat.domain.guard import DenyReason, Guard, is_direct_marketing
from privaat.domain.subject import DIRECT_MARKETING, AccountStatus, ConsentState, SubjectState
from privaat.policy.loader import load_policy_file
from privaat.policy.schema import LegalBasis, consent_text_sha256
from privaat.settings import default_policy_file

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
MONTH_AGO = NOW - timedelta(days=30)
POLICY = load_policy_file(default_policy_file())
GUARD = Guard(POLICY)
CUSTOMER = SubjectState.customer()


def _shown(activity: str, language: str = "en") -> str:
    """The hash of the request text ``activity`` shows now in ``language``."""
    consent = POLICY.activity(activity).consent
    assert consent is not None
    return consent_text_sha256(consent.request.in_language(language))


def _given(*activities: str, state: SubjectState = CUSTOMER) -> SubjectState:
    consents = {aid: ConsentState.given(_shown(aid), MONTH_AGO) for aid in activities}
    return replace(state, consents={**state.consents, **consents})


def _reason(activity: str, state: SubjectState, now: datetime = NOW) -> DenyReason | None:
    return GUARD.decide(activity, state, now).reason


OPTED_IN = _given("marketing_email")
ALL_CONSENTS = _given(*(a.id for a in POLICY.activities if a.consent is not None))


# --- direct marketing: art. 21(2)-(3), LEGAL L13, L15, L85 -------------------------------


def test_p4_l13_marketing_email_needs_consent_also_for_customers() -> None:
    assert _reason("marketing_email", CUSTOMER) is DenyReason.NO_CONSENT
    assert _reason("marketing_email", OPTED_IN) is None


def test_p4_l11_marketing_email_stops_at_withdrawal() -> None:
    withdrawn = {"marketing_email": OPTED_IN.consents["marketing_email"].withdraw(NOW)}
    assert _reason("marketing_email", replace(OPTED_IN, consents=withdrawn)) is (
        DenyReason.CONSENT_WITHDRAWN
    )


def test_l15_objection_to_marketing_selection_stops_marketing_email() -> None:
    objected = replace(OPTED_IN, objections=frozenset({"marketing_selection"}))
    assert _reason("marketing_email", objected) is DenyReason.OBJECTED


def test_l15_art21_2_objection_recorded_on_marketing_email_stops_it_despite_its_consent() -> None:
    # the policy offers no objection on the consent-based sending; art. 21(2) gives it anyway
    assert not POLICY.activity("marketing_email").objection.possible
    objected = replace(OPTED_IN, objections=frozenset({"marketing_email"}))
    assert _reason("marketing_email", objected) is DenyReason.OBJECTED
    assert _reason("marketing_selection", objected) is DenyReason.OBJECTED


def test_l15_marketing_selection_stops_after_objection_even_with_compelling_grounds() -> None:
    assert _reason("marketing_selection", OPTED_IN) is None
    objected = replace(
        OPTED_IN,
        objections=frozenset({"marketing_selection"}),
        compelling_grounds=frozenset({"marketing_selection", "marketing_email"}),
    )
    assert _reason("marketing_selection", objected) is DenyReason.OBJECTED
    assert _reason("marketing_email", objected) is DenyReason.OBJECTED


def test_l85_one_objection_to_direct_marketing_stops_sending_selection_and_tracking() -> None:
    marketing = {a.id for a in POLICY.activities if is_direct_marketing(a)}
    assert {"marketing_email", "marketing_selection", "email_engagement"} <= marketing
    objected = replace(ALL_CONSENTS, objections=frozenset({DIRECT_MARKETING}))
    for activity in marketing:
        assert _reason(activity, ALL_CONSENTS) is None, activity
        assert _reason(activity, objected) is DenyReason.OBJECTED, activity
    # the objection is to marketing, not to the relationship
    for activity in ("account", "important_notices", "voip_sync_telemetry", "login_security"):
        assert _reason(activity, objected) is None, activity


def test_l4_security_notices_reach_a_customer_who_objected_to_all_marketing() -> None:
    objected = replace(CUSTOMER, objections=frozenset({DIRECT_MARKETING, "marketing_email"}))
    assert _reason("important_notices", objected) is None


def test_l13_marketing_selection_passes_over_a_fresh_customer_without_marketing_consent() -> None:
    assert _reason("marketing_selection", CUSTOMER) is DenyReason.REQUIRED_CONSENT_MISSING


def test_l13_l11_marketing_selection_stops_when_the_marketing_consent_is_withdrawn() -> None:
    withdrawn = {"marketing_email": OPTED_IN.consents["marketing_email"].withdraw(NOW)}
    assert _reason("marketing_selection", replace(OPTED_IN, consents=withdrawn)) is (
        DenyReason.REQUIRED_CONSENT_MISSING
    )


def test_l18_tracking_pixels_need_their_own_consent_not_the_marketing_one() -> None:
    assert _reason("email_engagement", OPTED_IN) is DenyReason.NO_CONSENT
    assert _reason("email_engagement", _given("email_engagement", state=OPTED_IN)) is None


# --- consent proven against the text shown: art. 7(1), LEGAL L50, L86 ----------------------


CONSENT_BASED = [a.id for a in POLICY.activities if a.legal_basis is LegalBasis.CONSENT]


@pytest.mark.parametrize("activity", CONSENT_BASED)
@pytest.mark.parametrize("language", ["nl", "en"])
def test_l86_consent_given_for_the_text_shown_in_either_language_counts(
    activity: str, language: str
) -> None:
    state = replace(
        CUSTOMER, consents={activity: ConsentState.given(_shown(activity, language), NOW)}
    )
    assert _reason(activity, state) is None


@pytest.mark.parametrize("activity", CONSENT_BASED)
def test_l50_l86_consent_for_any_other_text_is_stale(activity: str) -> None:
    consent = POLICY.activity(activity).consent
    assert consent is not None
    others = [
        consent_text_sha256(POLICY.activity(activity).name.en),  # its title is no request
        consent_text_sha256(consent.request.en + " "),  # one space more is another text
        *(_shown(other) for other in CONSENT_BASED if other != activity),
    ]
    for text_sha256 in others:
        state = replace(CUSTOMER, consents={activity: ConsentState.given(text_sha256, NOW)})
        assert _reason(activity, state) is DenyReason.CONSENT_STALE


# --- objections no ground overrides, and those it may: art. 21(1), LEGAL L26, L67 ----------


def test_l26_a_callers_refusal_of_call_recording_is_final_whatever_the_grounds() -> None:
    refused = replace(
        CUSTOMER,
        objections=frozenset({"call_recording"}),
        compelling_grounds=frozenset({"call_recording"}),
    )
    assert not POLICY.activity("call_recording").objection.overridable
    assert _reason("call_recording", refused) is DenyReason.OBJECTED
    assert _reason("support_desk", refused) is None  # declining the recording, not the help


def test_l67_compelling_grounds_override_an_objection_to_fraud_detection() -> None:
    objected = replace(CUSTOMER, objections=frozenset({"fraud_detection"}))
    assert _reason("fraud_detection", objected) is DenyReason.OBJECTED
    grounds = replace(objected, compelling_grounds=frozenset({"fraud_detection"}))
    assert _reason("fraud_detection", grounds) is None


def test_l25_voip_telemetry_stops_at_objection() -> None:
    objected = replace(CUSTOMER, objections=frozenset({"voip_sync_telemetry"}))
    assert _reason("voip_sync_telemetry", objected) is DenyReason.OBJECTED


# --- the staff-access log: LEGAL L29, art. 5(2), 32 ---------------------------------------


def _grant(given_at: datetime) -> ConsentState:
    consent = POLICY.activity("support_account_access").consent
    assert consent is not None and consent.expires_after is not None
    expires_at = consent.expires_after.after(given_at)
    return ConsentState.given(_shown("support_account_access"), given_at, expires_at=expires_at)


def test_l29_withdrawing_support_access_ends_it_but_never_hides_the_access_log() -> None:
    log = POLICY.activity("security_logging")
    assert "support_access_records" in log.data_categories
    assert log.legal_basis is not LegalBasis.CONSENT  # accountability does not hang on the grant
    granted = replace(CUSTOMER, consents={"support_account_access": _grant(MONTH_AGO)})
    assert _reason("support_account_access", granted, MONTH_AGO + timedelta(days=1)) is None
    withdrawn = replace(
        CUSTOMER, consents={"support_account_access": _grant(MONTH_AGO).withdraw(NOW)}
    )
    assert _reason("support_account_access", withdrawn) is DenyReason.CONSENT_WITHDRAWN
    assert _reason("security_logging", withdrawn) is None
    assert _reason("security_logging", replace(withdrawn, restricted=True)) is None


def test_l29_support_account_access_ends_when_the_grant_expires() -> None:
    grant = _grant(NOW - timedelta(days=1))
    state = replace(CUSTOMER, consents={"support_account_access": grant})
    assert _reason("support_account_access", state) is None
    assert grant.expires_at is not None
    later = grant.expires_at + timedelta(seconds=1)
    assert _reason("support_account_access", state, later) is DenyReason.CONSENT_EXPIRED


# --- restriction and its scope: art. 18, LEGAL L65, L87 ------------------------------------


def test_l87_contesting_the_phone_number_does_not_lock_the_customer_out() -> None:
    contested = replace(ALL_CONSENTS, restricted_categories=frozenset({"phone_number"}))
    uses_phone = {a.id for a in POLICY.activities if "phone_number" in a.data_categories}
    # these use the phone number among other data: they go on, and the enforcement seam
    # withholds the phone number column (tests/integration/test_scoped_restriction.py)
    for activity in ("account", "call_recording", "shop_orders"):
        assert activity in uses_phone
        assert _reason(activity, contested) is None, activity
    for activity in ("login_security", "security_logging", "important_notices", "support_linking"):
        assert _reason(activity, contested) is None, activity


def test_l87_an_activity_whose_every_category_is_contested_stops() -> None:
    recording = POLICY.activity("call_recording")
    contested = replace(ALL_CONSENTS, restricted_categories=frozenset(recording.data_categories))
    assert _reason("call_recording", contested) is DenyReason.RESTRICTED
    assert _reason("rights_handling", contested) is None  # during_restriction


def test_l87_restricting_one_activity_leaves_the_rest_of_the_relationship() -> None:
    contested = replace(CUSTOMER, restricted_activities=frozenset({"fraud_detection"}))
    assert _reason("fraud_detection", contested) is DenyReason.RESTRICTED
    assert _reason("account", contested) is None
    assert _reason("shop_orders", contested) is None


def test_l65_whole_restriction_leaves_only_storage_legal_claims_and_rights() -> None:
    restricted = replace(ALL_CONSENTS, restricted=True)
    allowed = {a.id for a in POLICY.activities if GUARD.decide(a.id, restricted, NOW).allowed}
    assert {"legal_claims", "rights_handling", "tax_records", "security_logging"} <= allowed
    assert all(POLICY.activity(a).during_restriction for a in allowed)


# --- account, minors, legal obligations: P1, P18, P20, P22, LEGAL L34, L47, L52 -----------


@pytest.mark.parametrize(
    "state",
    [
        pytest.param(replace(ALL_CONSENTS, minor=True), id="minor"),
        pytest.param(replace(ALL_CONSENTS, account=AccountStatus.CLOSED), id="closed"),
        pytest.param(SubjectState.visitor(), id="requester-without-account"),
        pytest.param(
            replace(ALL_CONSENTS, minor=True, account=AccountStatus.CLOSED, restricted=True),
            id="minor-closed-restricted",
        ),
    ],
)
def test_p22_l47_rights_handling_continues_for_minors_closed_accounts_and_requesters(
    state: SubjectState,
) -> None:
    assert GUARD.check("rights_handling", state, NOW).allowed


def test_p1_p20_account_runs_while_active_and_stops_at_closure() -> None:
    assert _reason("account", CUSTOMER) is None
    assert _reason("account", replace(CUSTOMER, account=AccountStatus.CLOSED)) is (
        DenyReason.ACCOUNT_CLOSED
    )
    assert _reason("account", SubjectState.visitor()) is DenyReason.NO_ACCOUNT
    assert _reason("account", replace(CUSTOMER, minor=True)) is DenyReason.MINOR


def test_p18_minor_flag_stops_everything_but_what_the_law_compels() -> None:
    minor = replace(ALL_CONSENTS, minor=True)
    allowed = {a.id for a in POLICY.activities if GUARD.decide(a.id, minor, NOW).allowed}
    assert {"rights_handling", "minor_protection", "breach_handling"} <= allowed
    assert not allowed & {"account", "marketing_email", "website_analytics", "shop_orders"}
    # what the law compels, and the protection of the child itself (art. 8; not a legal
    # obligation, so the policy says it continues)
    assert all(
        POLICY.activity(a).legal_basis is LegalBasis.LEGAL_OBLIGATION
        or POLICY.activity(a).continues_for_minors
        for a in allowed
    )
    assert {a for a in allowed if POLICY.activity(a).continues_for_minors} == {"minor_protection"}


def test_l34_tax_records_outlive_the_account() -> None:
    assert _reason("tax_records", replace(CUSTOMER, account=AccountStatus.CLOSED)) is None


def test_l39_l44_website_analytics_waits_for_the_visitors_consent() -> None:
    visitor = SubjectState.visitor()
    assert _reason("website_analytics", visitor) is DenyReason.NO_CONSENT
    assert _reason("website_analytics", _given("website_analytics", state=visitor)) is None


def test_l38_group_transfer_stops_for_anyone_who_withdraws() -> None:
    withdrawn = {"group_transfer": ALL_CONSENTS.consents["group_transfer"].withdraw(NOW)}
    assert _reason("group_transfer", replace(ALL_CONSENTS, consents=withdrawn)) is (
        DenyReason.CONSENT_WITHDRAWN
    )
