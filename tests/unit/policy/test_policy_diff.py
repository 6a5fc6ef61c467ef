"""Diffing two policy versions: every rule that makes a change material (L49), needs fresh
consent (L50), or leaves it editorial, on hand-made pairs built from one base policy."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from privaat.policy.diff import Change, ChangeKind, diff_policies
from privaat.policy.schema import Policy
from privaat.policy.validate import check_policy

Mutation = Callable[[dict[str, Any]], None]
M, E = "material", "editorial"


def _text(en: str) -> dict[str, str]:
    return {"nl": f"{en} (nl)", "en": en}


def _activity(aid: str, basis: str, **fields: Any) -> dict[str, Any]:
    activity: dict[str, Any] = {
        "id": aid,
        "name": _text(aid.replace("_", " ")),
        "description": _text(f"What {aid} does."),
        "promises": ["P1"],
        "purposes": ["dpv:ServiceProvision"],
        "data_categories": ["name"],
        "data_subjects": ["dpv:Customer"],
        "legal_basis": basis,
        "retention": {"starts": "collection", "period": "P1Y"},
        "sources": ["data_subject"],
        "objection": {"possible": False},
    }
    activity.update(fields)
    return activity


def _base() -> dict[str, Any]:
    """A small policy with one activity per legal basis and each kind of retention and transfer."""
    address = {"street": "Dorpsstraat 1", "postal_code": "1234 AB", "city": "Utrecht"}
    consent = {
        "version": 1,
        "request": _text("May we?"),
        "channels": ["account_preferences", "unsubscribe_link"],
    }
    return {
        "policy": {"id": "example", "version": 1, "last_updated": "2026-01-01"},
        "promises": [
            {"id": "P1", "summary": "An account"},
            {"id": "P2", "summary": "A dated policy", "met_by": "policy.last_updated"},
        ],
        "controller": {
            "name": "Voorbeeld B.V.",
            "address": {**address, "country": "NL"},
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
            {
                "id": "email",
                "name": _text("E-mail"),
                "dpv": "pd:EmailAddress",
                "fides": "user.contact.email",
            },
            {
                "id": "phone",
                "name": _text("Phone"),
                "dpv": "pd:TelephoneNumber",
                "fides": "user.contact.phone_number",
            },
            {
                "id": "ip",
                "name": _text("IP address"),
                "dpv": "pd:IPAddress",
                "fides": "user.device.ip_address",
            },
        ],  # fmt: skip
        "recipients": [
            {
                "id": "mailer",
                "name": "Mailer B.V.",
                "role": "processor",
                "description": _text("Sends e-mail."),
                "country": "NL",
                "safeguard": "eea",
                "agreement": "DPA 2026",
            },
            {
                "id": "stats_us",
                "name": "Stats Inc.",
                "role": "processor",
                "description": _text("Web statistics."),
                "country": "US",
                "safeguard": "scc",
                "agreement": "DPA 2025",
            },
            {
                "id": "group_ch",
                "name": "Voorbeeld AG",
                "role": "group_company",
                "description": _text("Our Swiss company."),
                "country": "CH",
                "safeguard": "adequacy",
            },
        ],  # fmt: skip
        "activities": [
            _activity(
                "account",
                "contract",
                purposes=["dpv:AccountManagement", "dpv:CustomerCare"],
                data_categories=["name", "email"],
                retention={
                    "starts": "account_closure",
                    "period": "P30D",
                    "legal_holds": [
                        {"period": "P7Y", "ground": _text("Tax law."), "categories": ["name"]}
                    ],
                },
            ),
            _activity(
                "marketing_email",
                "consent",
                purposes=["dpv:DirectMarketing"],
                data_categories=["email"],
                retention={"starts": "consent_withdrawal", "period": "P30D"},
                recipients=["mailer"],
                consent=consent,
            ),
            _activity(
                "marketing_selection",
                "legitimate_interest",
                purposes=["dpv:DirectMarketing"],
                data_categories=["email"],
                legitimate_interest=_text("Sending fewer e-mails."),
                requires_consent_of=["marketing_email"],
                objection={
                    "possible": True,
                    "absolute": True,
                    "overridable": False,
                    "channels": ["account_preferences"],
                },
            ),
            _activity(
                "fraud_detection",
                "legitimate_interest",
                purposes=["dpv:FraudPreventionAndDetection"],
                data_categories=["name", "ip"],
                legitimate_interest=_text("Preventing fraud."),
                retention={
                    "starts": "collection",
                    "period": "P6M",
                    "minimise": [
                        {"after": "P30D", "categories": ["ip"], "method": _text("Truncate to /24.")}
                    ],
                },
                objection={"possible": True, "channels": ["privacy_email"]},
            ),
            _activity(
                "web_statistics",
                "consent",
                purposes=["dpv:ServiceUsageAnalytics"],
                data_categories=["ip"],
                recipients=["stats_us"],
                transfers=[{"recipient": "stats_us", "country": "US", "safeguard": "scc"}],
                consent={**consent, "channels": ["cookie_settings"], "expires_after": "P1Y"},
                cookies=[
                    {
                        "name": "_stats",
                        "recipient": "stats_us",
                        "purpose": _text("Counts visits."),
                        "lifetime": "P1Y",
                    },
                    {
                        "name": "_stats_session",
                        "recipient": "stats_us",
                        "purpose": _text("Counts one visit."),
                    },
                ],  # fmt: skip
            ),
            _activity(
                "invoicing",
                "legal_obligation",
                purposes=["dpv:LegalCompliance"],
                retention={"starts": "collection", "period": "P7Y"},
            ),
        ],  # fmt: skip
    }


BASE = Policy.model_validate(_base())


# --- mutations, addressed by path; list items by their id ---------------------------------


def _walk(data: dict[str, Any], path: str) -> tuple[Any, str]:
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        if isinstance(node, list):
            # list items by their id, or by position where they have none (cookies)
            node = node[int(part)] if part.isdigit() else next(i for i in node if i["id"] == part)
        else:
            node = node[part]
    return node, last


def _id(item: Any) -> Any:
    return item.get("id") if isinstance(item, dict) else None


def _set(path: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        node, key = _walk(data, path)
        node[key] = value

    return mutate


def _add(path: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        node, key = _walk(data, path)
        node.setdefault(key, []).append(value)

    return mutate


def _drop(path: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        node, key = _walk(data, path)
        node[key] = [i for i in node[key] if value not in (i, _id(i))]

    return mutate


def _delete(path: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        node, key = _walk(data, path)
        del node[key]

    return mutate


def _all(*mutations: Mutation) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        for mutation in mutations:
            mutation(data)

    return mutate


A = "activities"
HOLD = {"period": "P7Y", "ground": _text("Tax law."), "categories": ["name"]}
SMS = _activity("marketing_sms", "consent", purposes=["dpv:DirectMarketing"],
                data_categories=["phone"],
                consent={"request": _text("SMS?"),
                         "channels": ["account_preferences"]})  # fmt: skip
COOKIE = {"name": "_basket", "purpose": _text("Keeps your basket."), "lifetime": "P7D"}
SHIPPER = {"id": "shipper", "name": "Ship B.V.", "role": "processor",
           "description": _text("Delivers parcels."), "country": "NL", "safeguard": "eea",
           "agreement": "DPA 2026"}  # fmt: skip

CASES = [
    # --- material: announce before it takes effect (art. 13(3); L49) ---------------------
    pytest.param(_add(A, _activity("support", "contract")),
                 [("support", "activity", M, False)], id="new-activity"),
    pytest.param(_add(A, SMS), [("marketing_sms", "activity", M, True)],
                 id="new-consent-activity-needs-reconsent"),
    pytest.param(_add(f"{A}.account.purposes", "dpv:ServiceProvision"),
                 [("account", "purposes", M, False)], id="new-purpose"),
    pytest.param(_add(f"{A}.marketing_email.purposes", "dpv:ServicePersonalisation"),
                 [("marketing_email", "purposes", M, True)],
                 id="new-purpose-under-consent-needs-reconsent"),
    pytest.param(_add(f"{A}.account.data_categories", "phone"),
                 [("account", "data_categories", M, False)], id="new-data-category"),
    pytest.param(_add(f"{A}.account.data_subjects", "dpv:Visitor"),
                 [("account", "data_subjects", M, False)], id="new-data-subject"),
    pytest.param(_add(f"{A}.account.sources", "third_party"),
                 [("account", "sources", M, False)], id="new-source"),
    pytest.param(_add(f"{A}.account.recipients", "mailer"),
                 [("account", "recipients", M, False)], id="new-recipient-in-activity"),
    pytest.param(_all(_add("recipients", SHIPPER), _add(f"{A}.account.recipients", "shipper")),
                 [(None, "recipients.shipper", M, False), ("account", "recipients", M, False)],
                 id="new-catalogue-recipient-used"),
    pytest.param(_set(f"{A}.invoicing.legal_basis", "contract"),
                 [("invoicing", "legal_basis", M, False)], id="legal-basis-changed"),
    pytest.param(_all(_set(f"{A}.account.legal_basis", "consent"),
                      _set(f"{A}.account.consent", SMS["consent"])),
                 [("account", "legal_basis", M, True)], id="legal-basis-now-consent"),
    pytest.param(_set(f"{A}.account.retention.period", "P60D"),
                 [("account", "retention.period", M, False)], id="longer-retention"),
    pytest.param(_set(f"{A}.fraud_detection.retention.starts", "account_closure"),
                 [("fraud_detection", "retention.starts", M, False)],
                 id="retention-starts-later"),
    pytest.param(_all(_set(f"{A}.account.retention.starts", "event"),
                      _set(f"{A}.account.retention.event", _text("case closed"))),
                 [("account", "retention.starts", M, False)],
                 id="retention-start-that-cannot-be-ordered"),
    pytest.param(_add(f"{A}.fraud_detection.retention.legal_holds",
                      {**HOLD, "period": "P1Y"}),
                 [("fraud_detection", "retention.legal_holds[name]", M, False)],
                 id="new-legal-hold"),
    pytest.param(_set(f"{A}.account.retention.legal_holds", [{**HOLD, "period": "P10Y"}]),
                 [("account", "retention.legal_holds[name]", M, False)], id="longer-legal-hold"),
    pytest.param(_set(f"{A}.fraud_detection.retention.minimise",
                      [{"after": "P90D", "categories": ["ip"],
                        "method": _text("Truncate to /24.")}]),
                 [("fraud_detection", "retention.minimise[ip]", M, False)],
                 id="later-minimisation"),
    pytest.param(_delete(f"{A}.fraud_detection.retention.minimise"),
                 [("fraud_detection", "retention.minimise[ip]", M, False)],
                 id="minimisation-dropped"),
    pytest.param(_all(_add(f"{A}.marketing_email.recipients", "group_ch"),
                      _add(f"{A}.marketing_email.transfers",
                           {"recipient": "group_ch", "country": "CH", "safeguard": "adequacy"})),
                 [("marketing_email", "recipients", M, False),
                  ("marketing_email", "transfers[group_ch]", M, False)], id="new-transfer"),
    pytest.param(_set(f"{A}.web_statistics.transfers",
                      [{"recipient": "stats_us", "country": "IN", "safeguard": "scc"}]),
                 [("web_statistics", "transfers[stats_us]", M, False),
                  ("web_statistics", "transfers[stats_us]", E, False)],
                 id="transfer-to-new-country"),
    pytest.param(_set(f"{A}.web_statistics.transfers",
                      [{"recipient": "stats_us", "country": "US",
                        "safeguard": "explicit_consent"}]),
                 [("web_statistics", "transfers[stats_us].safeguard", M, True)],
                 id="weaker-transfer-safeguard-on-consent"),
    pytest.param(_set("recipients.group_ch.safeguard", "scc"),
                 [(None, "recipients.group_ch.safeguard", M, False)],
                 id="weaker-recipient-safeguard"),
    pytest.param(_set("recipients.mailer.country", "DE"),
                 [(None, "recipients.mailer.country", M, False)], id="recipient-moves-country"),
    pytest.param(_set("recipients.mailer.role", "controller"),
                 [(None, "recipients.mailer.role", M, False)], id="recipient-changes-role"),
    pytest.param(_set(f"{A}.marketing_email.consent.version", 2),
                 [("marketing_email", "consent.version", M, True)],
                 id="consent-version-raised-needs-reconsent"),
    pytest.param(_set(f"{A}.marketing_email.consent.request", _text("Newsletter?")),
                 [("marketing_email", "consent.request", M, True)],
                 id="l86-consent-request-reworded-needs-reconsent"),
    pytest.param(_delete(f"{A}.marketing_selection.requires_consent_of"),
                 [("marketing_selection", "requires_consent_of", M, False)],
                 id="l13-no-longer-limited-to-those-who-consented"),
    pytest.param(_set(f"{A}.marketing_selection.objection.overridable", True),
                 [("marketing_selection", "objection.overridable", M, False)],
                 id="objection-may-now-be-overridden"),
    pytest.param(_set(f"{A}.marketing_email.consent.channels", ["account_preferences"]),
                 [("marketing_email", "consent.channels", M, False)],
                 id="withdrawal-channel-removed"),
    # issue 14 item 5: a double opt-in is how a give is confirmed, not what it covers
    pytest.param(_set(f"{A}.marketing_email.consent.confirm_by_email", "P7D"),
                 [("marketing_email", "consent.confirm_by_email", E, False)],
                 id="double-opt-in-added"),
    pytest.param(_delete(f"{A}.web_statistics.consent.expires_after"),
                 [("web_statistics", "consent.expires_after", M, False)],
                 id="consent-no-longer-expires"),
    pytest.param(_set(f"{A}.web_statistics.consent.expires_after", "P2Y"),
                 [("web_statistics", "consent.expires_after", M, False)],
                 id="consent-lasts-longer"),
    pytest.param(_set(f"{A}.fraud_detection.objection.possible", False),
                 [("fraud_detection", "objection.possible", M, False)],
                 id="objection-no-longer-possible"),
    pytest.param(_set(f"{A}.marketing_selection.objection.absolute", False),
                 [("marketing_selection", "objection.absolute", M, False)],
                 id="objection-no-longer-absolute"),
    pytest.param(_set(f"{A}.account.cookies", [COOKIE]),
                 [("account", "cookies[_basket]", M, False)], id="now-sets-cookies"),
    pytest.param(_set(f"{A}.web_statistics.cookies.0.lifetime", "P2Y"),
                 [("web_statistics", "cookies[_stats].lifetime", M, False)],
                 id="cookie-lives-longer"),
    pytest.param(_set(f"{A}.web_statistics.cookies.1.lifetime", "P30D"),
                 [("web_statistics", "cookies[_stats_session].lifetime", M, False)],
                 id="session-cookie-now-persists"),
    pytest.param(_set(f"{A}.web_statistics.cookies.0.recipient", None),
                 [("web_statistics", "cookies[_stats].recipient", M, False)],
                 id="cookie-read-by-another-party"),
    pytest.param(_set(f"{A}.account.continues_for_minors", True),
                 [("account", "continues_for_minors", M, False)], id="now-continues-for-minors"),
    pytest.param(_set(f"{A}.fraud_detection.profiling", _text("A risk score per order.")),
                 [("fraud_detection", "profiling", M, False)], id="now-profiles"),
    pytest.param(_set(f"{A}.web_statistics.transfers",
                      [{"recipient": "stats_us", "country": "US", "safeguard": "scc",
                        "importer": "Stats Holdings Inc."}]),
                 [("web_statistics", "transfers[stats_us].importer", M, False)],
                 id="transfer-importer-named-or-changed"),
    pytest.param(_set("data_protection_officer",
                      {"appointed": True, "name": "A. de Vries", "email": "fg@voorbeeld.nl",
                       "assessment": _text("Appointed voluntarily.")}),
                 [(None, "data_protection_officer", M, False)], id="dpo-statement-added"),
    pytest.param(_set(f"{A}.account.after_account_closure", True),
                 [("account", "after_account_closure", M, False)], id="now-after-closure"),
    pytest.param(_set(f"{A}.fraud_detection.automated_decision", True),
                 [("fraud_detection", "automated_decision", M, False)],
                 id="now-automated-decisions"),
    pytest.param(_set(f"{A}.account.during_restriction", True),
                 [("account", "during_restriction", M, False)], id="now-during-restriction"),
    pytest.param(_set("controller.name", "Ander B.V."),
                 [(None, "controller.name", M, False)], id="controller-identity"),
    pytest.param(_set("controller.email", "info@ander.nl"),
                 [(None, "controller.email", M, False)], id="controller-contact"),
    pytest.param(_set("privacy_contact.email", "dpo@voorbeeld.nl"),
                 [(None, "privacy_contact.email", M, False)], id="privacy-contact-email"),
    pytest.param(_set("supervisory_authority.name", "CNIL"),
                 [(None, "supervisory_authority.name", M, False)],
                 id="another-supervisory-authority"),
    pytest.param(_set("data_categories.ip.special", True),
                 [(None, "data_categories.ip.special", M, False)], id="now-special-category"),
    # --- editorial: publish with a new date (P19) ------------------------------------------
    pytest.param(_set(f"{A}.account.name", _text("Your account")),
                 [("account", "name", E, False)], id="activity-renamed"),
    pytest.param(_set(f"{A}.account.description", _text("Reworded.")),
                 [("account", "description", E, False)], id="description-reworded"),
    pytest.param(_set(f"{A}.account.promises", ["P1", "P2"]),
                 [("account", "promises", E, False)], id="promises-retraced"),
    pytest.param(_set(f"{A}.account.notes", "Deviates from the seed."),
                 [("account", "notes", E, False)], id="register-notes"),
    pytest.param(_set(f"{A}.account.fides_data_use", "essential.service"),
                 [("account", "fides_data_use", E, False)], id="export-mapping"),
    pytest.param(_set(f"{A}.fraud_detection.legitimate_interest", _text("Stopping fraud.")),
                 [("fraud_detection", "legitimate_interest", E, False)],
                 id="li-statement-reworded-same-basis"),
    pytest.param(_set(f"{A}.account.retention.period", "P14D"),
                 [("account", "retention.period", E, False)], id="shorter-retention"),
    pytest.param(_set(f"{A}.account.retention.starts", "collection"),
                 [("account", "retention.starts", E, False)], id="retention-starts-sooner"),
    pytest.param(_set(f"{A}.account.retention.legal_holds", [{**HOLD, "period": "P5Y"}]),
                 [("account", "retention.legal_holds[name]", E, False)],
                 id="shorter-legal-hold"),
    pytest.param(_delete(f"{A}.account.retention.legal_holds"),
                 [("account", "retention.legal_holds[name]", E, False)], id="legal-hold-lifted"),
    pytest.param(_add(f"{A}.account.retention.minimise",
                      {"after": "P7D", "categories": ["email"], "method": _text("Hash.")}),
                 [("account", "retention.minimise[email]", E, False)], id="new-minimisation"),
    pytest.param(_drop(f"{A}.account.purposes", "dpv:CustomerCare"),
                 [("account", "purposes", E, False)], id="purpose-removed"),
    pytest.param(_drop(f"{A}.account.data_categories", "email"),
                 [("account", "data_categories", E, False)], id="data-category-removed"),
    pytest.param(_delete(f"{A}.marketing_email.recipients"),
                 [("marketing_email", "recipients", E, False)], id="recipient-removed"),
    pytest.param(_all(_drop("recipients", "mailer"), _delete(f"{A}.marketing_email.recipients")),
                 [(None, "recipients.mailer", E, False),
                  ("marketing_email", "recipients", E, False)],
                 id="catalogue-recipient-removed"),
    pytest.param(_add("recipients", SHIPPER), [(None, "recipients.shipper", E, False)],
                 id="catalogue-recipient-added-unused"),
    pytest.param(_drop(A, "invoicing"), [("invoicing", "activity", E, False)],
                 id="activity-removed"),
    pytest.param(_all(_set("policy.version", 2), _set("policy.last_updated", "2026-06-01")),
                 [(None, "policy.version", E, False), (None, "policy.last_updated", E, False)],
                 id="meta-version-and-date"),
    pytest.param(_set(f"{A}.fraud_detection.objection.note", _text("We weigh it.")),
                 [("fraud_detection", "objection.note", E, False)],
                 id="objection-note-reworded"),
    pytest.param(_drop(f"{A}.fraud_detection.objection.channels", "privacy_email"),
                 [("fraud_detection", "objection.channels", M, False)],
                 id="objection-channel-removed"),
    pytest.param(_all(*(_set(f"{A}.account.{field}", _text(f"New {field}."))
                        for field in ("register_description", "notice", "surprise",
                                      "requirement", "security"))),
                 [("account", field, E, False)
                  for field in ("register_description", "notice", "surprise", "requirement",
                                "security")],
                 id="register-and-statement-texts"),
    pytest.param(_set(f"{A}.fraud_detection.dpia",
                      {"criteria": ["fraud_prevention"], "reference": "DPIA-1"}),
                 [("fraud_detection", "dpia", E, False)], id="dpia-screening-recorded"),
    pytest.param(_set(f"{A}.web_statistics.cookies.0.lifetime", "P6M"),
                 [("web_statistics", "cookies[_stats].lifetime", E, False)],
                 id="cookie-lives-shorter"),
    pytest.param(_set(f"{A}.web_statistics.cookies.0.purpose", _text("Tells visits apart.")),
                 [("web_statistics", "cookies[_stats].purpose", E, False)],
                 id="cookie-purpose-reworded"),
    pytest.param(_set(f"{A}.web_statistics.transfers",
                      [{"recipient": "stats_us", "country": "US", "safeguard": "dpf",
                        "fallback": "scc"}]),
                 [("web_statistics", "transfers[stats_us].safeguard", E, False),
                  ("web_statistics", "transfers[stats_us].fallback", E, False)],
                 id="dpf-with-scc-fallback"),
    pytest.param(_set(f"{A}.invoicing.retention.applies_to", ["name"]),
                 [("invoicing", "retention.applies_to", E, False)],
                 id="retention-narrowed-to-a-log"),
    pytest.param(_set("situations", [{"id": "buying", "title": _text("When you buy")}]),
                 [(None, "situations", E, False)], id="statement-sections"),
    pytest.param(_set("promises", [{"id": "P1", "summary": "Accounts"}]),
                 [(None, "promises.P1.summary", E, False), (None, "promises.P2", E, False)],
                 id="promise-catalogue-retraced"),
    pytest.param(_add(f"{A}.marketing_selection.requires_consent_of", "web_statistics"),
                 [("marketing_selection", "requires_consent_of", E, False)],
                 id="now-only-with-another-consent-too"),
    pytest.param(_set(f"{A}.fraud_detection.objection.overridable", False),
                 [("fraud_detection", "objection.overridable", E, False)],
                 id="objection-can-no-longer-be-overridden"),
    pytest.param(_add(f"{A}.marketing_email.consent.channels", "privacy_email"),
                 [("marketing_email", "consent.channels", E, False)],
                 id="withdrawal-channel-added"),
    pytest.param(_set(f"{A}.marketing_email.consent.expires_after", "P2Y"),
                 [("marketing_email", "consent.expires_after", E, False)],
                 id="consent-now-expires"),
    pytest.param(_set(f"{A}.web_statistics.consent.expires_after", "P6M"),
                 [("web_statistics", "consent.expires_after", E, False)],
                 id="consent-expires-sooner"),
    pytest.param(_set(f"{A}.invoicing.objection",
                      {"possible": True, "channels": ["privacy_email"]}),
                 [("invoicing", "objection.possible", E, False),
                  ("invoicing", "objection.channels", E, False)], id="objection-now-possible"),
    pytest.param(_add(f"{A}.fraud_detection.objection.channels", "tell_agent"),
                 [("fraud_detection", "objection.channels", E, False)],
                 id="objection-channel-added"),
    pytest.param(_set(f"{A}.web_statistics.transfers",
                      [{"recipient": "stats_us", "country": "US", "safeguard": "adequacy"}]),
                 [("web_statistics", "transfers[stats_us].safeguard", E, False)],
                 id="stronger-transfer-safeguard"),
    pytest.param(_delete(f"{A}.web_statistics.transfers"),
                 [("web_statistics", "transfers[stats_us]", E, False)], id="transfer-stopped"),
    pytest.param(_set(f"{A}.web_statistics.cookies", []),
                 [("web_statistics", "cookies[_stats]", E, False),
                  ("web_statistics", "cookies[_stats_session]", E, False)],
                 id="no-more-cookies"),
    pytest.param(_set("data_categories.name.name", _text("Full name")),
                 [(None, "data_categories.name.name", E, False)], id="catalogue-wording"),
    pytest.param(_set("privacy_contact.name", _text("Data protection officer")),
                 [(None, "privacy_contact.name", E, False)], id="privacy-contact-title"),
    pytest.param(_set("supervisory_authority.website", "https://ap.nl"),
                 [(None, "supervisory_authority.website", E, False)],
                 id="same-authority-new-website"),
]  # fmt: skip


def test_base_policy_is_consistent() -> None:
    # the cases start from a policy the cross-checks accept, so they are realistic
    assert check_policy(BASE) == []


@pytest.mark.parametrize(("mutate", "expected"), CASES)
def test_l49_l50_each_change_is_classified(
    mutate: Mutation, expected: list[tuple[str | None, str, str, bool]]
) -> None:
    data = copy.deepcopy(_base())
    mutate(data)
    result = diff_policies(BASE, Policy.model_validate(data))
    found = [(c.activity_id, c.field, c.kind.value, c.requires_reconsent) for c in result.changes]
    assert found == expected
    assert result.is_material == (M in {kind for _, _, kind, _ in expected})
    assert result.requires_reconsent == any(reconsent for *_, reconsent in expected)


def test_l86_a_dutch_only_widening_of_a_consent_request_is_material_and_needs_reconsent() -> None:
    # the English text stays as it was; only the Dutch one now also covers SMS and partners
    english = "Yes, send me the newsletter by e-mail."
    before, after = _base(), _base()
    _set(
        f"{A}.marketing_email.consent.request",
        {"nl": "Ja, stuur mij de nieuwsbrief per e-mail.", "en": english},
    )(before)
    _set(f"{A}.marketing_email.consent.request",
         {"nl": "Ja, stuur mij de nieuwsbrief per e-mail en sms, ook met aanbiedingen van "
                "onze partners.", "en": english})(after)  # fmt: skip

    result = diff_policies(Policy.model_validate(before), Policy.model_validate(after))

    (change,) = result.changes
    assert (change.activity_id, change.field) == ("marketing_email", "consent.request")
    assert change.kind is ChangeKind.MATERIAL and change.requires_reconsent
    assert change.languages == ("nl",)
    assert result.reconsent_activities == ("marketing_email",)


def test_l86_a_text_change_names_every_language_that_changed_and_only_those() -> None:
    data = _base()
    _set(f"{A}.account.name", {"nl": "Uw account", "en": "account"})(data)  # "account (nl)" before

    (change,) = diff_policies(BASE, Policy.model_validate(data)).changes

    assert (change.field, change.languages) == ("name", ("nl",))


def test_p19_identical_policies_have_no_changes() -> None:
    result = diff_policies(BASE, Policy.model_validate(_base()))
    assert result.is_empty
    assert not result.is_material
    assert (result.added, result.removed, result.changed) == ((), (), ())


def test_p19_order_and_equal_periods_are_no_change() -> None:
    data = _base()
    _walk(data, f"{A}.account.purposes")[0]["purposes"].reverse()
    data["activities"].reverse()
    _set(f"{A}.invoicing.retention.period", "P84M")(data)  # as long as P7Y
    assert diff_policies(BASE, Policy.model_validate(data)).is_empty


def test_l49_diff_lists_added_removed_and_changed_activities() -> None:
    data = _base()
    _add(A, SMS)(data)
    _drop(A, "invoicing")(data)
    _set(f"{A}.account.retention.period", "P60D")(data)
    _set(f"{A}.fraud_detection.name", _text("Fraud checks"))(data)
    result = diff_policies(BASE, Policy.model_validate(data))
    assert result.added == ("marketing_sms",)
    assert result.removed == ("invoicing",)
    assert result.changed == ("account", "fraud_detection")
    assert result.reconsent_activities == ("marketing_sms",)
    assert [c.field for c in result.for_activity("account")] == ["retention.period"]
    assert [c.field for c in result.material] == ["retention.period", "activity"]
    assert [c.field for c in result.editorial] == ["name", "activity"]


def test_l49_change_values_are_plain_json_values() -> None:
    data = _base()
    _set(f"{A}.account.retention.period", "P60D")(data)
    _set(f"{A}.account.name", _text("Your account"))(data)
    _set("policy.last_updated", "2026-06-01")(data)
    changes = {c.field: c for c in diff_policies(BASE, Policy.model_validate(data)).changes}
    assert (changes["retention.period"].old, changes["retention.period"].new) == ("P30D", "P60D")
    assert changes["name"].new == {"nl": "Your account (nl)", "en": "Your account"}
    assert changes["policy.last_updated"].old == "2026-01-01"


def test_l50_only_a_material_change_can_require_reconsent() -> None:
    with pytest.raises(ValueError, match="only a material change"):
        Change("account", "name", ChangeKind.EDITORIAL, "a", "b", "wording", True)
