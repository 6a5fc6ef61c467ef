"""The policy as JSON with W3C DPV terms as JSON-LD: the machine-readable twin of the statement.

    policy_jsonld(policy) ──► {"@context": …, "@type": "dpv:PersonalDataHandling", …}
        ├── dpv:hasDataController          the controller (art. 13(1)(a))
        ├── dpv:hasDataProtectionOfficer   only when one is appointed (art. 37)
        └── dpv:hasPersonalDataHandling    one node per processing activity, in file order
              ├── dpv:hasPurpose           its DPV purposes
              ├── dpv:hasPersonalData      each category: an instance of its pd: (or dpv:)
              │                            class, with the file's id and names in nl and en
              ├── dpv:hasLegalBasis        art. 6(1)
              ├── dpv:hasDataSubject
              ├── dpv:hasRecipient         typed by role: dpv:DataProcessor, …
              ├── dpv:hasJointDataControllers   art. 26, with the arrangement
              ├── dpv:hasStorageCondition  dpv:StorageDuration with the ISO 8601 period
              └── transfers                each a dpv:Transfer of its own, with
                                           dpv:hasThirdCountry, dpv:hasDataImporter and the
                                           GDPR extension's safeguard terms (eu-gdpr:)

Served at ``/privacy.json`` beside the statement. It says what the public statement says and
no more: the register's own fields (LIA and DPIA references, security measures, notes) stay
in the register. Every term is one that exists in DPV 2.x (``https://w3id.org/dpv#``) or its
extensions for personal data (``pd:``), locations (``loc:``) and the GDPR (``eu-gdpr:``):
the transfer safeguards (adequacy decisions, SCCs, BCRs) are GDPR concepts and live in the
``eu-gdpr:`` extension, not in core DPV. The keys without a prefix are plain JSON for readers
that do not speak JSON-LD; those the context does not map (``safeguard``, ``fallback``,
``starts``…) are dropped by a JSON-LD processor, with everything under them, so they can never
assert anything wrong about a DPV term.

Node ids are fragments (``#activity-account``), which resolve against the address the
document is served from. Pure: no I/O; the result is plain data for ``json.dumps``, with a
key order fixed by the code, not by a dict's hashing.
"""

from __future__ import annotations

from typing import Any

from privaat.policy.schema import (
    Address,
    Cookie,
    LegalBasis,
    Policy,
    ProcessingActivity,
    Recipient,
    RecipientRole,
    Retention,
    RetentionStart,
    Safeguard,
    Text,
    Transfer,
)

__all__ = ["CONTEXT", "policy_jsonld"]

JsonObject = dict[str, Any]

# the prefixes and the few plain keys that have a standard meaning
CONTEXT: JsonObject = {
    "dpv": "https://w3id.org/dpv#",
    "pd": "https://w3id.org/dpv/pd#",
    "loc": "https://w3id.org/dpv/loc#",
    "eu-gdpr": "https://w3id.org/dpv/legal/eu/gdpr#",
    "dct": "http://purl.org/dc/terms/",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    # a text in every published language: {"nl": …, "en": …} is a language map
    "name": {"@id": "dct:title", "@container": "@language"},
    "description": {"@id": "dct:description", "@container": "@language"},
    "identifier": "dct:identifier",
    "modified": {"@id": "dct:modified", "@type": "xsd:date"},
    "valid": {"@id": "dct:valid", "@type": "xsd:date"},
    "language": "dct:language",
    "version": "owl:versionInfo",
    # a transfer is processing of its own (dpv:Transfer) inside the activity
    "transfers": "dpv:hasPersonalDataHandling",
}

# art. 6(1) in DPV (LegalBasis.dpv)
_LEGAL_BASIS = {basis: basis.dpv for basis in LegalBasis}

