"""The shipped policy, policies/flexibelt.yaml: valid, complete, and as strict as the law."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from privaat.policy.loader import load_policy_file
from privaat.policy.schema import (
    Channel,
    LegalBasis,
    Policy,
    PolicyBlock,
    RecipientRole,
    RetentionStart,
    Safeguard,
)
from privaat.policy.vocab import EEA_COUNTRIES

SHIPPED = Path(__file__).resolve().parents[3] / "policies" / "flexibelt.yaml"


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy_file(SHIPPED)


def test_the_shipped_policy_loads_without_a_single_problem(policy: Policy) -> None:
    assert policy.policy.id == "flexibelt"
    assert len(policy.activities) >= 18


def test_the_files_promise_catalogue_is_p1_to_p22_of_promises_md(policy: Policy) -> None:
    assert [p.id for p in policy.promises] == [f"P{n}" for n in range(1, 23)]


def test_every_promise_is_kept_by_an_activity_or_by_its_policy_block(policy: Policy) -> None:
    named = {p for activity in policy.activities for p in activity.promises}
    met_by = {p.id: p.met_by for p in policy.promises if p.met_by is not None}

    # P21 is the controller block, P19 the dated policy itself (also named by the notices)
    assert met_by == {"P19": PolicyBlock.LAST_UPDATED, "P21": PolicyBlock.CONTROLLER}
    assert {p.id for p in policy.promises} - named == {"P21"}


def test_p21_the_controller_is_flexibelt_in_zoetermeer(policy: Policy) -> None:
    controller = policy.controller

    assert (controller.name, controller.email) == ("Flexibelt", "euprivacy@flexibelt.nl")
    assert (controller.address.street, controller.address.postal_code) == (
        "Oosterheemplein 2a",
        "2721 NA",
    )
    assert controller.address.city == "Zoetermeer"


def test_p22_requests_go_to_the_privacy_address_and_complaints_to_the_ap(policy: Policy) -> None:
    assert policy.privacy_contact.email == "euprivacy@flexibelt.nl"
    assert policy.supervisory_authority.name == "Autoriteit Persoonsgegevens"
    assert policy.supervisory_authority.address is not None
    assert policy.supervisory_authority.address.street == "Postbus 93374"


def test_every_consent_based_activity_can_be_withdrawn_through_a_channel(policy: Policy) -> None:
    consent_based = [a for a in policy.activities if a.legal_basis is LegalBasis.CONSENT]

    assert consent_based
    for activity in consent_based:
        assert activity.consent is not None, activity.id
        assert activity.consent.channels, activity.id


def test_every_legitimate_interest_activity_states_it_and_allows_objection(
    policy: Policy,
) -> None:
    li = [a for a in policy.activities if a.legal_basis is LegalBasis.LEGITIMATE_INTEREST]

    assert li
    for activity in li:
        assert activity.legitimate_interest is not None, activity.id
        assert activity.objection.possible and activity.objection.channels, activity.id


@pytest.mark.parametrize(
    "activity_id",
    [
        pytest.param("email_engagement", id="l18-pixels-and-click-tracking"),
        pytest.param("website_analytics", id="l39-l44-google-analytics"),
        pytest.param("social_plugins", id="l45-social-buttons"),
        pytest.param("group_transfer", id="l38-intra-group-transfer"),
        pytest.param("marketing_email", id="l13-marketing-opt-in"),
        pytest.param("support_account_access", id="l29-staff-login"),
        pytest.param("device_precise_location", id="l21-precise-location"),
    ],
)
def test_where_the_law_is_stricter_than_the_seed_the_activity_is_consent_based(
    policy: Policy, activity_id: str
) -> None:
    assert policy.activity(activity_id).legal_basis is LegalBasis.CONSENT


def test_p4_marketing_consent_is_withdrawn_in_preferences_or_by_unsubscribe_link(
    policy: Policy,
) -> None:
    consent = policy.activity("marketing_email").consent

    assert consent is not None
    assert set(consent.channels) >= {
        Channel.ACCOUNT_PREFERENCES,
        Channel.UNSUBSCRIBE_LINK,
    }


def test_l15_objection_to_marketing_selection_is_absolute(policy: Policy) -> None:
    selection = policy.activity("marketing_selection")

    assert selection.legal_basis is LegalBasis.LEGITIMATE_INTEREST
    assert selection.objection.possible and selection.objection.absolute


def test_l17_marketing_selection_holds_no_raw_ip_address(policy: Policy) -> None:
    assert "ip_address" not in policy.activity("marketing_selection").data_categories


def test_l29_a_support_access_grant_expires(policy: Policy) -> None:
    consent = policy.activity("support_account_access").consent

    assert consent is not None and consent.expires_after is not None
    assert Channel.SUPPORT_ACCESS_PAGE in consent.channels


def test_l31_no_card_data_category_exists(policy: Policy) -> None:
    assert not any("PaymentCard" in c.dpv or "CreditCard" in c.dpv for c in policy.data_categories)
    assert not any(c.fides == "user.financial.credit_card" for c in policy.data_categories)


def test_p8_sisow_and_paypal_handle_card_data_as_independent_controllers(policy: Policy) -> None:
    shop = policy.activity("shop_orders")

    for psp in ("sisow", "paypal"):
        assert psp in shop.recipients
        assert policy.recipient(psp).role is RecipientRole.CONTROLLER


def test_l32_fraud_detection_decides_nothing_automatically(policy: Policy) -> None:
    assert policy.activity("fraud_detection").automated_decision is False


def test_l33_carriers_get_only_name_and_address(policy: Policy) -> None:
    assert set(policy.activity("shipping").data_categories) == {"name", "postal_address"}


def test_l34_invoices_are_held_seven_years_also_after_closure(policy: Policy) -> None:
    tax = policy.activity("tax_records")
    holds = policy.activity("shop_orders").retention.legal_holds

    assert tax.legal_basis is LegalBasis.LEGAL_OBLIGATION
    assert tax.after_account_closure and tax.during_restriction
    assert tax.retention.period.years == 7
    assert any(h.period.years == 7 and "invoices" in h.categories for h in holds)


def test_p20_l52_account_data_goes_within_days_of_closing_the_account(policy: Policy) -> None:
    retention = policy.activity("account").retention

    assert retention.starts is RetentionStart.ACCOUNT_CLOSURE
    assert retention.period.approx_days() <= 30


@pytest.mark.parametrize(
    ("activity_id", "max_days"),
    [
        pytest.param("voip_sync_telemetry", 90, id="l51-telemetry"),
        pytest.param("call_recording", 30, id="l28-recordings"),
        pytest.param("security_logging", 365, id="l53-security-logs"),
        pytest.param("datacenter_login_location", 365, id="l35-login-location"),
        pytest.param("app_hosting_analytics", 365, id="l51-app-analytics"),
    ],
)
def test_logs_recordings_and_telemetry_have_their_own_shorter_retention(
    policy: Policy, activity_id: str, max_days: int
) -> None:
    retention = policy.activity(activity_id).retention

    assert retention.starts is RetentionStart.COLLECTION
    assert retention.period.approx_days() <= max_days


@pytest.mark.parametrize(
    "activity_id", ["voip_sync_telemetry", "security_logging", "datacenter_login_location"]
)
def test_l23_full_ip_addresses_are_truncated_after_the_troubleshooting_window(
    policy: Policy, activity_id: str
) -> None:
    retention = policy.activity(activity_id).retention

    steps = [m for m in retention.minimise if "ip_address" in m.categories]
    assert steps and steps[0].after.approx_days() < retention.period.approx_days()


def test_l21_telemetry_uses_coarse_location_and_precise_location_needs_consent(
    policy: Policy,
) -> None:
    telemetry = policy.activity("voip_sync_telemetry")

    assert "precise_location" not in telemetry.data_categories
    assert "coarse_location" in telemetry.data_categories
    for activity in policy.activities:
        if "precise_location" in activity.data_categories:
            assert activity.legal_basis is LegalBasis.CONSENT, activity.id


def test_l24_app_analytics_sends_nothing_to_third_parties(policy: Policy) -> None:
    analytics = policy.activity("app_hosting_analytics")

    assert analytics.recipients == ()
    assert "online_identifiers" not in analytics.data_categories


def test_l37_nothing_leaves_the_eea_without_an_art_45_46_safeguard(policy: Policy) -> None:
    transfers = [t for a in policy.activities for t in a.transfers]

    assert transfers  # Google Analytics' US sub-processing is listed, not hidden
    for transfer in transfers:
        assert transfer.country not in EEA_COUNTRIES
        assert transfer.safeguard in {
            Safeguard.ADEQUACY,
            Safeguard.DATA_PRIVACY_FRAMEWORK,
            Safeguard.SCC,
            Safeguard.BCR,
        }
    for recipient in policy.recipients:
        if recipient.country is not None:
            assert recipient.country in EEA_COUNTRIES, recipient.id


def test_l19_every_processor_has_country_safeguard_and_agreement(policy: Policy) -> None:
    processors = [r for r in policy.recipients if r.role is RecipientRole.PROCESSOR]

    assert {r.id for r in processors} >= {"email_service", "google_analytics"}
    for processor in processors:
        assert processor.country and processor.safeguard and processor.agreement, processor.id


def test_l70_the_pbx_is_treated_as_a_public_electronic_communications_service(
    policy: Policy,
) -> None:
    assert policy.policy.public_electronic_communications_service is True


def test_only_essential_cookies_are_set_without_consent(policy: Policy) -> None:
    without_consent = [
        a.id for a in policy.activities if a.cookies and a.legal_basis is not LegalBasis.CONSENT
    ]

    assert without_consent == ["essential_cookies"]


@pytest.mark.parametrize(
    "activity_id",
    ["rights_handling", "breach_handling", "disclosures", "legal_claims", "tax_records"],
)
def test_art18_what_must_survive_restriction_and_closure_does(
    policy: Policy, activity_id: str
) -> None:
    activity = policy.activity(activity_id)

    assert activity.during_restriction and activity.after_account_closure


def test_marketing_stops_with_the_account_and_under_restriction(policy: Policy) -> None:
    for activity_id in ("marketing_email", "marketing_selection", "email_engagement"):
        activity = policy.activity(activity_id)
        assert not activity.during_restriction and not activity.after_account_closure


def test_every_legal_deviation_from_the_seed_is_commented_with_its_l_id() -> None:
    text = SHIPPED.read_text("utf-8")
    comments = "\n".join(line for line in text.splitlines() if "#" in line)

    for l_id in ("L13", "L15", "L18", "L21", "L23", "L34", "L37", "L38", "L39", "L44", "L45"):
        assert re.search(rf"\b{l_id}\b", comments), l_id


def test_every_text_is_published_in_dutch_and_english(policy: Policy) -> None:
    for activity in policy.activities:
        for text in (activity.name, activity.description):
            assert text.nl.strip() and text.en.strip(), activity.id
            assert text.nl != text.en, activity.id
