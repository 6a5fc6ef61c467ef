"""The fideslang export: its mapping tables against the real taxonomy, and a policy built here
exported and validated by the real ``fideslang`` package (the shipped policy: integration)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml
from fideslang.default_taxonomy import DEFAULT_TAXONOMY
from fideslang.models import Organization, System

from privaat.policy.fideslang import DATA_SUBJECTS, DATA_USES, FideslangExportError, to_fideslang
from privaat.policy.schema import Policy
from privaat.policy.validate import check_policy
from privaat.policy.vocab import DPV_DATA_SUBJECTS, DPV_PURPOSES

DATA_USE_KEYS = {u.fides_key for u in DEFAULT_TAXONOMY.data_use if not u.version_deprecated}
SUBJECT_KEYS = {s.fides_key for s in DEFAULT_TAXONOMY.data_subject if not s.version_deprecated}
CATEGORY_KEYS = {c.fides_key for c in DEFAULT_TAXONOMY.data_category if not c.version_deprecated}


def _text(en: str) -> dict[str, str]:
    return {"nl": f"{en} (nl)", "en": en}


def _activity(aid: str, basis: str, purposes: list[str], **fields: Any) -> dict[str, Any]:
    return {
        "id": aid,
        "name": _text(aid.replace("_", " ").capitalize()),
        "description": _text(f"What {aid} does."),
        "promises": ["P1"],
        "purposes": purposes,
        "data_categories": ["name", "email"],
        "data_subjects": ["dpv:Customer"],
        "legal_basis": basis,
        "retention": {"starts": "collection", "period": "P1Y"},
        "sources": ["data_subject"],
        "objection": {"possible": False},
        **fields,
    }


CONSENT = {"request": _text("May we?"), "channels": ["cookie_settings"]}
GA_COOKIE = {
    "name": "_ga",
    "recipient": "stats_us",
    "purpose": _text("Tells visitors apart."),
    "lifetime": "P13M",
}
SESSION_COOKIE = {"name": "session", "purpose": _text("Keeps you logged in.")}
POLICY_DATA: dict[str, Any] = {
    "policy": {"id": "example", "version": 3, "last_updated": "2026-01-01"},
    "promises": [{"id": "P1", "summary": "An account"}],
    "controller": {
        "name": "Voorbeeld B.V.",
        "address": {"street": "Dorpsstraat 1", "postal_code": "1234 AB", "city": "Utrecht",
                    "country": "NL"},
        "email": "info@voorbeeld.nl",
    },
    "privacy_contact": {"name": _text("Privacy team"), "email": "privacy@voorbeeld.nl"},
    "supervisory_authority": {
        "name": "Autoriteit Persoonsgegevens",
        "website": "https://autoriteitpersoonsgegevens.nl",
        "complaint_url": "https://autoriteitpersoonsgegevens.nl/klacht",
    },
    "data_categories": [
        {"id": "name", "name": _text("Name"), "dpv": "pd:Name", "fides": "user.name"},
        {"id": "email", "name": _text("E-mail"), "dpv": "pd:EmailAddress",
         "fides": "user.contact.email"},
        {"id": "ip", "name": _text("IP address"), "dpv": "pd:IPAddress",
         "fides": "user.device.ip_address"},
        {"id": "invoice", "name": _text("Invoice"), "dpv": "pd:Transaction",
         "fides": "user.financial"},
    ],
    "recipients": [
        {"id": "mailer", "name": "Mailer B.V.", "role": "processor",
         "description": _text("Sends e-mail."), "country": "NL", "safeguard": "eea",
         "agreement": "DPA 2026"},
        {"id": "stats_us", "name": "Stats Inc.", "role": "processor",
         "description": _text("Web statistics."), "country": "US", "safeguard": "scc",
         "agreement": "DPA 2025"},
    ],
    "activities": [
        _activity("account", "contract", ["dpv:AccountManagement"]),
        _activity("newsletter", "consent", ["dpv:DirectMarketing"], data_categories=["email"],
                  recipients=["mailer"], consent=CONSENT),
        _activity("fraud_checks", "legitimate_interest",
                  ["dpv:FraudPreventionAndDetection"], data_categories=["name", "ip"],
                  legitimate_interest=_text("Preventing fraud."), sources=["observed"],
                  automated_decision=True,
                  objection={"possible": True, "channels": ["privacy_email"]}),
        _activity("web_statistics", "consent", ["dpv:ServiceUsageAnalytics"],
                  data_categories=["ip"], data_subjects=["dpv:Visitor"], recipients=["stats_us"],
                  transfers=[{"recipient": "stats_us", "country": "US", "safeguard": "scc"}],
                  consent=CONSENT, cookies=[GA_COOKIE, SESSION_COOKIE], sources=["observed"]),
        _activity("bookkeeping", "legal_obligation", ["dpv:RecordManagement"],
                  data_categories=["name", "invoice"], sources=["derived"],
                  retention={"starts": "account_closure", "period": "P30D",
                             "legal_holds": [{"period": "P7Y", "ground": _text("AWR 52(4)."),
                                              "categories": ["invoice"]}]}),
    ],
}  # fmt: skip
POLICY = Policy.model_validate(POLICY_DATA)


def _policy(**activity_changes: Any) -> Policy:
    """The test policy with the first activity ("account") changed."""
    data = copy.deepcopy(POLICY_DATA)
    data["activities"][0].update(activity_changes)
    return Policy.model_validate(data)


def _declarations(policy: Policy) -> dict[str, dict[str, Any]]:
    system = to_fideslang(policy)["system"][0]
    names = system["meta"]["privaat"]["activities"]
    by_name = {d["name"]: d for d in system["privacy_declarations"]}
    return {aid: by_name[name] for aid, name in names.items()}


def test_fixture_policy_is_consistent() -> None:
    assert check_policy(POLICY) == []


# --- the mapping tables against the vocabularies ------------------------------------------


def test_every_mapped_purpose_is_a_dpv_purpose_and_every_use_a_fideslang_data_use() -> None:
    assert set(DATA_USES) <= DPV_PURPOSES
    assert set(DATA_USES.values()) <= DATA_USE_KEYS


def test_every_mapped_data_subject_is_a_dpv_term_and_a_fideslang_data_subject() -> None:
    assert set(DATA_SUBJECTS) <= DPV_DATA_SUBJECTS
    assert set(DATA_SUBJECTS.values()) <= SUBJECT_KEYS


# --- the round trip through the real fideslang models --------------------------------------


def test_export_validates_as_fideslang_organization_and_system() -> None:
    manifest = to_fideslang(POLICY)
    assert set(manifest) == {"organization", "system"}
    organization = Organization.model_validate(manifest["organization"][0])
    system = System.model_validate(manifest["system"][0])
    assert system.organization_fides_key == organization.fides_key == "example"
    assert organization.controller is not None and organization.data_protection_officer
    assert organization.controller.address == "Dorpsstraat 1, 1234 AB Utrecht, NL"
    assert organization.data_protection_officer.email == "privacy@voorbeeld.nl"
    declarations = system.privacy_declarations
    assert len(declarations) == len(POLICY.activities)
    assert {d.name for d in declarations} == {a.name.en for a in POLICY.activities}
    for declaration in declarations:
        assert declaration.data_use in DATA_USE_KEYS
        assert set(declaration.data_categories) <= CATEGORY_KEYS
        assert declaration.data_subjects and set(declaration.data_subjects) <= SUBJECT_KEYS


def test_export_is_plain_data_for_yaml_and_json() -> None:
    manifest = to_fideslang(POLICY)
    assert yaml.safe_load(yaml.safe_dump(manifest, sort_keys=False)) == manifest
    assert json.loads(json.dumps(manifest)) == manifest


def test_each_declaration_names_its_activity_by_id() -> None:
    system = to_fideslang(POLICY)["system"][0]
    assert list(system["meta"]["privaat"]["activities"]) == [a.id for a in POLICY.activities]
    assert system["meta"]["privaat"]["version"] == 3
    assert set(_declarations(POLICY)) == {a.id for a in POLICY.activities}


# --- what each declaration says ------------------------------------------------------------


@pytest.mark.parametrize(
    ("activity_id", "data_use", "legal_basis"),
    [
        pytest.param("account", "essential.service", "Contract", id="contract"),
        # DPV has no channel; the e-mail address as the only contact data names it
        pytest.param("newsletter", "marketing.communications.email", "Consent", id="email-mkt"),
        pytest.param("fraud_checks", "essential.fraud_detection", "Legitimate interests",
                     id="fraud"),
        pytest.param("web_statistics", "analytics.reporting", "Consent", id="analytics"),
        pytest.param("bookkeeping", "operations", "Legal obligations", id="records"),
    ],
)  # fmt: skip
def test_declaration_has_the_data_use_and_art6_basis_of_its_activity(
    activity_id: str, data_use: str, legal_basis: str
) -> None:
    declaration = _declarations(POLICY)[activity_id]
    assert declaration["data_use"] == data_use
    assert declaration["legal_basis_for_processing"] == legal_basis
    assert declaration["flexible_legal_basis_for_processing"] is False


def test_declared_fides_data_use_wins_over_the_purpose_mapping() -> None:
    policy = _policy(fides_data_use="essential.service.operations.support")
    assert _declarations(policy)["account"]["data_use"] == "essential.service.operations.support"


def test_legal_obligation_without_a_mapped_purpose_is_a_legal_obligation_use() -> None:
    policy = _policy(legal_basis="legal_obligation", purposes=["dpv:ProtectionOfIPR"])
    assert _declarations(policy)["account"]["data_use"] == "essential.legal_obligation"


def test_an_activity_that_maps_to_no_data_use_fails_naming_it() -> None:
    with pytest.raises(FideslangExportError, match="activity 'account'.*dpv:ProtectionOfIPR"):
        to_fideslang(_policy(purposes=["dpv:ProtectionOfIPR"]))


def test_an_unmapped_data_subject_fails_naming_it() -> None:
    with pytest.raises(FideslangExportError, match="'dpv:Student' has no fideslang"):
        to_fideslang(_policy(data_subjects=["dpv:Customer", "dpv:Student"]))


def test_a_quality_alone_is_no_data_subject_but_qualifies_one() -> None:
    with pytest.raises(FideslangExportError, match="not only a quality"):
        to_fideslang(_policy(data_subjects=["dpv:Child"]))
    both = _policy(data_subjects=["dpv:Customer", "dpv:Child"])
    assert _declarations(both)["account"]["data_subjects"] == ["customer"]


def test_every_problem_is_listed_at_once() -> None:
    data = copy.deepcopy(POLICY_DATA)
    data["activities"][0]["purposes"] = ["dpv:ProtectionOfIPR"]
    data["activities"][1]["data_subjects"] = ["dpv:Student"]
    data["activities"][2]["name"] = data["activities"][3]["name"]
    with pytest.raises(FideslangExportError) as caught:
        to_fideslang(Policy.model_validate(data))
    assert len(caught.value.problems) == 3
    assert "two activities share the English name 'Web statistics'" in str(caught.value)


def test_l19_recipients_and_transfers_are_shared_with_third_parties() -> None:
    manifest = to_fideslang(POLICY)
    declaration = _declarations(POLICY)["web_statistics"]
    assert declaration["data_shared_with_third_parties"] is True
    assert declaration["third_parties"] == "Stats Inc. (processor, US)"
    assert declaration["shared_categories"] == ["user.device.ip_address"]
    assert _declarations(POLICY)["account"]["data_shared_with_third_parties"] is False
    system = manifest["system"][0]
    assert system["does_international_transfers"] is True
    assert system["legal_basis_for_transfers"] == ["SCCs"]


def test_l51_retention_and_legal_hold_are_stated() -> None:
    retention = _declarations(POLICY)["bookkeeping"]["retention_period"]
    assert retention == "P30D after account closure; Invoice held P7Y (AWR 52(4).)"


def test_l75_legitimate_interest_points_at_its_statement() -> None:
    location = _declarations(POLICY)["fraud_checks"]["impact_assessment_location"]
    assert "'fraud_checks'" in location and "legitimate_interest" in location
    assert "impact_assessment_location" not in _declarations(POLICY)["account"]


def test_system_flags_cookies_profiling_and_the_controller() -> None:
    system = System.model_validate(to_fideslang(POLICY)["system"][0])
    assert system.uses_cookies is True
    assert system.uses_non_cookie_access is False
    # P13M, a month counted as 30 days (Period.approx_days)
    assert system.cookie_max_age_seconds == 13 * 30 * 86400
    assert system.uses_profiling is True  # fraud_checks: an automated decision
    assert system.legal_basis_for_profiling == []  # art. 22(2): LI is no ground for it
    assert system.responsibility == ["Controller"]
    assert system.dpo == "privacy@voorbeeld.nl"
    assert {d.name: d.ingress for d in system.privacy_declarations}["Bookkeeping"] is None
    assert system.ingress is not None and system.ingress[0].fides_key == "user"


def test_without_cookies_transfers_or_automated_decisions_the_system_says_so() -> None:
    data = copy.deepcopy(POLICY_DATA)
    data["activities"] = data["activities"][:2]
    system = to_fideslang(Policy.model_validate(data))["system"][0]
    assert system["uses_cookies"] is False
    assert system["uses_non_cookie_access"] is False
    assert "cookie_max_age_seconds" not in system
    assert system["uses_profiling"] is False
    assert system["does_international_transfers"] is False
    assert system["requires_data_protection_assessments"] is False
    assert "joint_controller_info" not in system and "dpa_location" not in system
    assert system["meta"]["privaat"]["profiling"] == {}
    assert system["meta"]["privaat"]["cookies"] == {}


# --- profiling, cookies, joint controllers, DPF transfers, the DPO -----------------------------


def _with(**changes: Any) -> dict[str, Any]:
    """The test policy's data with top-level keys changed."""
    data = copy.deepcopy(POLICY_DATA)
    data.update(changes)
    return data