# a recipient's role as a DPV entity class (entities_legalrole, entities_authority)
_ROLE = {
    RecipientRole.PROCESSOR: "dpv:DataProcessor",
    RecipientRole.CONTROLLER: "dpv:DataController",
    # each joint controller is a controller; the pair is a dpv:JointDataControllers group
    RecipientRole.JOINT_CONTROLLER: "dpv:DataController",
    RecipientRole.GROUP_COMPANY: "dpv:Recipient",
    RecipientRole.AUTHORITY: "dpv:Authority",
    RecipientRole.SUCCESSOR: "dpv:Recipient",
}

# the ground of a transfer (art. 45-49) in DPV's GDPR extension: the legal basis, and the
# measure that carries it where the extension has one. Inside the EEA there is no transfer.
_TRANSFER_BASIS = {
    Safeguard.ADEQUACY: "eu-gdpr:AdequacyDecision",
    # the EU-US Data Privacy Framework is an art. 45(3) adequacy decision (C(2023) 4745)
    Safeguard.DATA_PRIVACY_FRAMEWORK: "eu-gdpr:AdequacyDecision",
    Safeguard.SCC: "eu-gdpr:A46-2-c",
    Safeguard.BCR: "eu-gdpr:A46-2-b",
    Safeguard.EXPLICIT_CONSENT: "eu-gdpr:A49-1-a",
}
_TRANSFER_MEASURE = {
    Safeguard.SCC: "eu-gdpr:StandardContractualClauses",
    Safeguard.BCR: "eu-gdpr:BindingCorporateRules",
}

# a period from collection is a fixed duration; the others run until an event, then on
_DURATION = {
    RetentionStart.COLLECTION: "dpv:TemporalDuration",
    RetentionStart.ACCOUNT_CLOSURE: "dpv:UntilEventDuration",
    RetentionStart.EVENT: "dpv:UntilEventDuration",
    RetentionStart.CONSENT_WITHDRAWAL: "dpv:UntilEventDuration",
}


def policy_jsonld(policy: Policy) -> JsonObject:
    """The policy as a JSON-LD document of DPV terms, ready for ``json.dumps``."""
    meta = policy.policy
    document: JsonObject = {
        "@context": dict(CONTEXT),
        "@id": "#policy",
        "@type": "dpv:PersonalDataHandling",
        "identifier": meta.id,
        "version": meta.version,
        "modified": meta.last_updated.isoformat(),
    }
    if meta.effective is not None:
        document["valid"] = meta.effective.isoformat()
    document["language"] = list(meta.languages)
    document["dpv:hasDataController"] = _controller(policy)
    officer = policy.data_protection_officer
    if officer is not None:
        if officer.appointed:
            document["dpv:hasDataProtectionOfficer"] = {
                "@id": "#data-protection-officer",
                "@type": "dpv:DataProtectionOfficer",
                "dpv:hasName": officer.name,
                "dpv:hasContact": officer.email,
            }
        document["data_protection_officer"] = {
            "appointed": officer.appointed,
            "assessment": _text(officer.assessment),
        }
    contact = policy.privacy_contact
    document["privacy_contact"] = {
        "name": _text(contact.name),
        "dpv:hasContact": contact.email,
    }
    authority = policy.supervisory_authority
    document["supervisory_authority"] = {
        "@id": "#supervisory-authority",
        "@type": "dpv:DataProtectionAuthority",
        "dpv:hasName": authority.name,
        "website": authority.website,
        "complaint_url": authority.complaint_url,
    }
    if policy.processor_role is not None:
        document["processor_role"] = _text(policy.processor_role)
    document["dpv:hasPersonalDataHandling"] = [_activity(policy, a) for a in policy.activities]
    return document


def _controller(policy: Policy) -> JsonObject:
    controller = policy.controller
    node: JsonObject = {
        "@id": "#controller",
        "@type": "dpv:DataController",
        "dpv:hasName": controller.name,
        "dpv:hasAddress": _address(controller.address),
        "dpv:hasContact": controller.email,
    }
    if controller.website is not None:
        node["website"] = controller.website
    if controller.chamber_of_commerce is not None:
        node["chamber_of_commerce"] = controller.chamber_of_commerce
    return node


