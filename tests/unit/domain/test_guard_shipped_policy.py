"""The guard over every activity of the shipped Flexibelt policy, in every kind of subject state.

The expected decision is computed here a second time, straight from each activity's declared
fields (legal basis, consent, objection, during_restriction, after_account_closure, data
subjects), without the guard's compiled rules; the two must agree on every pair.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from privaat.domain.guard import DenyReason, Guard
from privaat.domain.subject import AccountStatus, ConsentState, ConsentStatus, SubjectState
from privaat.policy.loader import load_policy_file
from privaat.policy.schema import ProcessingActivity
from privaat.settings import default_policy_file

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
POLICY = load_policy_file(default_policy_file())
GUARD = Guard(POLICY)
ACTIVITIES = {activity.id: activity for activity in POLICY.activities}
EVERY_ID = frozenset(ACTIVITIES)

GIVEN = {
    a.id: ConsentState.given(a.consent.version, NOW - timedelta(days=30))
    for a in POLICY.activities
    if a.consent is not None
}
ALL_CONSENTS = SubjectState(AccountStatus.ACTIVE, consents=GIVEN)
STATES = {
    "visitor": SubjectState.visitor(),
    "visitor-all-consents": replace(SubjectState.visitor(), consents=GIVEN),
    "active-fresh": SubjectState.customer(),
    "active-all-consents": ALL_CONSENTS,
    "withdrawn": replace(ALL_CONSENTS, consents={k: c.withdraw(NOW) for k, c in GIVEN.items()}),
    "stale": replace(
        ALL_CONSENTS, consents={k: replace(c, version=c.version + 1) for k, c in GIVEN.items()}
    ),
    "expired": replace(
        ALL_CONSENTS, consents={k: replace(c, expires_at=NOW) for k, c in GIVEN.items()}
    ),
    "objected": replace(ALL_CONSENTS, objections=EVERY_ID),
    "objected-compelling-grounds": replace(
        ALL_CONSENTS, objections=EVERY_ID, compelling_grounds=EVERY_ID
    ),
    "restricted": replace(ALL_CONSENTS, restricted=True),
    "closed": replace(ALL_CONSENTS, account=AccountStatus.CLOSED),
    "minor": replace(ALL_CONSENTS, minor=True),
    "legal-hold": replace(ALL_CONSENTS, legal_hold=True),
    "closed-legal-hold": replace(ALL_CONSENTS, account=AccountStatus.CLOSED, legal_hold=True),
    "minor-legal-hold": replace(ALL_CONSENTS, minor=True, legal_hold=True),
}


def expected(activity: ProcessingActivity, state: SubjectState) -> DenyReason | None:
    """The decision the activity's declaration calls for, written out plainly."""
    basis = activity.legal_basis.value
    keeps_for_claims = state.legal_hold and activity.during_restriction  # art. 17(3)(e)
    if state.minor:  # P18, L47: only what the law compels, and held legal claims
        compelled = basis == "legal_obligation" and activity.after_account_closure
        if not (compelled or keeps_for_claims):
            return DenyReason.MINOR
    if state.restricted and not activity.during_restriction:  # art. 18(2)
        return DenyReason.RESTRICTED
    if state.account == "closed" and not (activity.after_account_closure or keeps_for_claims):
        return DenyReason.ACCOUNT_CLOSED
    if state.account == "none" and not (
        activity.after_account_closure
        or "dpv:Visitor" in activity.data_subjects
        or "dpv:User" in activity.data_subjects
    ):
        return DenyReason.NO_ACCOUNT
    if basis == "consent":
        assert activity.consent is not None
        consent = state.consents.get(activity.id)
        if consent is None:
            return DenyReason.NO_CONSENT
        if consent.status == ConsentStatus.WITHDRAWN:
            return DenyReason.CONSENT_WITHDRAWN
        if consent.version != activity.consent.version:
            return DenyReason.CONSENT_STALE
        if consent.expires_at is not None and consent.expires_at <= NOW:
            return DenyReason.CONSENT_EXPIRED
    objectable = activity.objection.possible or basis in ("legitimate_interest", "public_task")
    if objectable and activity.id in state.objections:  # art. 21(1), 21(3)
        if activity.objection.absolute or activity.id not in state.compelling_grounds:
            return DenyReason.OBJECTED
    return None


@pytest.mark.parametrize("state_name", list(STATES))
@pytest.mark.parametrize("activity_id", list(ACTIVITIES))
def test_every_shipped_activity_is_decided_as_its_declaration_says(
    activity_id: str, state_name: str
) -> None:
    activity, state = ACTIVITIES[activity_id], STATES[state_name]
    decision = GUARD.decide(activity_id, state, NOW)
    assert decision.activity == activity_id
    assert decision.reason is expected(activity, state)
    assert decision.allowed is (decision.reason is None)


def test_the_matrix_reaches_every_reason_the_shipped_policy_can_give() -> None:
    reasons = {
        GUARD.decide(activity, state, NOW).reason
        for activity in ACTIVITIES
        for state in STATES.values()
    }
    assert reasons >= {None, *DenyReason} - {DenyReason.UNKNOWN_ACTIVITY}