def test_profiling_named_in_an_activity_makes_the_system_profile() -> None:
    # art. 4(4): a marketing selection profiles, with no automated decision
    policy = _policy(profiling=_text("Selects who gets which offer."))
    system = to_fideslang(policy)["system"][0]
    assert system["uses_profiling"] is True
    assert system["meta"]["privaat"]["profiling"] == {"account": "Selects who gets which offer."}
    assert system["meta"]["privaat"]["automated_decisions"] == ["fraud_checks"]
    # fideslang's bases for profiling are art. 22(2)'s, for automated decisions only
    assert system["legal_basis_for_profiling"] == []
    decided = to_fideslang(_policy(automated_decision=True))["system"][0]
    assert decided["legal_basis_for_profiling"] == ["Contract"]


def test_each_activity_s_cookies_are_listed_by_activity_and_pixels_count_as_device_access() -> None:
    system = to_fideslang(POLICY)["system"][0]
    assert system["meta"]["privaat"]["cookies"] == {
        "web_statistics": [
            {"name": "_ga", "kind": "cookie", "party": "Stats Inc.", "lifetime": "P13M",
             "purpose": "Tells visitors apart."},
            {"name": "session", "kind": "cookie", "party": "first party", "lifetime": "session",
             "purpose": "Keeps you logged in."},
        ]
    }  # fmt: skip
    pixel = {"name": "open-pixel", "kind": "pixel", "recipient": "mailer",
             "purpose": _text("Sees an e-mail opened.")}  # fmt: skip
    with_pixel = to_fideslang(_policy(cookies=[pixel]))["system"][0]
    assert with_pixel["uses_non_cookie_access"] is True
    assert with_pixel["meta"]["privaat"]["cookies"]["account"] == [
        {"name": "open-pixel", "kind": "pixel", "party": "Mailer B.V.", "lifetime": "session",
         "purpose": "Sees an e-mail opened."}
    ]  # fmt: skip


