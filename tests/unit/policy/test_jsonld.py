"""The policy as JSON-LD with DPV terms (/privacy.json): the shipped policy whole, a small
policy exactly, and every term checked against a list of DPV 2.x terms written out here by
hand from the W3C DPV 2.x sources (no JSON-LD processor is installed: the checks are
structural)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest

from privaat.policy.jsonld import policy_jsonld
from privaat.policy.loader import load_policy_file
from privaat.policy.schema import Policy
from privaat.policy.vocab import DPV_DATA_SUBJECTS, DPV_PERSONAL_DATA, DPV_PURPOSES
from privaat.settings import default_policy_file

# the classes and properties of DPV 2.x (https://w3id.org/dpv#) this export may use, read
# from w3c/dpv 2.x dpv/modules/*.csv (process, legal_basis, entities_legalrole,
# entities_authority, context, processing, processing_context, jurisdiction, TOM)
DPV_TERMS = frozenset(
    "dpv:" + term
    for term in """
    PersonalDataHandling hasPersonalDataHandling hasDataController hasDataProtectionOfficer
    DataController DataProcessor DataProtectionOfficer JointDataControllers
    hasJointDataControllers Recipient Authority DataProtectionAuthority DataImporter
    hasDataImporter hasRecipient hasName hasAddress hasContact hasCountry hasThirdCountry
    hasPurpose hasPersonalData hasLegalBasis hasDataSubject hasProcessing Profiling Transfer
    hasStorageCondition StorageDuration hasDuration TemporalDuration UntilEventDuration
    hasOrganisationalMeasure SpecialCategoryPersonalData
    Consent Contract LegalObligation VitalInterest PublicInterest LegitimateInterest
    """.split()
)
# the GDPR extension (https://w3id.org/dpv/legal/eu/gdpr#), legal_basis_data_transfer.csv
# and data_transfers.csv: transfer safeguards are GDPR concepts, not core DPV
EU_GDPR_TERMS = frozenset(
    "eu-gdpr:" + term
    for term in """
    AdequacyDecision A46-2-b A46-2-c A49-1-a StandardContractualClauses BindingCorporateRules
    """.split()
)
PREFIXES = {
    "dpv": "https://w3id.org/dpv#",
    "pd": "https://w3id.org/dpv/pd#",
    "loc": "https://w3id.org/dpv/loc#",
    "eu-gdpr": "https://w3id.org/dpv/legal/eu/gdpr#",
    "dct": "http://purl.org/dc/terms/",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


@cache
def _shipped() -> Policy:
    return load_policy_file(default_policy_file())


def _text(en: str) -> dict[str, str]:
    return {"nl": f"{en} (nl)", "en": en}


def _small(**changes: Any) -> Policy:
    """Two activities: a bookkeeping log with a tax hold, and statistics sent to the US."""
    data: dict[str, Any] = {
        "policy": {"id": "example", "version": 4, "last_updated": "2026-11-30"},
        "controller": {
            "name": "Voorbeeld B.V.",
            "address": {"street": "Dorpsstraat 1", "postal_code": "1234 AB",
                        "city": "Utrecht", "country": "NL"},
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
            {"id": "ip", "name": _text("IP address"), "dpv": "pd:IPAddress",
             "fides": "user.device.ip_address"},
            {"id": "log", "name": _text("Log"), "dpv": "pd:Communication",
             "fides": "system.operations"},
            {"id": "health", "name": _text("Health"), "dpv": "pd:Health",
             "fides": "user.health_and_medical", "special": True},
        ],
        "recipients": [
            {"id": "stats", "name": "Stats Ltd.", "role": "processor",
             "description": _text("Statistics."), "country": "IE", "safeguard": "eea",
             "agreement": "DPA 2026"},
            {"id": "network", "name": "Network Ltd.", "role": "joint_controller",
             "description": _text("A button."), "country": "IE", "safeguard": "eea",
             "arrangement": _text("Network answers about its part.")},
            {"id": "tax", "name": "Belastingdienst", "role": "authority",
             "description": _text("Tax."), "country": "NL"},
        ],
        "activities": [
            {
                "id": "bookkeeping",
                "name": _text("Bookkeeping"),
                "description": _text("We keep the books."),
                "purposes": ["dpv:RecordManagement"],
                "data_categories": ["name", "log", "health"],
                "data_subjects": ["dpv:Customer"],
                "legal_basis": "legal_obligation",
                "retention": {
                    "starts": "account_closure",
                    "period": "P30D",
                    "applies_to": ["log"],
                    "legal_holds": [{"period": "P7Y", "ground": _text("AWR 52(4)."),
                                     "categories": ["name"]}],
                },
                "sources": ["derived"],
                "recipients": ["tax"],
                "objection": {"possible": False},
            },
            {
                "id": "statistics",
                "name": _text("Statistics"),
                "description": _text("We count visits."),
                "purposes": ["dpv:ServiceUsageAnalytics"],
                "data_categories": ["ip"],
                "data_subjects": ["dpv:Visitor"],
                "legal_basis": "consent",
                "profiling": _text("Interests are estimated."),
                "retention": {"starts": "collection", "period": "P2M"},
                "sources": ["observed"],
                "recipients": ["stats", "network"],
                "transfers": [{"recipient": "stats", "country": "US", "safeguard": "dpf",
                               "importer": "Stats Inc.", "fallback": "scc"}],
                "cookies": [{"name": "_st", "recipient": "stats", "purpose": _text("Counts."),
                             "lifetime": "P13M"}],
                "consent": {"request": _text("Count my visits."),
                            "channels": ["cookie_settings"]},
                "objection": {"possible": False},
            },
        ],
        **changes,
    }  # fmt: skip
    return Policy.model_validate(data)


def _activities(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["identifier"]: a for a in document["dpv:hasPersonalDataHandling"]}


def _nodes(value: object) -> Iterator[dict[str, Any]]:
    """Every JSON object in a document, depth first."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _nodes(item)
    elif isinstance(value, list):
        for item in value:
            yield from _nodes(item)


