"""A policy as a fideslang resource manifest, so Fides and tools that read its taxonomy can use it.

    {"organization": [Organization]}     the controller, and its DPO when one is appointed
    {"system": [System]}                 one system: the provider's services
        ├── privacy_declarations         one per processing activity, in policy order
        └── meta.privaat                 what fideslang has no per-declaration field for:
                                         each activity's id, profiling and cookies

One system, not one per service (hosting, VoIP, shop…): the policy declares activities,
not which service runs them, and an activity such as account security spans all services.
Splitting would mean guessing; a Fides user can still split the exported system by hand.

Pure: returns plain dicts and lists ready for YAML or JSON; it does not import the
``fideslang`` package (a dev dependency, which the tests use to validate the output).
Field names follow fideslang 3.1 (``fideslang.models.System``, ``PrivacyDeclaration``). In
3.1 profiling and cookies are fields of the system only (``uses_profiling``,
``uses_cookies``, ``uses_non_cookie_access``, ``cookie_max_age_seconds``); the per-declaration
``cookies`` field is deprecated and ignored, and validating it warns. So the system carries
the flags fideslang defines, and ``meta.privaat`` says which activity profiles and which
cookies each activity sets, by activity id.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from privaat.policy.schema import (
    Address,
    Cookie,
    DataSource,
    LegalBasis,
    Policy,
    ProcessingActivity,
    RecipientRole,
    RetentionStart,
    Safeguard,
    StorageKind,
)

__all__ = ["DATA_SUBJECTS", "DATA_USES", "FideslangExportError", "data_use", "to_fideslang"]

Manifest = dict[str, list[dict[str, Any]]]


class FideslangExportError(ValueError):
    """The policy cannot be expressed in the fideslang taxonomy; the message lists why."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            "cannot export to fideslang:\n" + "\n".join(f"- {p}" for p in self.problems)
        )