def _activity(policy: Policy, activity: ProcessingActivity) -> JsonObject:
    node: JsonObject = {
        "@id": f"#activity-{activity.id}",
        "@type": "dpv:PersonalDataHandling",
        "identifier": activity.id,
        "name": _text(activity.name),
        "description": _text(activity.description),
    }
    if activity.situation is not None:
        node["situation"] = activity.situation
    node["dpv:hasPurpose"] = [{"@id": purpose} for purpose in activity.purposes]
    node["dpv:hasPersonalData"] = [
        _category_node(policy, category_id) for category_id in activity.data_categories
    ]
    node["dpv:hasLegalBasis"] = {"@id": _LEGAL_BASIS[activity.legal_basis]}
    if activity.legitimate_interest is not None:
        # art. 13(1)(d): the interest itself, as the statement names it
        node["legitimate_interest"] = _text(activity.legitimate_interest)
    node["dpv:hasDataSubject"] = [{"@id": subject} for subject in activity.data_subjects]
    node["sources"] = [source.value for source in activity.sources]
    if activity.requirement is not None:
        node["requirement"] = _text(activity.requirement)  # art. 13(2)(e)
    if activity.profiling is not None or activity.automated_decision:
        # art. 4(4), 13(2)(f): profiling named where it happens
        node["dpv:hasProcessing"] = [{"@id": "dpv:Profiling"}]
        if activity.profiling is not None:
            node["profiling"] = _text(activity.profiling)
    node["automated_decision"] = activity.automated_decision
    # the transfers' recipients are recipients too (art. 4(9)), listed or not
    recipient_ids = dict.fromkeys(
        [*activity.recipients, *(t.recipient for t in activity.transfers)]
    )
    recipients = [policy.recipient(r) for r in recipient_ids]
    node["dpv:hasRecipient"] = [_recipient(r) for r in recipients]
    joint = [r for r in recipients if r.role is RecipientRole.JOINT_CONTROLLER]
    if joint:
        # art. 26: the controller and each joint controller decide together
        node["dpv:hasJointDataControllers"] = {
            "@id": f"#activity-{activity.id}-joint-controllers",
            "@type": "dpv:JointDataControllers",
            "dpv:hasDataController": [
                {"@id": "#controller"},
                *({"@id": _recipient_id(r)} for r in joint),
            ],
            "arrangements": [
                {"recipient": r.id, "arrangement": _text(r.arrangement)}
                for r in joint
                if r.arrangement is not None
            ],
        }
    node["dpv:hasStorageCondition"] = _storage(policy, activity.retention)
    node["transfers"] = [_transfer(activity, t, i) for i, t in enumerate(activity.transfers, 1)]
    if activity.consent is not None:
        node["consent"] = {
            "version": activity.consent.version,
            "request": _text(activity.consent.request),
            "channels": [c.value for c in activity.consent.channels],
        }
    objection = activity.objection
    node["objection"] = {
        "possible": objection.possible,
        "absolute": objection.absolute,
        "channels": [c.value for c in objection.channels],
    }
    if activity.cookies:
        node["cookies"] = [_cookie(c) for c in activity.cookies]
    return node


def _category_node(policy: Policy, category_id: str) -> JsonObject:
    category = policy.category(category_id)
    # an instance of the DPV class, so two categories of one class stay two nodes
    types = [category.dpv]
    if category.special:
        types.append("dpv:SpecialCategoryPersonalData")  # art. 9
    return {
        "@id": f"#data-{category.id}",
        "@type": types if len(types) > 1 else types[0],
        "identifier": category.id,
        "name": _text(category.name),
    }


def _recipient_id(recipient: Recipient) -> str:
    return f"#recipient-{recipient.id}"