def _terms(document: dict[str, Any]) -> set[str]:
    """Every compact IRI the document uses as a key, an @id or an @type."""
    used: set[str] = set()
    for node in _nodes({k: v for k, v in document.items() if k != "@context"}):
        used |= {key for key in node if ":" in key}
        for keyword in ("@id", "@type"):
            values = node.get(keyword, [])
            for value in values if isinstance(values, list) else [values]:
                if not value.startswith("#"):
                    used.add(value)
    return used


# --- the shipped policy ------------------------------------------------------------------------


def test_the_context_maps_the_dpv_namespaces_and_the_document_is_a_personal_data_handling() -> None:
    document = policy_jsonld(_shipped())
    context = document["@context"]
    assert {prefix: context[prefix] for prefix in PREFIXES} == PREFIXES
    assert list(document)[:3] == ["@context", "@id", "@type"]
    assert document["@type"] == "dpv:PersonalDataHandling"
    assert document["modified"] == _shipped().policy.last_updated.isoformat()
    assert document["version"] == _shipped().policy.version
    assert document["language"] == ["nl", "en"]
    assert context["modified"] == {"@id": "dct:modified", "@type": "xsd:date"}


def test_every_activity_of_the_shipped_policy_is_there_in_file_order() -> None:
    activities = policy_jsonld(_shipped())["dpv:hasPersonalDataHandling"]
    assert [a["identifier"] for a in activities] == [a.id for a in _shipped().activities]
    assert {a["@type"] for a in activities} == {"dpv:PersonalDataHandling"}
    assert len({a["@id"] for a in activities}) == len(activities)


def test_every_category_of_every_activity_is_its_pd_term_with_its_id_and_both_names() -> None:
    policy = _shipped()
    activities = _activities(policy_jsonld(policy))
    for activity in policy.activities:
        nodes = activities[activity.id]["dpv:hasPersonalData"]
        assert [n["identifier"] for n in nodes] == list(activity.data_categories)
        for node, category_id in zip(nodes, activity.data_categories, strict=True):
            category = policy.category(category_id)
            types = node["@type"] if isinstance(node["@type"], list) else [node["@type"]]
            assert types[0] == category.dpv
            assert node["name"] == {"nl": category.name.nl, "en": category.name.en}


def test_the_google_analytics_transfer_rests_on_the_dpf_with_sccs_behind_it() -> None:
    analytics = _activities(policy_jsonld(_shipped()))["website_analytics"]
    (transfer,) = analytics["transfers"]
    assert transfer["dpv:hasProcessing"] == {"@id": "dpv:Transfer"}
    assert transfer["dpv:hasRecipient"] == {"@id": "#recipient-google_analytics"}
    assert transfer["dpv:hasThirdCountry"] == {"@id": "loc:US"}
    assert transfer["dpv:hasDataImporter"] == {
        "@type": "dpv:DataImporter",
        "dpv:hasName": "Google LLC",
    }
    # art. 45(3): the Data Privacy Framework is an adequacy decision
    assert transfer["safeguard"] == "dpf"
    assert transfer["dpv:hasLegalBasis"] == {"@id": "eu-gdpr:AdequacyDecision"}
    assert transfer["fallback"] == {
        "safeguard": "scc",
        "dpv:hasLegalBasis": {"@id": "eu-gdpr:A46-2-c"},
        "dpv:hasOrganisationalMeasure": {"@id": "eu-gdpr:StandardContractualClauses"},
    }