# DPV purposes (w3id.org/dpv, v2) → fideslang data uses (DEFAULT_TAXONOMY, fideslang 3.1).
# An activity's first purpose that appears here decides its data use: fideslang gives a
# privacy declaration one use, DPV lets an activity have several purposes.
DATA_USES: dict[str, str] = {
    # providing what the person asked for: the contract (art. 6(1)(b))
    "dpv:ServiceProvision": "essential.service",
    "dpv:RequestedServiceProvision": "essential.service",
    "dpv:ServiceRegistration": "essential.service",
    "dpv:AccountManagement": "essential.service",
    "dpv:CustomerManagement": "essential.service",
    "dpv:CustomerRelationshipManagement": "essential.service",
    "dpv:CustomerOrderManagement": "essential.service",
    "dpv:EstablishContractualAgreement": "essential.service",
    "dpv:FulfilmentOfContractualObligation": "essential.service",
    "dpv:SellProducts": "essential.service",
    "dpv:SellProductsToDataSubject": "essential.service",
    "dpv:DeliveryOfGoods": "essential.service",
    "dpv:SearchFunctionalities": "essential.service",
    "dpv:PaymentManagement": "essential.service.payment_processing",
    "dpv:TechnicalServiceProvision": "essential.service.operations",
    "dpv:RepairImpairments": "essential.service.operations",
    "dpv:IncreaseServiceRobustness": "essential.service.operations.improve",
    "dpv:CustomerCare": "essential.service.operations.support",
    "dpv:CommunicationForCustomerCare": "essential.service.operations.support",
    "dpv:CustomerClaimsManagement": "essential.service.operations.support",
    "dpv:CommunicationManagement": "essential.service.notifications",
    # security and fraud
    "dpv:EnforceSecurity": "essential.service.security",
    "dpv:EnforceAccessControl": "essential.service.security",
    "dpv:IdentityAuthentication": "essential.service.authentication",
    "dpv:IdentityVerification": "essential.service.authentication",
    "dpv:FraudPreventionAndDetection": "essential.fraud_detection",
    "dpv:MaintainFraudDatabase": "essential.fraud_detection",
    "dpv:MisusePreventionAndDetection": "essential.fraud_detection",
    # obligations and the organisation itself
    "dpv:LegalCompliance": "essential.legal_obligation",
    "dpv:FulfilmentOfObligation": "essential.legal_obligation",
    "dpv:OrganisationComplianceManagement": "essential.legal_obligation",
    "dpv:RightsFulfillment": "essential.legal_obligation",  # art. 12-22
    "dpv:AgeVerification": "essential.legal_obligation",  # art. 8; UAVG art. 5
    "dpv:CounterMoneyLaundering": "essential.legal_obligation",
    "dpv:DisputeManagement": "operations",
    "dpv:OrganisationGovernance": "operations",
    "dpv:OrganisationRiskManagement": "operations",
    "dpv:RecordManagement": "operations",
    "dpv:MemberPartnerManagement": "operations",
    "dpv:ImproveInternalCRMProcesses": "operations",
    "dpv:InternalResourceOptimisation": "operations",
    "dpv:VendorManagement": "operations",
    "dpv:VendorPayment": "operations",
    "dpv:VendorRecordsManagement": "operations",
    "dpv:VendorSelectionAssessment": "operations",
    "dpv:HumanResourceManagement": "employment",
    "dpv:PersonnelManagement": "employment",
    "dpv:PersonnelPayment": "employment",
    "dpv:PersonnelHiring": "employment.recruitment",
    # improving the service and measuring its use
    "dpv:ServiceOptimisation": "functional.service.improve",
    "dpv:ImproveExistingProductsAndServices": "functional.service.improve",
    "dpv:OptimisationForController": "functional.service.improve",
    "dpv:OptimisationForConsumer": "functional.service.improve",
    "dpv:OptimiseUserInterface": "functional.service.improve",
    "dpv:ServiceUsageAnalytics": "analytics.reporting",
    "dpv:ResearchAndDevelopment": "analytics",
    "dpv:CommercialResearch": "analytics",
    "dpv:Personalisation": "personalize",
    "dpv:ServicePersonalisation": "personalize.system",
    "dpv:UserInterfacePersonalisation": "personalize.system",
    "dpv:ProvidePersonalisedRecommendations": "personalize.content",
    "dpv:ProvideProductRecommendations": "personalize.content",
    "dpv:ProvideEventRecommendations": "personalize.content",
    # marketing
    "dpv:Marketing": "marketing",
    "dpv:PublicRelations": "marketing",
    "dpv:DirectMarketing": "marketing.communications",
    "dpv:Advertising": "marketing.advertising",
    "dpv:PersonalisedAdvertising": "marketing.advertising.first_party.targeted",
    "dpv:TargetedAdvertising": "marketing.advertising.first_party.targeted",
    "dpv:SocialMediaMarketing": "marketing.advertising.third_party",
    # selling data or insights is sharing with third parties, whatever the basis
    "dpv:SellDataToThirdParties": "third_party_sharing",
    "dpv:SellInsightsFromData": "third_party_sharing",
}

# when no purpose maps, the basis alone can: art. 6(1)(c) is always a legal obligation
_USE_BY_BASIS = {LegalBasis.LEGAL_OBLIGATION: "essential.legal_obligation"}

# fideslang names the channel of a communication; DPV does not, the contact data used does
_BY_EMAIL = {
    "marketing.communications": "marketing.communications.email",
    "essential.service.notifications": "essential.service.notifications.email",
}
_EMAIL, _PHONE = "user.contact.email", "user.contact.phone_number"

# DPV data subjects (the terms a policy uses) → fideslang data subjects (DEFAULT_TAXONOMY).
# fideslang names a person's relation to the organisation; DPV terms that name a quality
# instead (dpv:Child, dpv:Adult, dpv:VulnerableDataSubject) are left out on purpose: they
# qualify another subject and an activity must also name that one.
DATA_SUBJECTS: dict[str, str] = {
    "dpv:Customer": "customer",
    "dpv:Client": "customer",
    "dpv:Consumer": "customer",
    "dpv:Subscriber": "customer",
    "dpv:Member": "customer",
    "dpv:User": "customer",  # a user of the provider's services is its customer
    "dpv:Visitor": "visitor",
    "dpv:Tourist": "visitor",
    "dpv:JobApplicant": "job_applicant",
    "dpv:Employee": "employee",
    "dpv:Patient": "patient",
    "dpv:ParentOfDataSubject": "next_of_kin",
    "dpv:GuardianOfDataSubject": "next_of_kin",
}
_QUALITIES = frozenset(
    {
        "dpv:Child",
        "dpv:Adult",
        "dpv:ElderlyDataSubject",
        "dpv:VulnerableDataSubject",
        "dpv:MentallyVulnerableDataSubject",
    }
)

