"""W3C DPV purposes and data subjects in plain words, translated through the catalogue.

    dpv:CustomerCare ──purpose_words──► "klantenservice en productondersteuning"
    dpv:Customer ──data_subject_words──► "klanten" (plural: "the data of customers")

Each term's words are an English msgid here; the Dutch is in the catalogue (``privaat.i18n``).
A term without its own words reads as its DPV label ("fraud prevention and detection"), so a
new term is never shown as a bare identifier; ``has_plain_words`` lets a test find them. Both
the art. 30 register and the public privacy text word their terms through this module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from privaat.policy.wording import N_, translator

__all__ = ["data_subject_words", "has_plain_words", "purpose_words"]

_CAMEL_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")

# W3C DPV 2.0 purposes in plain words; a term missing here reads as its DPV label
_PURPOSE_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "dpv:AccountManagement": N_("account management"),
        "dpv:AgeVerification": N_("age verification"),
        "dpv:CommunicationForCustomerCare": N_("communication for customer care"),
        "dpv:CommunicationManagement": N_("communication with customers"),
        "dpv:CustomerCare": N_("customer care and product support"),
        "dpv:CustomerClaimsManagement": N_("claims management"),
        "dpv:CustomerManagement": N_("customer management"),
        "dpv:CustomerOrderManagement": N_("order processing"),
        "dpv:CustomerRelationshipManagement": N_("customer relationship management"),
        "dpv:DeliveryOfGoods": N_("delivery of ordered goods"),
        "dpv:DirectMarketing": N_("direct marketing"),
        "dpv:DisputeManagement": N_("handling disputes and legal claims"),
        "dpv:EnforceAccessControl": N_("access control"),
        "dpv:EnforceSecurity": N_("security"),
        "dpv:EstablishContractualAgreement": N_("entering into a contract"),
        "dpv:FraudPreventionAndDetection": N_("fraud prevention and detection"),
        "dpv:FulfilmentOfContractualObligation": N_("fulfilment of contractual obligations"),
        "dpv:FulfilmentOfObligation": N_("fulfilment of obligations"),
        "dpv:IdentityAuthentication": N_("logging in and authentication"),
        "dpv:IdentityVerification": N_("identity verification"),
        "dpv:ImproveExistingProductsAndServices": N_("improving existing products and services"),
        "dpv:ImproveInternalCRMProcesses": N_("improving internal customer processes"),
        "dpv:IncreaseServiceRobustness": N_("improving service robustness"),
        "dpv:InternalResourceOptimisation": N_("internal resource optimisation"),
        "dpv:LegalCompliance": N_("legal compliance"),
        "dpv:Marketing": N_("marketing"),
        "dpv:MisusePreventionAndDetection": N_("misuse prevention and detection"),
        "dpv:OptimisationForConsumer": N_("optimisation for the user"),
        "dpv:OptimisationForController": N_("optimisation for the controller"),
        "dpv:OptimiseUserInterface": N_("improving the user interface"),
        "dpv:OrganisationComplianceManagement": N_("internal compliance management"),
        "dpv:OrganisationGovernance": N_("organisation governance"),
        "dpv:OrganisationRiskManagement": N_("risk management"),
        "dpv:PaymentManagement": N_("payments and invoicing"),
        "dpv:Personalisation": N_("personalisation"),
        "dpv:PersonalisedAdvertising": N_("personalised advertising"),
        "dpv:ProvidePersonalisedRecommendations": N_("personalised recommendations"),
        "dpv:ProvideProductRecommendations": N_("product recommendations"),
        "dpv:PublicRelations": N_("public relations"),
        "dpv:RecordManagement": N_("record management"),
        "dpv:RepairImpairments": N_("finding and fixing faults"),
        "dpv:RequestedServiceProvision": N_("providing the requested service"),
        "dpv:ResearchAndDevelopment": N_("research and development"),
        "dpv:RightsFulfillment": N_("fulfilling data-subject rights"),
        "dpv:SellProducts": N_("selling products and services"),
        "dpv:SellProductsToDataSubject": N_("selling products and services to customers"),
        "dpv:ServiceOptimisation": N_("service optimisation"),
        "dpv:ServicePersonalisation": N_("service personalisation"),
        "dpv:ServiceProvision": N_("service provision"),
        "dpv:ServiceRegistration": N_("service registration"),
        "dpv:ServiceUsageAnalytics": N_("service usage analytics"),
        "dpv:SocialMediaMarketing": N_("social media marketing"),
        "dpv:TargetedAdvertising": N_("targeted advertising"),
        "dpv:TechnicalServiceProvision": N_("technical service provision"),
        "dpv:UserInterfacePersonalisation": N_("user interface personalisation"),
        "dpv:Verification": N_("verification"),
    }
)

# W3C DPV 2.0 data subjects in plain words, plural ("the data of customers")
_DATA_SUBJECT_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "dpv:Adult": N_("adults"),
        "dpv:Applicant": N_("applicants"),
        "dpv:Child": N_("children"),
        "dpv:Client": N_("clients"),
        "dpv:Consumer": N_("consumers"),
        "dpv:Customer": N_("customers"),
        "dpv:DataSubject": N_("data subjects"),
        "dpv:Employee": N_("employees"),
        "dpv:JobApplicant": N_("job applicants"),
        "dpv:Member": N_("members"),
        "dpv:Participant": N_("participants"),
        "dpv:Subscriber": N_("subscribers"),
        "dpv:User": N_("users"),
        "dpv:Visitor": N_("visitors"),
    }
)


def purpose_words(purpose: str, lang: str) -> str:
    """A DPV purpose such as ``dpv:CustomerCare`` in plain words."""
    known = _PURPOSE_WORDS.get(purpose)
    return translator(lang).gettext(known) if known is not None else _label(purpose)


def data_subject_words(subject: str, lang: str) -> str:
    """A DPV data subject such as ``dpv:Customer`` in plain words, plural."""
    known = _DATA_SUBJECT_WORDS.get(subject)
    return translator(lang).gettext(known) if known is not None else _label(subject)


def has_plain_words(term: str) -> bool:
    """Whether a DPV purpose or data subject has its own words rather than its DPV label."""
    return term in _PURPOSE_WORDS or term in _DATA_SUBJECT_WORDS


def _label(term: str) -> str:
    """A DPV term's label in lower case: ``dpv:FraudPreventionAndDetection`` → its words."""
    local = term.split(":", 1)[-1]
    words = _CAMEL_WORD.findall(local) or [local]
    return " ".join(w if len(w) > 1 and w.isupper() else w.lower() for w in words)
