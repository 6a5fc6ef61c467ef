"""The shipped policy, policies/flexibelt.yaml: valid, complete, and as strict as the law."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from privaat.policy.loader import load_policy_file
from privaat.policy.period import Period
from privaat.policy.schema import (
    Channel,
    DataSource,
    DpiaCriterion,
    LegalBasis,
    Policy,
    PolicyBlock,
    RecipientRole,
    RetentionStart,
    Safeguard,
    StorageKind,
)
from privaat.policy.vocab import EEA_COUNTRIES
from privaat.render.readability import BANNED_FIRST_LAYER, check, count_words, split_sentences

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


def test_p14_only_strictly_necessary_first_party_cookies_are_set_without_consent(
    policy: Policy,
) -> None:
    # Tw 11.7a(3)(b): without consent only what the service asked for needs: the customer's
    # session, form and language cookies, and the staff's console session
    without_consent = [
        a for a in policy.activities if a.cookies and a.legal_basis is not LegalBasis.CONSENT
    ]
    assert [a.id for a in without_consent] == ["essential_cookies", "staff_accounts"]
    assert all(c.first_party for a in without_consent for c in a.cookies)
    assert [c.name for c in policy.activity("staff_accounts").cookies] == ["privaat_console"]


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


# --- issue 9 item 1: the corrections of the legal review, point by point -------------------


def test_l37_p16_google_analytics_goes_to_google_llc_on_the_dpf_with_sccs_behind_it(
    policy: Policy,
) -> None:
    (transfer,) = policy.activity("website_analytics").transfers

    assert (transfer.recipient, transfer.country) == ("google_analytics", "US")
    assert transfer.safeguard is Safeguard.DATA_PRIVACY_FRAMEWORK
    assert transfer.fallback is Safeguard.SCC
    assert transfer.importer == "Google LLC"
    # the recipient's own text no longer says the DPF is not relied on
    assert "Data Privacy Framework is not relied on" not in SHIPPED.read_text("utf-8")


@pytest.mark.parametrize(
    ("activity_id", "channel"),
    [
        pytest.param("essential_cookies", Channel.BROWSER_SETTINGS, id="l88-p14-essential-cookies"),
        pytest.param(
            "datacenter_login_location", Channel.ACCOUNT_PREFERENCES, id="l88-p9-login-location"
        ),
    ],
)
def test_l88_cookies_and_login_location_rest_on_a_legitimate_interest_open_to_objection(
    policy: Policy, activity_id: str, channel: Channel
) -> None:
    activity = policy.activity(activity_id)

    assert activity.legal_basis is LegalBasis.LEGITIMATE_INTEREST
    assert activity.legitimate_interest is not None and activity.lia is not None
    assert activity.objection.possible
    assert channel in activity.objection.channels


def test_p18_l47_minor_protection_is_no_legal_obligation_and_goes_on_for_a_minor(
    policy: Policy,
) -> None:
    minors = policy.activity("minor_protection")

    # art. 8 sets the age for consent; it imposes no duty to process (review, issue 9)
    assert minors.legal_basis is LegalBasis.LEGITIMATE_INTEREST
    assert minors.lia is not None and minors.objection.possible
    assert minors.continues_for_minors
    assert [a.id for a in policy.activities if a.continues_for_minors] == ["minor_protection"]


def test_p18_l46_the_minors_text_says_30_days_and_the_optional_birth_date(policy: Policy) -> None:
    minors = policy.activity("minor_protection")

    assert "binnen 30 dagen" in minors.description.nl
    assert "geboortedatum" in minors.description.nl
    # the age confirmation lives as long as the account, then 30 days
    assert minors.retention.starts is RetentionStart.ACCOUNT_CLOSURE
    assert minors.retention.period.days == 30


def test_l46_the_stored_optional_birth_date_is_disclosed(policy: Policy) -> None:
    # accounts.birth_date_enc belongs to minor_protection / age_confirmation
    category = policy.category("age_confirmation")

    assert "geboortedatum" in category.name.nl and "date of birth" in category.name.en
    assert category.fides == "user.demographic.date_of_birth"
    assert "age_confirmation" in policy.activity("minor_protection").data_categories
    assert "geboortedatum" in policy.activity("account").description.nl


def test_p12_l36_disclosures_keep_only_the_log_for_five_years(policy: Policy) -> None:
    disclosures = policy.activity("disclosures")

    assert disclosures.retention.period.years == 5
    assert disclosures.retention.applies_to == ("disclosure_records",)
    assert policy.category("disclosure_records").name.nl.startswith("Verstrekkingslog")


def test_p12_the_disclosures_text_no_longer_says_only_internally(policy: Policy) -> None:
    disclosures = policy.activity("disclosures")

    assert "alleen intern" not in disclosures.description.nl
    assert "only internally" not in disclosures.description.en
    assert disclosures.recipients  # recipients are named, so "only internally" was untrue
    assert disclosures.notes is not None and "P12" in disclosures.notes


def test_l34_tax_records_run_seven_years_from_the_end_of_the_financial_year(
    policy: Policy,
) -> None:
    retention = policy.activity("tax_records").retention
    holds = [
        hold
        for activity_id in ("account", "shop_orders")
        for hold in policy.activity(activity_id).retention.legal_holds
    ]

    assert retention.starts is RetentionStart.EVENT and retention.period.years == 7
    assert retention.event is not None
    assert retention.event.nl == "het einde van het boekjaar van de factuur"
    assert holds
    for hold in holds:
        assert hold.period.years == 7
        assert "einde van het boekjaar van de factuur" in hold.ground.nl
        assert "end of the financial year" in hold.ground.en


def test_p14_the_cookies_the_privaat_app_sets_are_listed_with_their_lifetimes(
    policy: Policy,
) -> None:
    cookies = {c.name: c for c in policy.activity("essential_cookies").cookies}

    assert set(cookies) == {"privaat_session", "privaat_csrf", "privaat_lang", "privaat_visitor"}
    assert cookies["privaat_session"].lifetime == Period.parse("P7D")
    # the cookie banner's visitor id keeps the cookie choice: strictly necessary (L42)
    assert cookies["privaat_visitor"].lifetime == Period.parse("P6M")
    assert cookies["privaat_csrf"].lifetime is None  # ends with the browser session
    assert cookies["privaat_lang"].lifetime == Period.parse("P1Y")
    assert all(c.first_party for c in cookies.values())


def test_p14_p16_p17_every_third_party_cookie_has_a_lifetime_and_a_known_party(
    policy: Policy,
) -> None:
    third_party = [(a, c) for a in policy.activities for c in a.cookies if c.recipient is not None]

    assert {c.name for _, c in third_party} >= {"_ga", "fr", "NID"}
    for activity, cookie in third_party:
        assert cookie.recipient in activity.recipients, cookie.name
        if cookie.kind is StorageKind.COOKIE:
            assert cookie.lifetime is not None, cookie.name


def test_l84_l22_a_call_detail_records_activity_limits_the_pbxs_traffic_data(
    policy: Policy,
) -> None:
    cdr = policy.activity("call_detail_records")

    assert policy.policy.public_electronic_communications_service
    assert cdr.situation == "using_services"
    assert "call_detail_records" in cdr.data_categories
    assert policy.category("call_detail_records").dpv == "pd:CallLog"
    # Tw 11.5(2): until the bill can no longer be disputed, counted from the invoice
    assert cdr.retention.starts is RetentionStart.EVENT
    assert cdr.retention.period == Period.parse("P2M")
    assert DpiaCriterion.COMMUNICATION_DATA in cdr.dpia.criteria
    assert "call_recordings" not in cdr.data_categories  # traffic data, never the content


@pytest.mark.parametrize(
    ("activity_id", "criteria"),
    [
        pytest.param(
            "fraud_detection",
            {DpiaCriterion.FRAUD_PREVENTION, DpiaCriterion.PROFILING},
            id="l89-fraud",
        ),
        pytest.param("call_recording", {DpiaCriterion.COMMUNICATION_DATA}, id="l89-recording"),
        pytest.param("call_detail_records", {DpiaCriterion.COMMUNICATION_DATA}, id="l89-cdr"),
        pytest.param(
            "datacenter_login_location", {DpiaCriterion.LOCATION_DATA}, id="l89-login-location"
        ),
        pytest.param(
            "device_precise_location", {DpiaCriterion.LOCATION_DATA}, id="l89-precise-location"
        ),
        pytest.param(
            "marketing_selection", {DpiaCriterion.PROFILING}, id="l89-marketing-profiling"
        ),
        pytest.param("website_analytics", {DpiaCriterion.PROFILING}, id="l89-analytics"),
        pytest.param("staff_accounts", {DpiaCriterion.EMPLOYEE_MONITORING}, id="l89-staff"),
    ],
)
def test_l89_l75_dpia_screening_meets_the_aps_list_where_it_should(
    policy: Policy, activity_id: str, criteria: set[DpiaCriterion]
) -> None:
    dpia = policy.activity(activity_id).dpia

    assert criteria <= set(dpia.criteria)
    assert dpia.reference is not None and dpia.reference.startswith("DPIA-2026-")


def test_l89_every_activity_is_screened_with_an_outcome(policy: Policy) -> None:
    for activity in policy.activities:
        assert activity.dpia.outcome is not None, activity.id


def test_l89_every_activity_processing_location_is_screened_for_it(policy: Policy) -> None:
    for activity in policy.activities:
        if {"coarse_location", "precise_location"} & set(activity.data_categories):
            assert DpiaCriterion.LOCATION_DATA in activity.dpia.criteria, activity.id


def test_l80_profiling_is_named_where_it_happens(policy: Policy) -> None:
    profiling = {a.id for a in policy.activities if a.uses_profiling}

    assert profiling == {"fraud_detection", "marketing_selection", "website_analytics"}
    for activity_id in profiling:
        assert DpiaCriterion.PROFILING in policy.activity(activity_id).dpia.criteria


def test_l75_every_legitimate_interest_row_names_its_own_lia(policy: Policy) -> None:
    li = [a for a in policy.activities if a.legal_basis is LegalBasis.LEGITIMATE_INTEREST]
    references = [a.lia for a in li]

    assert all(ref is not None and ref.startswith("LIA-2026-") for ref in references)
    assert len(set(references)) == len(li)  # one assessment per purpose
    assert not [a.id for a in policy.activities if a.lia and a not in li]


def test_l73_every_activity_has_its_own_security_and_a_third_person_description(
    policy: Policy,
) -> None:
    measures = [a.security for a in policy.activities]

    assert all(m is not None for m in measures)
    assert len({m.nl for m in measures if m}) == len(measures)  # no paragraph repeated
    for activity in policy.activities:
        description = activity.register_description
        assert description is not None, activity.id
        # the register speaks of "the customer", never to "you"
        assert not re.search(r"\b(u|uw|we)\b", description.nl), activity.id
        assert not re.search(r"\b(you|your|we)\b", description.en, re.I), activity.id


def test_l19_every_processors_art_28_agreement_is_named(policy: Policy) -> None:
    for recipient in policy.recipients:
        if recipient.role is RecipientRole.PROCESSOR:
            assert recipient.agreement and len(recipient.agreement) > 10, recipient.id


def test_l82_social_plugin_networks_are_joint_controllers_with_their_arrangement(
    policy: Policy,
) -> None:
    for recipient_id in ("meta", "google_accounts"):
        recipient = policy.recipient(recipient_id)
        assert recipient.role is RecipientRole.JOINT_CONTROLLER
        assert recipient.arrangement is not None
        assert "samen verantwoordelijk" in recipient.arrangement.nl
        assert "alleen verantwoordelijk" in recipient.arrangement.nl  # for what follows
    assert set(policy.activity("social_plugins").recipients) == {"meta", "google_accounts"}


def test_l83_flexibelt_is_a_processor_for_hosted_content(policy: Policy) -> None:
    role = policy.processor_role

    assert role is not None
    for word in ("websites", "mailboxen", "bestanden", "voicemail", "verwerkersovereenkomst"):
        assert word in role.nl
    assert "privacyverklaring gaat daar niet over" in role.nl


def test_l81_the_dpo_statement_says_none_is_appointed_and_why(policy: Policy) -> None:
    officer = policy.data_protection_officer

    assert officer is not None and not officer.appointed
    assert "artikel 37" in officer.assessment.nl and "art. 37" in officer.assessment.en
    assert "verkeersgegevens" in officer.assessment.nl  # WP243: telephony is monitoring


# art. 13(2)(e): where the person provides the data, the statement says what is required
def test_l79_every_activity_where_the_person_provides_data_states_the_requirement(
    policy: Policy,
) -> None:
    for activity in policy.activities:
        if DataSource.DATA_SUBJECT in activity.sources:
            assert activity.requirement is not None, activity.id


def test_l79_p1_the_account_requires_name_and_e_mail_and_nothing_more(policy: Policy) -> None:
    requirement = policy.activity("account").requirement

    assert requirement is not None
    assert "Naam, e-mailadres en wachtwoord zijn nodig" in requirement.nl
    assert "vrijwillig" in requirement.nl


def test_just_in_time_notices_are_given_where_data_is_collected(policy: Policy) -> None:
    noticed = {a.id for a in policy.activities if a.notice is not None}

    assert noticed == {
        "account",
        "marketing_email",
        "shop_orders",
        "call_recording",
        "support_account_access",
    }
    for activity_id in noticed:
        notice = policy.activity(activity_id).notice
        assert notice is not None and count_words(notice.nl) <= 30, activity_id


def test_what_may_surprise_a_reader_is_one_sentence_on_four_to_six_activities(
    policy: Policy,
) -> None:
    surprising = {a.id: a.surprise for a in policy.activities if a.surprise is not None}

    assert 4 <= len(surprising) <= 6
    assert {"call_recording", "fraud_detection", "support_account_access"} <= set(surprising)
    for activity_id, surprise in surprising.items():
        assert len(split_sentences(surprise.nl)) == 1, activity_id
        assert len(split_sentences(surprise.en)) == 1, activity_id


def test_p13_inside_the_eea_no_safeguard_is_needed_and_consent_and_contracts_are_kept(
    policy: Policy,
) -> None:
    group = policy.activity("group_transfer")

    assert "Binnen de EER is daarvoor geen extra bescherming nodig" in group.description.nl
    assert group.legal_basis is LegalBasis.CONSENT
    assert policy.recipient("flexibelt_group").agreement is not None
    assert group.notes is not None and "P13" in group.notes


def test_p17_flexibelt_receives_no_analytics_from_networks_and_adds_no_contacts(
    policy: Policy,
) -> None:
    plugins = policy.activity("social_plugins")

    assert "We krijgen geen statistieken van sociale netwerken" in plugins.description.nl
    assert plugins.notes is not None and "P17" in plugins.notes
    assert "add friends as contacts" in plugins.notes


def _deviating_activities() -> set[str]:
    """Activities whose YAML block, or the comment above it, cites a LEGAL L-id."""
    lines = SHIPPED.read_text("utf-8").splitlines()
    activities = lines[lines.index("activities:") + 1 :]
    deviating: set[str] = set()
    above: list[str] = []  # the comment lines between two activities
    current: str | None = None
    for line in activities:
        start = re.match(r"  - id: (\w+)$", line)
        if start:
            current = start.group(1)
            if any(re.search(r"\bL\d+\b", comment) for comment in above):
                deviating.add(current)
            above = []
        elif line.startswith("  #"):
            above.append(line)
        elif current is not None and re.search(r"#.*\bL\d+\b", line):
            deviating.add(current)
    return deviating


def test_every_deviation_from_the_seed_is_copied_into_the_registers_notes(
    policy: Policy,
) -> None:
    deviating = _deviating_activities()

    # the activities the review corrected are among them, whatever their comments say
    assert deviating >= {"essential_cookies", "website_analytics", "social_plugins"}
    for activity_id in deviating | {"minor_protection", "disclosures", "call_detail_records"}:
        notes = policy.activity(activity_id).notes
        assert notes is not None and len(notes) > 40, activity_id


def test_every_public_dutch_text_is_b1(policy: Policy) -> None:
    texts = [
        (f"{a.id}.{field}", getattr(a, field))
        for a in policy.activities
        for field in (
            "name",
            "description",
            "notice",
            "surprise",
            "requirement",
            "profiling",
            "legitimate_interest",
        )
    ]
    texts += [(f"{a.id}.objection.note", a.objection.note) for a in policy.activities]
    texts += [(f"situation {s.id}", s.title) for s in policy.situations]
    texts += [(f"recipient {r.id}", r.description) for r in policy.recipients]
    texts += [(f"cookie {c.name}", c.purpose) for a in policy.activities for c in a.cookies]
    problems = [
        f"{where}: {finding}"
        for where, text in texts
        if text is not None
        for finding in check(text.nl, banned=BANNED_FIRST_LAYER)
    ]

    assert problems == []


def test_descriptions_are_short_and_name_no_page_toggle_or_link(policy: Policy) -> None:
    # channels are rendered only when the running system offers them (docs/statement.md)
    named = re.compile(
        r"afmeldlink|cookie-instellingen|voorkeuren (van|in) uw account|zet .* uit|"
        r"unsubscribe link|cookie settings|account preferences",
        re.I,
    )
    for activity in policy.activities:
        for text in (activity.description.nl, activity.description.en):
            assert count_words(text) <= 60, activity.id
            assert not named.search(text), activity.id


def test_no_p_or_l_id_appears_in_a_public_text(policy: Policy) -> None:
    public = [
        *(r.description for r in policy.recipients),
        *(a.description for a in policy.activities),
        *(t for a in policy.activities for t in (a.notice, a.requirement, a.surprise) if t),
    ]
    for text in public:
        assert not re.search(r"\b[PL]\d+\b", text.nl + text.en), text.nl