_LEGAL_BASIS = {
    LegalBasis.CONSENT: "Consent",
    LegalBasis.CONTRACT: "Contract",
    LegalBasis.LEGAL_OBLIGATION: "Legal obligations",
    LegalBasis.VITAL_INTERESTS: "Vital interests",
    LegalBasis.PUBLIC_TASK: "Public interest",
    LegalBasis.LEGITIMATE_INTEREST: "Legitimate interests",
}
# art. 22(2): an automated decision rests on a contract, a law, or explicit consent
_PROFILING_BASIS = {
    LegalBasis.CONTRACT: "Contract",
    LegalBasis.LEGAL_OBLIGATION: "Authorised by law",
    LegalBasis.CONSENT: "Explicit consent",
}
# fideslang's LegalBasisForTransfersEnum; inside the EEA there is no chapter V transfer
_TRANSFER_BASIS = {
    Safeguard.ADEQUACY: "Adequacy Decision",
    # the EU-US Data Privacy Framework is an art. 45 adequacy decision (C(2023) 4745)
    Safeguard.DATA_PRIVACY_FRAMEWORK: "Adequacy Decision",
    Safeguard.SCC: "SCCs",
    Safeguard.BCR: "BCRs",
    Safeguard.EXPLICIT_CONSENT: "Other",
}
_STARTS = {
    RetentionStart.COLLECTION: "collection",
    RetentionStart.ACCOUNT_CLOSURE: "account closure",
    RetentionStart.CONSENT_WITHDRAWAL: "consent withdrawal",
}
# a flow named "user" stands for the people themselves (fideslang DataFlow)
_USER_FLOW = {"fides_key": "user", "type": "user"}


def to_fideslang(policy: Policy) -> Manifest:
    """The fideslang manifest of a policy; raises FideslangExportError listing every problem."""
    problems: list[str] = []
    declarations = [_declaration(policy, a, problems) for a in policy.activities]
    names = [str(d["name"]) for d in declarations]
    problems += [f"two activities share the English name {n!r}" for n in _duplicates(names)]
    if problems:
        raise FideslangExportError(problems)
    org_key = policy.policy.id
    return {
        "organization": [_organization(policy, org_key)],
        "system": [_system(policy, org_key, declarations)],
    }


def data_use(activity: ProcessingActivity) -> str | None:
    """The activity's fideslang data use: as declared, else from its purposes or basis."""
    if activity.fides_data_use is not None:
        return activity.fides_data_use
    use = next((DATA_USES[p] for p in activity.purposes if p in DATA_USES), None)
    return use if use is not None else _USE_BY_BASIS.get(activity.legal_basis)