def test_the_document_survives_a_json_round_trip_and_is_the_same_every_time() -> None:
    document = policy_jsonld(_shipped())
    text = json.dumps(document, ensure_ascii=False)
    assert json.loads(text) == document
    assert json.dumps(policy_jsonld(_shipped()), ensure_ascii=False) == text


def test_every_term_is_a_dpv_2_term_or_one_of_its_extensions() -> None:
    # honest terms only: an invented dpv: name would be a claim no DPV reader can check
    used = _terms(policy_jsonld(_shipped()))
    assert all(term.split(":", 1)[0] in PREFIXES for term in used), used
    dpv = {t for t in used if t.startswith("dpv:")}
    assert dpv - DPV_TERMS - DPV_PURPOSES - DPV_DATA_SUBJECTS - DPV_PERSONAL_DATA == set()
    assert {t for t in used if t.startswith("eu-gdpr:")} <= EU_GDPR_TERMS
    assert {t for t in used if t.startswith("pd:")} <= DPV_PERSONAL_DATA
    assert {t for t in used if t.startswith("dct:")} == set()  # dct only through the context


def test_the_register_s_own_fields_stay_out_of_the_public_twin() -> None:
    text = json.dumps(policy_jsonld(_small(data_protection_officer=None)))
    for key in ('"lia"', '"security"', '"notes"', '"register_description"', '"dpia"'):
        assert key not in text


# --- a small policy, exactly -----------------------------------------------------------------


def test_a_small_policy_s_activities_say_exactly_what_the_file_says() -> None:
    activities = _activities(policy_jsonld(_small()))
    books, statistics = activities["bookkeeping"], activities["statistics"]
    assert books["dpv:hasPurpose"] == [{"@id": "dpv:RecordManagement"}]
    assert books["dpv:hasLegalBasis"] == {"@id": "dpv:LegalObligation"}
    assert books["dpv:hasDataSubject"] == [{"@id": "dpv:Customer"}]
    assert books["dpv:hasPersonalData"][2] == {
        "@id": "#data-health",
        "@type": ["pd:Health", "dpv:SpecialCategoryPersonalData"],  # art. 9
        "identifier": "health",
        "name": {"nl": "Health (nl)", "en": "Health"},
    }
    assert books["dpv:hasRecipient"] == [
        {
            "@id": "#recipient-tax",
            "@type": "dpv:Authority",
            "identifier": "tax",
            "dpv:hasName": "Belastingdienst",
            "role": "authority",
            "description": {"nl": "Tax. (nl)", "en": "Tax."},
            "dpv:hasCountry": {"@id": "loc:NL"},
        }
    ]
    assert "dpv:hasProcessing" not in books and "transfers" in books
    assert statistics["dpv:hasLegalBasis"] == {"@id": "dpv:Consent"}
    assert statistics["dpv:hasProcessing"] == [{"@id": "dpv:Profiling"}]
    assert statistics["profiling"] == {
        "nl": "Interests are estimated. (nl)",
        "en": "Interests are estimated.",
    }
    assert [r["@type"] for r in statistics["dpv:hasRecipient"]] == [
        "dpv:DataProcessor",
        "dpv:DataController",
    ]
    assert statistics["cookies"] == [
        {
            "name": "_st",
            "kind": "cookie",
            "recipient": "stats",
            "first_party": False,
            "purpose": {"nl": "Counts. (nl)", "en": "Counts."},
            "lifetime": "P13M",
        }
    ]


def test_a_joint_controller_forms_a_joint_data_controllers_group_with_the_controller() -> None:
    statistics = _activities(policy_jsonld(_small()))["statistics"]
    assert statistics["dpv:hasJointDataControllers"] == {
        "@id": "#activity-statistics-joint-controllers",
        "@type": "dpv:JointDataControllers",
        "dpv:hasDataController": [{"@id": "#controller"}, {"@id": "#recipient-network"}],
        "arrangements": [
            {
                "recipient": "network",
                "arrangement": {
                    "nl": "Network answers about its part. (nl)",
                    "en": "Network answers about its part.",
                },
            }
        ],
    }


