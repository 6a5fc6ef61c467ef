"""Consent receipts: one ledger record as the person can take it away (issue 10 item 1, L7).

Pure: a ``ConsentRecord`` and the policy in, a JSON object out. Two published formats:

- **Kantara Initiative Consent Receipt Specification v1.1** (2018): the field set of its
  section 4 (version, jurisdiction, consentTimestamp, collectionMethod, consentReceiptID,
  publicKey?, language?, piiPrincipalId, piiControllers[], policyUrl, services[] with
  purposes[], sensitive, spiCat[]). A Kantara receipt records a consent *given*: it has no
  field for a withdrawal, so a withdrawal is asked for as the ISO record instead.
- **ISO/IEC TS 27560:2023** consent record information structure: the record fields
  (schema version, record id, PII principal, controllers, notice with its hash, purposes,
  PII categories, processing) and an event (type, time, state, by whom, method, medium),
  after the DPVCG guide that maps the TS's fields to DPV
  (https://w3id.org/dpv/guides/consent-27560). The TS gives an information structure, not
  one JSON spelling: the snake_case names here render its field names and are not
  normative; the schema pins them so a receipt cannot drift.

The JSON Schemas that hold both to their field lists: ``privaat/schemas/``.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from enum import StrEnum
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from privaat.policy.schema import Policy, ProcessingActivity, RecipientRole
from privaat.services.errors import Conflict

if TYPE_CHECKING:
    from privaat.services.consents import ConsentRecord

__all__ = [
    "ISO_27560_VERSION",
    "KANTARA_VERSION",
    "ReceiptFormat",
    "build",
    "iso_27560",
    "json_schema",
    "kantara",
    "receipt_id",
]


class ReceiptFormat(StrEnum):
    """The two published receipt formats (module docstring)."""

    KANTARA = "kantara"  # Kantara Initiative Consent Receipt Specification v1.1
    ISO_27560 = "iso27560"  # ISO/IEC TS 27560:2023 consent record information structure


KANTARA_VERSION = "KI-CR-v1.1.0"  # Kantara CR v1.1 §4.1: the value of "version"
ISO_27560_VERSION = "ISO/IEC TS 27560:2023"
# a stable namespace for receipt ids, so the same record always has the same receipt id
_RECEIPTS = uuid.uuid5(uuid.NAMESPACE_URL, "https://privaat.dev/consent-receipts")

# how each method reads as a Kantara collectionMethod / an ISO medium (words, not codes)
_COLLECTION = {
    "sign_up": ("sign-up form", "web form"),
    "privacy_centre": ("privacy centre", "web form"),
    "cookie_banner": ("cookie banner", "web banner"),
    "email_link": ("e-mail link", "e-mail"),
    "support": ("support", "support conversation"),
    "support_access_page": ("support access page", "web form"),
    "api": ("API", "API"),
}
# third parties in the Kantara sense: someone other than the controller and its processors
_THIRD_PARTY_ROLES = frozenset(
    {RecipientRole.CONTROLLER, RecipientRole.JOINT_CONTROLLER, RecipientRole.GROUP_COMPANY}
)


_SCHEMA_FILES = {
    ReceiptFormat.KANTARA: "kantara-consent-receipt-1.1.schema.json",
    ReceiptFormat.ISO_27560: "iso-27560-consent-record.schema.json",
}


def json_schema(fmt: ReceiptFormat) -> dict[str, Any]:
    """The JSON Schema a receipt of format ``fmt`` validates against (``privaat/schemas``)."""
    text = files("privaat").joinpath("schemas", _SCHEMA_FILES[fmt]).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def build(
    fmt: ReceiptFormat,
    record: ConsentRecord,
    *,
    policy: Policy,
    principal_id: str,
    base_url: str = "",
) -> dict[str, object]:
    """``record`` as a receipt of format ``fmt``; Conflict when the running policy no
    longer declares the record's activity (the version it was given under still does)."""
    try:
        policy.activity(record.activity)
    except KeyError:
        raise Conflict(
            f"the current privacy statement no longer describes '{record.activity}'; version "
            f"{record.policy_version}, under which this record was made, does "
            f"({_policy_url(record, base_url)})"
        ) from None
    if fmt is ReceiptFormat.KANTARA:
        return kantara(record, policy=policy, principal_id=principal_id, base_url=base_url)
    return iso_27560(record, policy=policy, principal_id=principal_id, base_url=base_url)


def receipt_id(record: ConsentRecord, policy: Policy) -> str:
    """A stable UUID for the record's receipt (Kantara consentReceiptID, ISO record_id)."""
    return str(uuid.uuid5(_RECEIPTS, f"{policy.policy.id}/{record.id}"))


def _policy_url(record: ConsentRecord, base_url: str) -> str:
    # the version the person was shown stays readable there (issue 9, L48)
    version = f"/v/{record.policy_version}" if record.policy_version else ""
    return f"{base_url}/privacy{version}"


def _address(policy: Policy) -> str:
    a = policy.controller.address
    return f"{a.street}, {a.postal_code} {a.city}, {a.country}"


def _lang(record: ConsentRecord) -> str:
    return record.lang or "nl"