def _recipient(recipient: Recipient) -> JsonObject:
    node: JsonObject = {
        "@id": _recipient_id(recipient),
        "@type": _ROLE[recipient.role],
        "identifier": recipient.id,
        "dpv:hasName": recipient.name,
        "role": recipient.role.value,
        "description": _text(recipient.description),
    }
    if recipient.country is not None:
        node["dpv:hasCountry"] = {"@id": f"loc:{recipient.country}"}
    if recipient.privacy_policy_url is not None:
        node["privacy_policy_url"] = recipient.privacy_policy_url
    return node


def _storage(policy: Policy, retention: Retention) -> list[JsonObject]:
    duration: JsonObject = {
        "@type": _DURATION[retention.starts],
        "dpv:hasDuration": str(retention.period),  # ISO 8601, e.g. "P6M"
        "starts": retention.starts.value,
    }
    if retention.event is not None:
        duration["description"] = _text(retention.event)
    main: JsonObject = {"@type": "dpv:StorageDuration", "dpv:hasDuration": duration}
    if retention.applies_to:
        # only these categories are kept this long (e.g. the disclosure log, not the data)
        main["dpv:hasPersonalData"] = [{"@id": f"#data-{c}"} for c in retention.applies_to]
    conditions = [main]
    for hold in retention.legal_holds:
        # a statutory retention that outlives the activity, e.g. 7 years for the tax
        conditions.append(
            {
                "@type": "dpv:StorageDuration",
                "dpv:hasDuration": {
                    "@type": "dpv:TemporalDuration",
                    "dpv:hasDuration": str(hold.period),
                },
                "dpv:hasLegalBasis": {"@id": "dpv:LegalObligation"},
                "dpv:hasPersonalData": [{"@id": f"#data-{c}"} for c in hold.categories],
                "ground": _text(hold.ground),
            }
        )
    return conditions


def _transfer(activity: ProcessingActivity, transfer: Transfer, number: int) -> JsonObject:
    node: JsonObject = {
        "@id": f"#activity-{activity.id}-transfer-{number}",
        "@type": "dpv:PersonalDataHandling",
        "dpv:hasProcessing": {"@id": "dpv:Transfer"},
        "dpv:hasRecipient": {"@id": f"#recipient-{transfer.recipient}"},
        "dpv:hasThirdCountry": {"@id": f"loc:{transfer.country}"},
    }
    if transfer.importer is not None:
        # the company in the third country that receives it, e.g. Google LLC
        node["dpv:hasDataImporter"] = {
            "@type": "dpv:DataImporter",
            "dpv:hasName": transfer.importer,
        }
    node |= _safeguard(transfer.safeguard)
    if transfer.fallback is not None:
        # plain JSON only: the fallback is not the ground the transfer rests on today
        node["fallback"] = _safeguard(transfer.fallback)
    return node


def _safeguard(safeguard: Safeguard) -> JsonObject:
    node: JsonObject = {"safeguard": safeguard.value}
    if safeguard in _TRANSFER_BASIS:
        node["dpv:hasLegalBasis"] = {"@id": _TRANSFER_BASIS[safeguard]}
    if safeguard in _TRANSFER_MEASURE:
        node["dpv:hasOrganisationalMeasure"] = {"@id": _TRANSFER_MEASURE[safeguard]}
    return node


def _cookie(cookie: Cookie) -> JsonObject:
    return {
        "name": cookie.name,
        "kind": cookie.kind.value,
        "recipient": cookie.recipient,
        "first_party": cookie.first_party,
        "purpose": _text(cookie.purpose),
        # none: a session cookie, gone when the browser closes
        "lifetime": str(cookie.lifetime) if cookie.lifetime is not None else None,
    }


def _text(text: Text) -> dict[str, str]:
    return {"nl": text.nl, "en": text.en}


def _address(address: Address) -> str:
    return f"{address.street}, {address.postal_code} {address.city}, {address.country}"