def test_retention_is_a_storage_duration_with_its_iso_period_and_its_legal_hold() -> None:
    books = _activities(policy_jsonld(_small()))["bookkeeping"]
    assert books["dpv:hasStorageCondition"] == [
        {
            "@type": "dpv:StorageDuration",
            "dpv:hasDuration": {
                "@type": "dpv:UntilEventDuration",
                "dpv:hasDuration": "P30D",
                "starts": "account_closure",
            },
            # only the log is kept this long; the name follows its own rule
            "dpv:hasPersonalData": [{"@id": "#data-log"}],
        },
        {
            "@type": "dpv:StorageDuration",
            "dpv:hasDuration": {"@type": "dpv:TemporalDuration", "dpv:hasDuration": "P7Y"},
            "dpv:hasLegalBasis": {"@id": "dpv:LegalObligation"},
            "dpv:hasPersonalData": [{"@id": "#data-name"}],
            "ground": {"nl": "AWR 52(4). (nl)", "en": "AWR 52(4)."},
        },
    ]
    statistics = _activities(policy_jsonld(_small()))["statistics"]
    assert statistics["dpv:hasStorageCondition"][0]["dpv:hasDuration"] == {
        "@type": "dpv:TemporalDuration",
        "dpv:hasDuration": "P2M",
        "starts": "collection",
    }


@pytest.mark.parametrize(
    ("safeguard", "basis", "measure"),
    [
        pytest.param("adequacy", "eu-gdpr:AdequacyDecision", None, id="adequacy"),
        pytest.param("scc", "eu-gdpr:A46-2-c", "eu-gdpr:StandardContractualClauses", id="scc"),
        pytest.param("bcr", "eu-gdpr:A46-2-b", "eu-gdpr:BindingCorporateRules", id="bcr"),
        pytest.param("explicit_consent", "eu-gdpr:A49-1-a", None, id="explicit-consent"),
    ],
)
def test_each_safeguard_is_its_gdpr_extension_term(
    safeguard: str, basis: str, measure: str | None
) -> None:
    policy = _small()
    statistics = policy.activity("statistics")
    transfer = {"recipient": "stats", "country": "CH", "safeguard": safeguard}
    changed = statistics.model_copy(
        update={"transfers": (statistics.transfers[0].model_validate(transfer),)}
    )
    policy = policy.model_copy(update={"activities": (policy.activities[0], changed)})
    (node,) = _activities(policy_jsonld(policy))["statistics"]["transfers"]
    assert node["dpv:hasLegalBasis"] == {"@id": basis}
    assert node.get("dpv:hasOrganisationalMeasure") == ({"@id": measure} if measure else None)
    assert "fallback" not in node and "dpv:hasDataImporter" not in node


def test_public_task_is_dpv_s_public_interest() -> None:
    # DPV 2.x has no dpv:PublicTask; art. 6(1)(e) is dpv:PublicInterest
    policy = _small()
    books = policy.activities[0].model_copy(update={"legal_basis": "public_task"})
    policy = policy.model_copy(update={"activities": (books, policy.activities[1])})
    activity = _activities(policy_jsonld(policy))["bookkeeping"]
    assert activity["dpv:hasLegalBasis"] == {"@id": "dpv:PublicInterest"}


def test_the_controller_and_an_appointed_dpo_are_dpv_entities() -> None:
    officer = {"appointed": True, "name": "A. de Vries", "email": "fg@voorbeeld.nl",
               "assessment": _text("Appointed voluntarily.")}  # fmt: skip
    document = policy_jsonld(_small(data_protection_officer=officer))
    assert document["dpv:hasDataController"] == {
        "@id": "#controller",
        "@type": "dpv:DataController",
        "dpv:hasName": "Voorbeeld B.V.",
        "dpv:hasAddress": "Dorpsstraat 1, 1234 AB Utrecht, NL",
        "dpv:hasContact": "info@voorbeeld.nl",
    }
    assert document["dpv:hasDataProtectionOfficer"] == {
        "@id": "#data-protection-officer",
        "@type": "dpv:DataProtectionOfficer",
        "dpv:hasName": "A. de Vries",
        "dpv:hasContact": "fg@voorbeeld.nl",
    }
    assert document["data_protection_officer"]["appointed"] is True


def test_no_dpo_is_claimed_when_none_is_appointed() -> None:
    officer = {"appointed": False, "assessment": _text("Not required.")}
    document = policy_jsonld(_small(data_protection_officer=officer))
    assert "dpv:hasDataProtectionOfficer" not in document
    assert document["data_protection_officer"] == {
        "appointed": False,
        "assessment": {"nl": "Not required. (nl)", "en": "Not required."},
    }
    assert "data_protection_officer" not in policy_jsonld(_small())