def _categories(policy: Policy, activity: ProcessingActivity, lang: str) -> list[str]:
    return [policy.category(c).name.in_language(lang) for c in activity.data_categories]


def _special(policy: Policy, activity: ProcessingActivity, lang: str) -> list[str]:
    return [
        policy.category(c).name.in_language(lang)
        for c in activity.data_categories
        if policy.category(c).special
    ]


def _third_parties(policy: Policy, activity: ProcessingActivity) -> list[str]:
    return [
        policy.recipient(r).name
        for r in activity.recipients
        if policy.recipient(r).role in _THIRD_PARTY_ROLES
    ]


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def kantara(
    record: ConsentRecord, *, policy: Policy, principal_id: str, base_url: str = ""
) -> dict[str, object]:
    """The Kantara CR v1.1 receipt of a consent given (withdrawals: Conflict)."""
    if not record.given:
        raise Conflict(
            "a Kantara consent receipt records a consent given and this record is a "
            "withdrawal; ask for format=iso27560, which records both"
        )
    activity = policy.activity(record.activity)
    lang = _lang(record)
    third = _third_parties(policy, activity)
    special = _special(policy, activity, lang)
    controller = policy.controller
    purpose: dict[str, Any] = {
        "purpose": activity.name.in_language(lang),
        "purposeCategory": list(activity.purposes),  # DPV purpose terms
        "consentType": "EXPLICIT",  # an unticked box the person ticked (L8)
        "piiCategory": _categories(policy, activity, lang),
        "primaryPurpose": False,  # a consent is never the purpose of the service (L12)
        "termination": _termination(activity, lang),
        "thirdPartyDisclosure": bool(third),
    }
    if third:
        purpose["thirdPartyName"] = ", ".join(third)
    receipt: dict[str, Any] = {
        "version": KANTARA_VERSION,
        "jurisdiction": controller.address.country,
        "consentTimestamp": _epoch(record.at),
        "collectionMethod": _COLLECTION[record.method.value][0],
        "consentReceiptID": receipt_id(record, policy),
        "language": lang,
        "piiPrincipalId": principal_id,
        "piiControllers": [
            {
                "piiController": controller.name,
                "contact": policy.privacy_contact.name.in_language(lang),
                "address": _address(policy),
                "email": policy.privacy_contact.email,
                # the policy file names no telephone number: none is invented here
                "phone": "",
                **({"piiControllerUrl": controller.website} if controller.website else {}),
            }
        ],
        "policyUrl": _policy_url(record, base_url),
        "services": [{"service": controller.name, "purposes": [purpose]}],
        "sensitive": bool(special),
        "spiCat": special,
    }
    return receipt


def _event_type(record: ConsentRecord) -> str:
    # a double opt-in's request is a consent asked, not refused (DPV ConsentRequested)
    if record.requested:
        return "consent_requested"
    return "consent_given" if record.given else "consent_withdrawn"


def _event_state(record: ConsentRecord) -> str:
    if record.requested:
        return "requested"
    return "active" if record.given else "withdrawn"


def _termination(activity: ProcessingActivity, lang: str) -> str:
    # Kantara "termination": the conditions under which the consent ends
    if lang == "nl":
        return "Tot u uw toestemming intrekt; dat kan op elk moment, net zo makkelijk."
    return "Until you withdraw your consent; you can do so at any time, just as easily."


def iso_27560(
    record: ConsentRecord, *, policy: Policy, principal_id: str, base_url: str = ""
) -> dict[str, object]:
    """The ISO/IEC TS 27560:2023 consent record of a give or a withdrawal."""
    activity = policy.activity(record.activity)
    lang = _lang(record)
    controller = policy.controller
    collection, medium = _COLLECTION[record.method.value]
    event: dict[str, Any] = {
        "event_time": record.at.isoformat(),
        "event_type": _event_type(record),
        "event_state": _event_state(record),
        "event_by": "pii_principal",
        "collection_method": collection,
        "medium": medium,
    }
    if record.expires_at is not None:
        event["expiry"] = record.expires_at.isoformat()
    return {
        "schema_version": ISO_27560_VERSION,
        "record_id": receipt_id(record, policy),
        "ledger_id": record.id,
        "pii_principal_id": principal_id,
        "pii_controllers": [
            {
                "name": controller.name,
                "address": _address(policy),
                "email": policy.privacy_contact.email,
                **({"url": controller.website} if controller.website else {}),
            }
        ],
        "jurisdiction": controller.address.country,
        "applicable_law": "GDPR",
        "legal_basis": "GDPR art. 6(1)(a)",
        "notice": {
            "policy_url": _policy_url(record, base_url),
            "policy_version": record.policy_version,
            "consent_version": record.consent_version,
            "language": record.lang,
            # art. 7(1), L86: the hash of the exact request text shown
            "text_hash": {"algorithm": "SHA-256", "value": record.text_sha256},
        },
        "purposes": [
            {
                "purpose_id": activity.id,
                "purpose": activity.name.in_language(lang),
                "purpose_category": list(activity.purposes),
                "pii_categories": _categories(policy, activity, lang),
                "processing": activity.description.in_language(lang),
                "third_parties": _third_parties(policy, activity),
            }
        ],
        "event": [event],
    }
