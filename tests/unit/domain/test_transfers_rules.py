"""may_transfer over the shipped Flexibelt policy (P13, LEGAL L37, L38): the EEA and
Switzerland pass, elsewhere only a recorded art. 45/46 basis, and a group company only with
the person's explicit consent, which a withdrawal ends at once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from privaat.domain.guard import Guard
from privaat.domain.subject import ConsentState, SubjectState
from privaat.domain.transfers import TransferReason, consent_activities_for, may_transfer
from privaat.policy.loader import load_policy_file
from privaat.policy.schema import consent_text_sha256
from privaat.settings import default_policy_file

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
POLICY = load_policy_file(default_policy_file())
GUARD = Guard(POLICY)
CUSTOMER = SubjectState.customer()


def _with_group_consent(*, withdrawn: bool = False) -> SubjectState:
    consent = POLICY.activity("group_transfer").consent
    assert consent is not None
    state = ConsentState.given(
        consent_text_sha256(consent.request.in_language("en")), NOW - timedelta(days=3)
    )
    if withdrawn:
        state = state.withdraw(NOW - timedelta(hours=1))
    return replace(CUSTOMER, consents={"group_transfer": state})


@pytest.mark.parametrize(
    ("recipient", "country", "basis"),
    [
        pytest.param("police_and_justice", "NL", "eea", id="netherlands"),
        pytest.param("police_and_justice", "de", "eea", id="eea-lower-case"),
        pytest.param("courts", "CH", "adequacy", id="switzerland-2000-518"),
        pytest.param("google_analytics", "US", "dpf", id="recorded-dpf-for-us"),
    ],
)
def test_l37_the_eea_switzerland_and_a_recorded_basis_pass(
    recipient: str, country: str, basis: str
) -> None:
    decision = may_transfer(POLICY, recipient, country, CUSTOMER, now=NOW, guard=GUARD)
    assert (decision.allowed, decision.basis) == (True, basis)


@pytest.mark.parametrize(
    ("recipient", "country"),
    [
        pytest.param("police_and_justice", "CN", id="unlisted-country"),
        pytest.param("police_and_justice", "US", id="us-without-a-recorded-basis"),
        pytest.param("google_analytics", "IN", id="basis-for-another-country"),
    ],
)
def test_l37_a_transfer_to_an_unlisted_country_is_refused_naming_country_and_recipient(
    recipient: str, country: str
) -> None:
    decision = may_transfer(POLICY, recipient, country, CUSTOMER, now=NOW, guard=GUARD)
    assert decision.allowed is False
    assert decision.reason is TransferReason.NO_TRANSFER_BASIS
    assert country in decision.detail and repr(recipient) in decision.detail


def test_a_recipient_outside_the_catalogue_is_refused() -> None:
    decision = may_transfer(POLICY, "nsa", "NL", CUSTOMER, now=NOW)
    assert (decision.allowed, decision.reason) == (False, TransferReason.UNKNOWN_RECIPIENT)


def test_p13_the_group_company_is_carried_by_the_consent_of_group_transfer() -> None:
    assert consent_activities_for(POLICY, "flexibelt_group") == ("group_transfer",)


def test_p13_l38_a_group_transfer_needs_consent_and_stops_after_withdrawal() -> None:
    def decide(state: SubjectState | None) -> TransferReason | None:
        return may_transfer(POLICY, "flexibelt_group", "NL", state, now=NOW, guard=GUARD).reason

    assert decide(None) is TransferReason.NO_GROUP_CONSENT
    assert decide(CUSTOMER) is TransferReason.NO_GROUP_CONSENT
    assert decide(_with_group_consent()) is None
    assert decide(_with_group_consent(withdrawn=True)) is TransferReason.NO_GROUP_CONSENT