def _declaration(
    policy: Policy, activity: ProcessingActivity, problems: list[str]
) -> dict[str, Any]:
    where = f"activity {activity.id!r}"
    known_categories = {c.id: c for c in policy.data_categories}
    known_recipients = {r.id: r for r in policy.recipients}
    categories = [known_categories[c] for c in activity.data_categories if c in known_categories]
    recipient_ids = _unique([*activity.recipients, *(t.recipient for t in activity.transfers)])
    recipients = [known_recipients[r] for r in recipient_ids if r in known_recipients]
    problems += [
        f"{where}: unknown data category {c!r}"
        for c in activity.data_categories
        if c not in known_categories
    ]
    problems += [
        f"{where}: unknown recipient {r!r}" for r in recipient_ids if r not in known_recipients
    ]
    fides_categories = _unique(c.fides for c in categories)
    use = data_use(activity)
    if use is None:
        problems.append(
            f"{where}: none of its purposes ({', '.join(activity.purposes)}) has a fideslang "
            f"data use, and its legal basis ({activity.legal_basis.value}) implies none"
        )
    elif activity.fides_data_use is None and use in _BY_EMAIL:
        if _EMAIL in fides_categories and _PHONE not in fides_categories:
            use = _BY_EMAIL[use]
    subjects = _unique(DATA_SUBJECTS[s] for s in activity.data_subjects if s in DATA_SUBJECTS)
    unmapped = [s for s in activity.data_subjects if s not in DATA_SUBJECTS and s not in _QUALITIES]
    problems += [f"{where}: data subject {s!r} has no fideslang data subject" for s in unmapped]
    if not subjects and not unmapped:
        problems.append(f"{where}: name who the data is about, not only a quality of them")
    special = any(c.special for c in categories)
    declaration: dict[str, Any] = {
        "name": activity.name.en,
        "data_categories": fides_categories,
        "data_use": use or "",
        "data_subjects": subjects,
        "flexible_legal_basis_for_processing": False,  # the policy fixes the basis
        "legal_basis_for_processing": _LEGAL_BASIS[activity.legal_basis],
        "retention_period": _retention(policy, activity),
        "processes_special_category_data": special,
        # art. 4(9): processors are recipients too, and art. 13(1)(e) names them all
        "data_shared_with_third_parties": bool(recipients),
        "shared_categories": list(fides_categories) if recipients else [],
    }
    if recipients:
        parties = [
            f"{r.name} ({r.role.value}{', ' + r.country if r.country else ''})" for r in recipients
        ]
        # the company in the third country that receives the data from the recipient
        parties += [
            f"{t.importer} (importer, {t.country})" for t in activity.transfers if t.importer
        ]
        declaration["third_parties"] = "; ".join(_unique(parties))
    if special and activity.legal_basis is LegalBasis.CONSENT:
        declaration["special_category_legal_basis"] = "Explicit consent"  # art. 9(2)(a)
    if activity.legal_basis is LegalBasis.LEGITIMATE_INTEREST:
        # art. 6(1)(f), L75: the LIA document, else the balancing statement in the file itself
        declaration["impact_assessment_location"] = activity.lia or (
            f"privaat policy {policy.policy.id!r} v{policy.policy.version}, "
            f"activity {activity.id!r}: legitimate_interest"
        )
    if {DataSource.DATA_SUBJECT, DataSource.OBSERVED} & set(activity.sources):
        declaration["ingress"] = ["user"]
    return declaration


def _retention(policy: Policy, activity: ProcessingActivity) -> str:
    retention = activity.retention
    start = _STARTS.get(retention.starts)
    if start is None:  # RetentionStart.EVENT names its own event
        start = retention.event.en if retention.event else retention.starts.value
    text = f"{retention.period} after {start}"
    for hold in retention.legal_holds:
        held = ", ".join(_category_name(policy, c) for c in hold.categories)
        text += f"; {held} held {hold.period} ({hold.ground.en})"
    return text


def _organization(policy: Policy, key: str) -> dict[str, Any]:
    controller, contact, officer = (
        policy.controller,
        policy.privacy_contact,
        policy.data_protection_officer,
    )
    description = f"The controller of the privacy policy {key!r} (GDPR art. 4(7))."
    organization: dict[str, Any] = {
        "fides_key": key,
        "name": controller.name,
        "description": description,
        "controller": {
            "name": controller.name,
            "address": _address(controller.address),
            "email": controller.email,
        },
    }
    if officer is None:
        # the file does not say: the privacy contact is the one contact point it names
        organization["data_protection_officer"] = {
            "name": contact.name.en,
            "address": _address(contact.address or controller.address),
            "email": contact.email,
        }
    elif officer.appointed:
        # art. 37(7): the DPO's contact details; the schema demands name and e-mail
        organization["data_protection_officer"] = {
            "name": officer.name or "",
            "address": _address(contact.address or controller.address),
            "email": officer.email or "",
        }
    else:
        # art. 37(1): none is appointed; naming the privacy contact as DPO would be untrue
        organization["description"] = (
            f"{description} No data protection officer is appointed (GDPR art. 37(1)); "
            f"privacy questions go to {contact.email}."
        )
    return organization