def test_a_joint_controller_is_named_with_the_activities_it_shares() -> None:
    network = {"id": "network", "name": "Network Ltd.", "role": "joint_controller",
               "description": _text("A like button."), "country": "IE", "safeguard": "eea",
               "arrangement": _text("Network answers requests about its part.")}  # fmt: skip
    data = _with(recipients=[*POLICY_DATA["recipients"], network])
    data["activities"][0]["recipients"] = ["network"]
    data["activities"][3]["recipients"] = ["stats_us", "network"]
    manifest = to_fideslang(Policy.model_validate(data))
    system = System.model_validate(manifest["system"][0])
    assert system.joint_controller_info == "Network Ltd. (Account, Web statistics)"
    declaration = {d.name: d for d in system.privacy_declarations}["Account"]
    assert declaration.third_parties == "Network Ltd. (joint_controller, IE)"


def test_a_dpf_transfer_is_an_adequacy_decision_with_sccs_behind_it_and_names_its_importer() -> (
    None
):
    data = copy.deepcopy(POLICY_DATA)
    data["activities"][3]["transfers"] = [
        {"recipient": "stats_us", "country": "US", "safeguard": "dpf", "importer": "Stats LLC",
         "fallback": "scc"}
    ]  # fmt: skip
    policy = Policy.model_validate(data)
    system = System.model_validate(to_fideslang(policy)["system"][0])
    assert system.does_international_transfers is True
    assert system.legal_basis_for_transfers == ["Adequacy Decision", "SCCs"]
    declaration = _declarations(policy)["web_statistics"]
    assert declaration["third_parties"] == "Stats Inc. (processor, US); Stats LLC (importer, US)"