def _reason(activity_id: str, state: SubjectState, now: datetime = NOW) -> DenyReason | None:
    return GUARD.decide(activity_id, state, now).reason


CUSTOMER = SubjectState.customer()
MARKETING = {"marketing_email": GIVEN["marketing_email"]}


def test_p4_l13_marketing_email_needs_consent_also_for_customers() -> None:
    assert _reason("marketing_email", CUSTOMER) is DenyReason.NO_CONSENT
    assert _reason("marketing_email", replace(CUSTOMER, consents=MARKETING)) is None


def test_p4_l11_marketing_email_stops_at_withdrawal_via_any_channel() -> None:
    withdrawn = {"marketing_email": GIVEN["marketing_email"].withdraw(NOW)}
    assert _reason("marketing_email", replace(CUSTOMER, consents=withdrawn)) is (
        DenyReason.CONSENT_WITHDRAWN
    )


def test_l15_marketing_selection_stops_after_objection_even_with_compelling_grounds() -> None:
    assert _reason("marketing_selection", CUSTOMER) is None
    objected = replace(
        CUSTOMER,
        objections=frozenset({"marketing_selection"}),
        compelling_grounds=frozenset({"marketing_selection"}),
    )
    assert _reason("marketing_selection", objected) is DenyReason.OBJECTED


def test_l18_tracking_pixels_need_their_own_consent_not_the_marketing_one() -> None:
    state = replace(CUSTOMER, consents=MARKETING)
    assert _reason("email_engagement", state) is DenyReason.NO_CONSENT


@pytest.mark.parametrize(
    "state",
    [
        pytest.param(STATES["minor"], id="minor"),
        pytest.param(STATES["closed"], id="closed"),
        pytest.param(STATES["visitor"], id="requester-without-account"),
        pytest.param(
            replace(STATES["minor"], account=AccountStatus.CLOSED, restricted=True),
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
    assert _reason("account", STATES["closed"]) is DenyReason.ACCOUNT_CLOSED
    assert _reason("account", STATES["visitor"]) is DenyReason.NO_ACCOUNT
    assert _reason("account", STATES["minor"]) is DenyReason.MINOR


def test_p18_minor_flag_stops_everything_but_what_the_law_compels() -> None:
    allowed = {a for a in ACTIVITIES if GUARD.decide(a, STATES["minor"], NOW).allowed}
    assert {"rights_handling", "minor_protection", "breach_handling"} <= allowed
    assert not allowed & {"account", "marketing_email", "website_analytics", "shop_orders"}
    assert all(ACTIVITIES[a].legal_basis.value == "legal_obligation" for a in allowed)


def test_l34_tax_records_outlive_the_account() -> None:
    assert _reason("tax_records", STATES["closed"]) is None


def test_l29_support_account_access_ends_when_the_grant_expires() -> None:
    consent = ACTIVITIES["support_account_access"].consent
    assert consent is not None and consent.expires_after is not None
    given_at = NOW - timedelta(days=1)
    grant = ConsentState.given(
        consent.version, given_at, expires_at=consent.expires_after.after(given_at)
    )
    state = replace(CUSTOMER, consents={"support_account_access": grant})
    assert _reason("support_account_access", state) is None
    later = consent.expires_after.after(given_at) + timedelta(seconds=1)
    assert _reason("support_account_access", state, later) is DenyReason.CONSENT_EXPIRED


def test_l25_voip_telemetry_stops_at_objection() -> None:
    objected = replace(CUSTOMER, objections=frozenset({"voip_sync_telemetry"}))
    assert _reason("voip_sync_telemetry", objected) is DenyReason.OBJECTED


def test_l39_l44_website_analytics_waits_for_the_visitors_consent() -> None:
    visitor = SubjectState.visitor()
    assert _reason("website_analytics", visitor) is DenyReason.NO_CONSENT
    consented = replace(visitor, consents={"website_analytics": GIVEN["website_analytics"]})
    assert _reason("website_analytics", consented) is None


def test_l38_group_transfer_stops_for_anyone_who_withdraws() -> None:
    withdrawn = {"group_transfer": GIVEN["group_transfer"].withdraw(NOW)}
    assert _reason("group_transfer", replace(CUSTOMER, consents=withdrawn)) is (
        DenyReason.CONSENT_WITHDRAWN
    )


def test_l65_restriction_leaves_only_storage_legal_claims_and_rights() -> None:
    allowed = {a for a in ACTIVITIES if GUARD.decide(a, STATES["restricted"], NOW).allowed}
    assert {"legal_claims", "rights_handling", "tax_records"} <= allowed
    assert all(ACTIVITIES[a].during_restriction for a in allowed)


REPO = Path(__file__).resolve().parents[3]


def test_w5_guard_bench_runs_and_reports_beside_its_baseline() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.guard_bench", "--size", "500"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("guard decisions/s: ")
    assert "| baseline (dict lookup + bool) " in first and first.endswith("x")
    assert "size 500 decisions" in result.stdout


@pytest.mark.parametrize("size", ["0", "many", "-5"])
def test_w5_guard_bench_refuses_a_bad_size_with_a_message(size: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.guard_bench", "--size", size],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "--size" in result.stderr and "Traceback" not in result.stderr