def _system(policy: Policy, org_key: str, declarations: list[dict[str, Any]]) -> dict[str, Any]:
    controller, meta, activities = policy.controller, policy.policy, policy.activities
    transfers = [t for a in activities for t in a.transfers]
    safeguards = [s for t in transfers for s in (t.safeguard, t.fallback) if s is not None]
    # art. 4(4): profiling wherever the file names it (a fraud score, a marketing selection),
    # and every automated decision of art. 22 rests on a profile of the person too
    profiling = [a for a in activities if a.uses_profiling or a.automated_decision]
    # fideslang's profiling bases are art. 22(2)'s: only automated decisions need one
    decision_bases = [a.legal_basis for a in activities if a.automated_decision]
    cookies = [c for a in activities for c in a.cookies]
    lifetimes = [c.lifetime.approx_days() * 86400 for c in cookies if c.lifetime is not None]
    joint = _joint_controllers(policy)
    dpias = [a.dpia for a in activities if a.dpia.required]
    officer = policy.data_protection_officer
    system: dict[str, Any] = {
        "fides_key": f"{org_key}_services",
        "organization_fides_key": org_key,
        "name": f"{controller.name} services",
        "description": (
            f"Every processing activity of {controller.name}'s privacy policy, version "
            f"{meta.version} of {meta.last_updated.isoformat()}, exported by privaat."
        ),
        "system_type": "Service",
        "responsibility": ["Controller"],
        "legal_name": controller.name,
        "legal_address": _address(controller.address),
        # "the official privacy contact address or DPO"
        "dpo": (
            officer.email
            if officer is not None and officer.appointed and officer.email
            else policy.privacy_contact.email
        ),
        "processes_personal_data": True,
        "uses_cookies": any(c.kind is StorageKind.COOKIE for c in cookies),
        # Tw 11.7a covers reading a device by other means too: local storage, a pixel
        "uses_non_cookie_access": any(c.kind is not StorageKind.COOKIE for c in cookies),
        "uses_profiling": bool(profiling),
        "legal_basis_for_profiling": _unique(
            _PROFILING_BASIS[b] for b in decision_bases if b in _PROFILING_BASIS
        ),
        "does_international_transfers": bool(transfers),
        "legal_basis_for_transfers": _unique(
            _TRANSFER_BASIS[s] for s in safeguards if s in _TRANSFER_BASIS
        ),
        # art. 35: the AP's list makes a DPIA mandatory for these activities
        "requires_data_protection_assessments": bool(dpias),
        "privacy_declarations": declarations,
        # which declaration is which activity: fideslang declarations carry no id of their
        # own, nor (in 3.1) a field for the activity's profiling or cookies
        "meta": {
            "privaat": {
                "policy": meta.id,
                "version": meta.version,
                "last_updated": meta.last_updated.isoformat(),
                "activities": {a.id: a.name.en for a in activities},
                "profiling": {a.id: a.profiling.en for a in activities if a.profiling},
                "automated_decisions": [a.id for a in activities if a.automated_decision],
                "cookies": {
                    a.id: [_cookie(policy, c) for c in a.cookies] for a in activities if a.cookies
                },
            }
        },
    }
    if lifetimes:
        system["cookie_max_age_seconds"] = max(lifetimes)
    if joint:
        system["joint_controller_info"] = joint
    if dpias:
        system["dpa_location"] = "; ".join(_unique(str(d.reference) for d in dpias))
    if any("ingress" in d for d in declarations):
        system["ingress"] = [dict(_USER_FLOW)]
    return system


def _joint_controllers(policy: Policy) -> str:
    """Each joint controller (art. 26) with the activities it shares the responsibility for."""
    shared: dict[str, list[str]] = {}
    for activity in policy.activities:
        for recipient_id in activity.recipients:
            try:
                recipient = policy.recipient(recipient_id)
            except KeyError:
                continue  # reported as unknown by _declaration
            if recipient.role is RecipientRole.JOINT_CONTROLLER:
                shared.setdefault(recipient.name, []).append(activity.name.en)
    return "; ".join(f"{name} ({', '.join(names)})" for name, names in shared.items())


def _cookie(policy: Policy, cookie: Cookie) -> dict[str, Any]:
    """A cookie as the cookie table lists it; the policy file names no domain or path."""
    party = "first party"
    if cookie.recipient is not None:
        try:
            party = policy.recipient(cookie.recipient).name
        except KeyError:
            party = cookie.recipient
    entry: dict[str, Any] = {"name": cookie.name, "kind": cookie.kind.value, "party": party}
    entry["lifetime"] = str(cookie.lifetime) if cookie.lifetime is not None else "session"
    entry["purpose"] = cookie.purpose.en
    return entry


def _category_name(policy: Policy, category_id: str) -> str:
    try:
        return policy.category(category_id).name.en
    except KeyError:
        return category_id  # reported as unknown by _declaration


def _address(address: Address) -> str:
    return f"{address.street}, {address.postal_code} {address.city}, {address.country}"


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _duplicates(items: list[str]) -> list[str]:
    return _unique(i for i in items if items.count(i) > 1)