def test_without_a_dpo_statement_the_privacy_contact_is_the_contact_point() -> None:
    organization = Organization.model_validate(to_fideslang(POLICY)["organization"][0])
    assert organization.data_protection_officer is not None
    assert organization.data_protection_officer.email == "privacy@voorbeeld.nl"
    assert organization.data_protection_officer.name == "Privacy team"


def test_when_no_dpo_is_appointed_none_is_exported_and_the_description_says_so() -> None:
    officer = {"appointed": False, "assessment": _text("Not required.")}
    manifest = to_fideslang(Policy.model_validate(_with(data_protection_officer=officer)))
    organization = Organization.model_validate(manifest["organization"][0])
    assert organization.data_protection_officer is None
    assert organization.description == (
        "The controller of the privacy policy 'example' (GDPR art. 4(7)). No data protection "
        "officer is appointed (GDPR art. 37(1)); privacy questions go to privacy@voorbeeld.nl."
    )
    assert manifest["system"][0]["dpo"] == "privacy@voorbeeld.nl"


def test_an_appointed_dpo_is_the_organization_s_data_protection_officer() -> None:
    officer = {"appointed": True, "name": "A. de Vries", "email": "fg@voorbeeld.nl",
               "assessment": _text("Appointed voluntarily.")}  # fmt: skip
    manifest = to_fideslang(Policy.model_validate(_with(data_protection_officer=officer)))
    organization = Organization.model_validate(manifest["organization"][0])
    assert organization.data_protection_officer is not None
    assert organization.data_protection_officer.name == "A. de Vries"
    assert organization.data_protection_officer.email == "fg@voorbeeld.nl"
    assert organization.data_protection_officer.address == "Dorpsstraat 1, 1234 AB Utrecht, NL"
    assert manifest["system"][0]["dpo"] == "fg@voorbeeld.nl"


def test_the_lia_document_is_where_the_legitimate_interest_assessment_is() -> None:
    data = copy.deepcopy(POLICY_DATA)
    data["activities"][2]["lia"] = "LIA-2026-02"
    declaration = _declarations(Policy.model_validate(data))["fraud_checks"]
    assert declaration["impact_assessment_location"] == "LIA-2026-02"


def test_a_dpia_the_ap_s_list_requires_is_flagged_with_its_location() -> None:
    dpia = {"criteria": ["fraud_prevention", "profiling"], "reference": "DPIA-2026-01"}
    data = copy.deepcopy(POLICY_DATA)
    data["activities"][2]["dpia"] = dpia
    system = System.model_validate(to_fideslang(Policy.model_validate(data))["system"][0])
    assert system.requires_data_protection_assessments is True
    assert system.dpa_location == "DPIA-2026-01"
