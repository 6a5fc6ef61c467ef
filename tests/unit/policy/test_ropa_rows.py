"""The art. 30(1) register as data: one row per activity, every required field filled (L73)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

import privaat.i18n  # noqa: F401  (puts the .po catalogues in use: the register's words are there)
from privaat.policy.dpv_words import data_subject_words, has_plain_words, purpose_words
from privaat.policy.loader import load_policy_file
from privaat.policy.period import Period
from privaat.policy.ropa import (
    ART_30_1_FIELDS,
    SECURITY_MEASURES,
    RopaRow,
    in_third_country,
    ropa_header,
    ropa_rows,
)
from privaat.policy.schema import DpiaCriterion, LegalBasis, Policy, Retention
from privaat.policy.wording import (
    DPIA_CRITERION_WORDS,
    RetentionPhrases,
    dpia_criterion_words,
    legal_basis_words,
    period_in_words,
    retention_in_words,
)
from privaat.settings import default_policy_file


@pytest.fixture(scope="module")
def shipped() -> Policy:
    return load_policy_file(default_policy_file())


def _small(**activity_changes: Any) -> Policy:
    """Three activities: an account kept after closure with a tax hold (``activity_changes``
    change it), US analytics with a processor and a joint controller, and a disclosure log."""
    account: dict[str, Any] = {
        "id": "account",
        "name": {"nl": "Account", "en": "Account"},
        "description": {"nl": "Uw account.", "en": "Your account."},
        "promises": ["P1", "P20"],
        "purposes": ["dpv:AccountManagement"],
        "data_categories": ["name", "invoice"],
        "data_subjects": ["dpv:Customer"],
        "legal_basis": "contract",
        "retention": {
            "starts": "account_closure",
            "period": "P30D",
            "legal_holds": [
                {
                    "period": "P7Y",
                    "ground": {"nl": "fiscale bewaarplicht", "en": "tax retention duty"},
                    "categories": ["invoice"],
                }
            ],
        },
        "sources": ["data_subject"],
        "objection": {"possible": False},
        **activity_changes,
    }
    analytics: dict[str, Any] = {
        "id": "analytics",
        "name": {"nl": "Statistieken", "en": "Statistics"},
        "description": {"nl": "Bezoekstatistieken.", "en": "Visit statistics."},
        "register_description": {
            "nl": "De verwerkingsverantwoordelijke telt de bezoeken van de bezoeker.",
            "en": "The controller counts the visitor's visits.",
        },
        "profiling": {"nl": "Interesses geschat.", "en": "Interests are estimated."},
        "lia": "LIA-2026-03",
        "security": {"nl": "IP-adres ingekort.", "en": "IP address truncated."},
        "dpia": {
            "criteria": ["profiling", "location_data"],
            "reference": "DPIA-2026-01",
            "outcome": {"nl": "Restrisico laag.", "en": "Residual risk low."},
        },
        "notes": "Opt-in instead of the seed's opt-out (L39).",
        "promises": ["P16"],
        "purposes": ["dpv:ServiceUsageAnalytics"],
        "data_categories": ["ip_address"],
        "data_subjects": ["dpv:Visitor"],
        "legal_basis": "legitimate_interest",
        "legitimate_interest": {"nl": "Onze site verbeteren.", "en": "Improving our site."},
        "retention": {
            "starts": "collection",
            "period": "P12M",
            "minimise": [
                {
                    "after": "P30D",
                    "categories": ["ip_address"],
                    "method": {"nl": "IP-adres ingekort tot /24", "en": "IP truncated to /24"},
                }
            ],
        },
        "sources": ["observed"],
        "recipients": ["analytics_vendor", "network"],
        "transfers": [
            {"recipient": "analytics_vendor", "country": "US", "safeguard": "scc"},
            {
                "recipient": "analytics_vendor",
                "country": "US",
                "safeguard": "dpf",
                "importer": "Stats LLC",
                "fallback": "scc",
            },
        ],
        "objection": {"possible": True, "channels": ["privacy_email"]},
    }
    disclosures: dict[str, Any] = {
        "id": "disclosures",
        "name": {"nl": "Verstrekking", "en": "Disclosure"},
        "description": {"nl": "Op bevel.", "en": "On an order."},
        "purposes": ["dpv:LegalCompliance"],
        "data_categories": ["disclosure_log", "name", "ip_address"],
        "data_subjects": ["dpv:Customer"],
        "legal_basis": "legal_obligation",
        "retention": {"starts": "collection", "period": "P5Y", "applies_to": ["disclosure_log"]},
        "sources": ["derived"],
        "objection": {"possible": False},
    }
    return Policy.model_validate(
        {
            "policy": {"id": "example", "version": 2, "last_updated": "2026-11-26"},
            "controller": {
                "name": "Voorbeeld B.V.",
                "address": {
                    "street": "Dorpsstraat 1",
                    "postal_code": "1234 AB",
                    "city": "Utrecht",
                    "country": "NL",
                },
                "email": "info@voorbeeld.nl",
                "chamber_of_commerce": "12345678",
            },
            "privacy_contact": {
                "name": {"nl": "Privacyteam", "en": "Privacy team"},
                "email": "privacy@voorbeeld.nl",
            },
            "data_protection_officer": {
                "appointed": False,
                "assessment": {"nl": "Niet verplicht.", "en": "Not required."},
            },
            "processor_role": {
                "nl": "Voor gehoste inhoud is Voorbeeld verwerker.",
                "en": "For hosted content Voorbeeld is a processor.",
            },
            "supervisory_authority": {
                "name": "Autoriteit Persoonsgegevens",
                "website": "https://autoriteitpersoonsgegevens.nl",
                "complaint_url": "https://autoriteitpersoonsgegevens.nl/klacht",
            },
            "data_categories": [
                {
                    "id": "name",
                    "name": {"nl": "Naam", "en": "Name"},
                    "dpv": "pd:Name",
                    "fides": "user.name",
                },
                {
                    "id": "invoice",
                    "name": {"nl": "Facturen", "en": "Invoices"},
                    "dpv": "pd:Transactional",
                    "fides": "user.financial",
                },
                {
                    "id": "ip_address",
                    "name": {"nl": "IP-adres", "en": "IP address"},
                    "dpv": "pd:IPAddress",
                    "fides": "user.device.ip_address",
                },
                {
                    "id": "disclosure_log",
                    "name": {"nl": "Verstrekkingslog", "en": "Disclosure log"},
                    "dpv": "pd:Communication",
                    "fides": "system.operations",
                },
            ],
            "recipients": [
                {
                    "id": "analytics_vendor",
                    "name": "Stats Inc.",
                    "role": "processor",
                    "description": {"nl": "Statistieken.", "en": "Statistics."},
                    "country": "US",
                    "safeguard": "scc",
                    "agreement": "DPA 2026",
                },
                {
                    "id": "network",
                    "name": "Network Ltd.",
                    "role": "joint_controller",
                    "description": {"nl": "Knop.", "en": "Button."},
                    "country": "IE",
                    "safeguard": "eea",
                    "arrangement": {"nl": "Network beantwoordt.", "en": "Network answers."},
                },
            ],
            "activities": [account, analytics, disclosures],
        }
    )


def _row(policy: Policy, activity_id: str, lang: str = "en") -> RopaRow:
    return next(row for row in ropa_rows(policy, lang) if row.activity_id == activity_id)


# --- the register as a whole -----------------------------------------------------------------


def test_l73_art_30_1_fields_name_real_row_fields_and_cover_letters_a_to_g() -> None:
    row_fields = {field.name for field in dataclasses.fields(RopaRow)}
    assert {name for name, _ in ART_30_1_FIELDS} <= row_fields
    assert sorted({letter for _, letter in ART_30_1_FIELDS}) == list("abcdefg")


@pytest.mark.parametrize("lang", [pytest.param("nl", id="nl"), pytest.param("en", id="en")])
def test_l73_every_art_30_1_field_is_filled_for_every_activity_of_the_shipped_policy(
    shipped: Policy, lang: str
) -> None:
    rows = ropa_rows(shipped, lang)
    assert [row.activity_id for row in rows] == [a.id for a in shipped.activities]
    empty = [
        (row.activity_id, name)
        for row in rows
        for name, _ in ART_30_1_FIELDS
        if not getattr(row, name).strip()
    ]
    assert empty == []


def test_l73_rows_trace_each_activity_to_its_promises(shipped: Policy) -> None:
    for row, activity in zip(ropa_rows(shipped), shipped.activities, strict=True):
        assert row.promises == activity.promises
        assert row.activity == activity.name.en


def test_l73_an_activity_without_recipients_or_transfers_still_says_so() -> None:
    row = _row(_small(), "account")
    assert row.recipients == "none; processed internally only"
    assert row.transfers == "no transfer to third countries"
    assert _row(_small(), "account", "nl").recipients == "geen; alleen intern verwerkt"


def test_unknown_language_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unsupported language 'de'"):
        ropa_rows(_small(), "de")


# --- (a) controller and contact ---------------------------------------------------------------


def test_p21_controller_field_names_the_controller_its_address_and_contact_details() -> None:
    row = _row(_small(), "account", "nl")
    assert row.controller == (
        "Voorbeeld B.V.; Dorpsstraat 1, 1234 AB Utrecht, NL; info@voorbeeld.nl; KvK 12345678"
    )
    assert row.privacy_contact == "Privacyteam; privacy@voorbeeld.nl"


# --- (b), (c): purposes, subjects, categories; basis ------------------------------------------


def test_l73_purposes_subjects_and_categories_are_in_words() -> None:
    row = _row(_small(), "analytics", "nl")
    assert row.purposes == "analyse van het gebruik van de dienst"
    assert row.data_subjects == "bezoekers"
    assert row.data_categories == "IP-adres"


def test_l75_legal_basis_and_legitimate_interest_statement_are_in_the_register() -> None:
    analytics, account = _row(_small(), "analytics"), _row(_small(), "account")
    assert analytics.legal_basis == "legitimate interests (GDPR art. 6(1)(f))"
    assert analytics.legitimate_interest == "Improving our site."
    assert account.legal_basis == "performance of a contract (GDPR art. 6(1)(b))"
    assert account.legitimate_interest == ""


@pytest.mark.parametrize("basis", list(LegalBasis), ids=lambda basis: basis.value)
def test_every_legal_basis_is_worded_with_its_article_in_both_languages(
    basis: LegalBasis,
) -> None:
    letter = basis.article[-2]  # "art. 6(1)(b)" -> "b"
    assert legal_basis_words(basis, "nl").endswith(f"(art. 6 lid 1 onder {letter} AVG)")
    assert legal_basis_words(basis, "en").endswith(f"(GDPR {basis.article})")


# --- (d), (e): recipients and transfers ------------------------------------------------------


def test_l37_recipient_in_a_third_country_is_marked_and_its_transfer_names_the_safeguard() -> None:
    row = _row(_small(), "analytics")
    assert row.recipients == (
        "Stats Inc. (processor, US, third country); "
        "Network Ltd. (joint controller (GDPR art. 26), IE)"
    )
    assert row.transfers.startswith(
        "Stats Inc. (US): standard contractual clauses of the European Commission "
        "(GDPR art. 46(2)(c)); "
    )


def test_l37_a_dpf_transfer_names_its_importer_and_the_sccs_behind_it() -> None:
    # art. 45 DPF for a certified importer; SCCs (art. 46(2)(c)) should the decision fall
    second = _row(_small(), "analytics").transfers.split("; ", 1)[1]
    assert second == (
        "Stats Inc. to Stats LLC (US): EU–US Data Privacy Framework: an adequacy decision of "
        "the European Commission for certified US companies (GDPR art. 45), falling back on "
        "standard contractual clauses of the European Commission (GDPR art. 46(2)(c))"
    )


def test_l19_each_processor_is_named_with_its_art_28_agreement() -> None:
    assert _row(_small(), "analytics").processor_agreements == "Stats Inc. — DPA 2026"
    assert _row(_small(), "account").processor_agreements == ""


def test_a_joint_controller_is_named_with_the_essence_of_its_arrangement() -> None:
    # art. 26(2): the arrangement's essence, in the register's language
    assert _row(_small(), "analytics").joint_controllers == "Network Ltd. — Network answers."
    assert _row(_small(), "analytics", "nl").joint_controllers == (
        "Network Ltd. — Network beantwoordt."
    )
    assert _row(_small(), "account").joint_controllers == ""


@pytest.mark.parametrize(
    ("country", "third"),
    [
        pytest.param("NL", False, id="netherlands"),
        pytest.param("NO", False, id="norway-eea"),
        pytest.param("CH", True, id="switzerland-adequacy"),
        pytest.param("US", True, id="united-states"),
        pytest.param(None, False, id="no-country"),
    ],
)
def test_l37_third_country_means_outside_the_eea(country: str | None, third: bool) -> None:
    assert in_third_country(country) is third


# --- (f) retention ----------------------------------------------------------------------------


def test_p20_l34_retention_names_the_account_rule_and_the_tax_hold() -> None:
    assert _row(_small(), "account", "nl").retention == (
        "zolang het account actief is en daarna nog 30 dagen; "
        "wettelijke bewaarplicht: Facturen 7 jaar (fiscale bewaarplicht)"
    )
    assert _row(_small(), "account").retention == (
        "while the account is active and 30 days after it is closed; "
        "legal hold: Invoices 7 years (tax retention duty)"
    )


def test_l23_l51_retention_names_the_period_and_the_minimisation_step() -> None:
    assert _row(_small(), "analytics", "nl").retention == (
        "12 maanden na verzameling; na 30 dagen: IP-adres ingekort tot /24 (IP-adres)"
    )


def test_a_disclosure_log_keeps_the_log_and_the_disclosed_data_follows_its_own_activity() -> None:
    assert _row(_small(), "disclosures").retention == (
        "5 years after collection, for: Disclosure log; the other data (Name, IP address) is "
        "kept only as long as the activity it comes from keeps it"
    )


@pytest.mark.parametrize(
    ("period", "lang", "words"),
    [
        pytest.param("P1D", "nl", "1 dag", id="nl-one-day"),
        pytest.param("P30D", "nl", "30 dagen", id="nl-days"),
        pytest.param("P1M", "nl", "1 maand", id="nl-one-month"),
        pytest.param("P12M", "nl", "12 maanden", id="nl-months"),
        pytest.param("P1Y", "nl", "1 jaar", id="nl-one-year"),
        pytest.param("P7Y", "nl", "7 jaar", id="nl-years-no-plural"),
        pytest.param("P1Y6M", "nl", "1 jaar en 6 maanden", id="nl-compound"),
        pytest.param("P2Y1M1D", "nl", "2 jaar, 1 maand en 1 dag", id="nl-three-parts"),
        pytest.param("P0D", "nl", "0 dagen", id="nl-zero"),
        pytest.param("P1D", "en", "1 day", id="en-one-day"),
        pytest.param("P2M", "en", "2 months", id="en-months"),
        pytest.param("P1Y2M3D", "en", "1 year, 2 months and 3 days", id="en-three-parts"),
        pytest.param("P2W", "en", "14 days", id="en-weeks-as-days"),
        pytest.param("P1Y", "en", "1 year", id="en-one-year"),
        pytest.param("P0D", "en", "0 days", id="en-zero"),
    ],
)
def test_period_in_words(period: str, lang: str, words: str) -> None:
    assert period_in_words(Period.parse(period), lang) == words


_PHRASES = RetentionPhrases(
    collection="C {period}",
    account_closure="A {period}",
    event="E {period} {event}",
    consent_withdrawal="W {period}",
    account_closure_only="A",
    consent_withdrawal_only="W",
)


@pytest.mark.parametrize(
    ("retention", "words"),
    [
        pytest.param({"starts": "collection", "period": "P6M"}, "C 6 months", id="collection"),
        pytest.param(
            {"starts": "account_closure", "period": "P30D"}, "A 30 days", id="account-closure"
        ),
        pytest.param(
            {"starts": "account_closure", "period": "P0D"}, "A", id="account-closure-at-once"
        ),
        pytest.param(
            {"starts": "consent_withdrawal", "period": "P0D"}, "W", id="withdrawal-at-once"
        ),
        pytest.param(
            {"starts": "event", "period": "P1Y", "event": {"nl": "x", "en": "the case closes"}},
            "E 1 year the case closes",
            id="event",
        ),
    ],
)
def test_p20_retention_in_words_picks_the_phrase_of_its_start(
    retention: dict[str, Any], words: str
) -> None:
    assert retention_in_words(Retention.model_validate(retention), "en", _PHRASES) == words


# --- (g) security -----------------------------------------------------------------------------


def test_l76_security_measures_are_the_activity_s_own() -> None:
    assert _row(_small(), "analytics").security_measures == "IP address truncated."
    assert _row(_small(), "analytics", "nl").security_measures == "IP-adres ingekort."


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_l76_l77_the_general_measures_stand_once_in_the_heading(lang: str) -> None:
    text = ropa_header(_small(), lang).general_security_measures
    for measure in ("AES-GCM", "HMAC", "TLS", "crypto-shredding"):
        assert measure in text
    assert ("hash-chained" if lang == "en" else "hashes aaneengeketend") in text
    assert ("role-based" if lang == "en" else "rolgebaseerd") in text
    assert text == privaat.i18n.translations(lang).gettext(SECURITY_MEASURES)


def test_l76_an_activity_the_file_names_no_measures_of_gets_the_general_ones() -> None:
    row = _row(_small(), "account")
    assert row.security_measures == privaat.i18n.translations("en").gettext(SECURITY_MEASURES)


# --- the register speaks in the third person ----------------------------------------------------


def test_the_description_is_the_register_description_and_falls_back_to_the_public_one() -> None:
    assert _row(_small(), "analytics").description == "The controller counts the visitor's visits."
    assert _row(_small(), "analytics", "nl").description == (
        "De verwerkingsverantwoordelijke telt de bezoeken van de bezoeker."
    )
    assert _row(_small(), "account").description == "Your account."


# --- DPO, processor role, LIA, profiling, DPIA, notes ---------------------------------------------


def test_the_heading_states_the_dpo_assessment_and_the_processor_role() -> None:
    header = ropa_header(_small(), "en")
    assert header.controller == _row(_small(), "account").controller
    assert header.data_protection_officer == "none appointed: Not required."
    assert header.processor_role == "For hosted content Voorbeeld is a processor."
    # art. 30(1)(a) on every row too, so a CSV row is complete on its own
    assert _row(_small(), "account").data_protection_officer == "none appointed: Not required."


def test_an_appointed_dpo_is_named_with_the_address_to_write_to() -> None:
    data = _small().model_dump()
    data["data_protection_officer"] = {
        "appointed": True,
        "name": "A. de Vries",
        "email": "fg@voorbeeld.nl",
        "assessment": {"nl": "Vrijwillig.", "en": "Voluntary."},
    }
    policy = Policy.model_validate(data)
    assert ropa_header(policy).data_protection_officer == "A. de Vries; fg@voorbeeld.nl"


def test_a_policy_without_dpo_or_processor_role_says_so() -> None:
    policy = Policy.model_validate(
        _small().model_dump(exclude={"data_protection_officer", "processor_role"})
    )
    header = ropa_header(policy)
    assert header.data_protection_officer == "not stated in the policy file"
    assert header.processor_role == ""


def test_l75_the_lia_is_named_on_a_legitimate_interest_row_only() -> None:
    assert _row(_small(), "analytics").lia == "LIA-2026-03"
    assert _row(_small(), "account").lia == ""
    unnamed = _small()
    analytics = unnamed.activity("analytics").model_copy(update={"lia": None})
    unnamed = unnamed.model_copy(
        update={"activities": (unnamed.activities[0], analytics, unnamed.activities[2])}
    )
    assert _row(unnamed, "analytics").lia == "no assessment named in the policy file"


def test_profiling_is_named_where_it_happens() -> None:
    assert _row(_small(), "analytics").profiling == "Interests are estimated."
    assert _row(_small(), "account").profiling == "no profiling"
    automated = _row(_small(automated_decision=True), "account").profiling
    assert automated == "no profiling; automated individual decision-making (GDPR art. 22)"


def test_the_dpia_screening_names_the_criteria_met_the_dpia_and_its_outcome() -> None:
    assert _row(_small(), "analytics").dpia == (
        "meets the AP's DPIA list: profiling (AP list, 15), location data (AP list, 12); "
        "DPIA: DPIA-2026-01; Residual risk low."
    )
    assert _row(_small(), "account").dpia == "meets no criterion of the AP's DPIA list"
    screened = _small(dpia={"outcome": {"nl": "Geen risico.", "en": "No risk."}})
    assert _row(screened, "account").dpia == "meets no criterion of the AP's DPIA list; No risk."


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_criterion_of_the_ap_list_has_words_with_its_number(lang: str) -> None:
    assert set(DPIA_CRITERION_WORDS) == set(DpiaCriterion)
    numbers = [dpia_criterion_words(c, "en").rsplit(" ", 1)[-1] for c in DpiaCriterion]
    assert numbers == [f"{n})" for n in range(1, 18)]
    assert all(dpia_criterion_words(c, lang) for c in DpiaCriterion)


def test_notes_say_where_the_file_deviates_from_the_seed() -> None:
    assert _row(_small(), "analytics").notes == "Opt-in instead of the seed's opt-out (L39)."
    assert _row(_small(), "account").notes == ""


# --- the shared vocabulary ----------------------------------------------------------------------


def test_dpv_terms_read_as_plain_words_and_unknown_ones_as_their_label() -> None:
    assert purpose_words("dpv:CustomerCare", "nl") == "klantenservice en productondersteuning"
    assert purpose_words("dpv:SellInsightsFromData", "en") == "sell insights from data"
    assert data_subject_words("dpv:Customer", "nl") == "klanten"
    assert data_subject_words("dpv:ElderlyDataSubject", "en") == "elderly data subject"


def test_every_purpose_and_data_subject_of_the_shipped_policy_has_dutch_words(
    shipped: Policy,
) -> None:
    terms = {t for a in shipped.activities for t in (*a.purposes, *a.data_subjects)}
    assert sorted(t for t in terms if not has_plain_words(t)) == []
