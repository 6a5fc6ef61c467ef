"""W3C DPV purposes and data subjects in plain Dutch and English words.

    dpv:CustomerCare ──purpose_words──► "klantenservice en productondersteuning"
    dpv:Customer ──data_subject_words──► "klanten" (plural: "the data of customers")

A term without its own words here reads as its DPV label ("fraud prevention and detection"),
so a new term is never shown as a bare identifier; ``has_plain_words`` lets a test find them.
Both the art. 30 register and the public privacy text word their terms through this module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from privaat.policy.schema import Text

__all__ = ["data_subject_words", "has_plain_words", "purpose_words"]

_CAMEL_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def _word_table(table: str) -> Mapping[str, Text]:
    """Parse lines of a DPV term, each followed by an indented ``Dutch | English`` line."""
    lines = [line.strip() for line in table.strip().splitlines()]
    words = {}
    for term, pair in zip(lines[::2], lines[1::2], strict=True):
        nl, en = (part.strip() for part in pair.split("|"))
        words["dpv:" + term] = Text(nl=nl, en=en)
    return MappingProxyType(words)


# W3C DPV 2.0 purposes in plain words: the term, then "Dutch | English" on the next line;
# a term missing here reads as its DPV label
_PURPOSE_WORDS = _word_table(
    """
    AccountManagement
        accountbeheer | account management
    AgeVerification
        leeftijdscontrole | age verification
    CommunicationForCustomerCare
        communicatie voor klantenservice | communication for customer care
    CommunicationManagement
        communicatie met klanten | communication with customers
    CustomerCare
        klantenservice en productondersteuning | customer care and product support
    CustomerClaimsManagement
        afhandeling van claims | claims management
    CustomerManagement
        klantbeheer | customer management
    CustomerOrderManagement
        verwerking van bestellingen | order processing
    CustomerRelationshipManagement
        klantrelatiebeheer | customer relationship management
    DeliveryOfGoods
        levering van bestelde producten | delivery of ordered goods
    DirectMarketing
        direct marketing | direct marketing
    DisputeManagement
        afhandeling van geschillen en rechtsvorderingen | handling disputes and legal claims
    EnforceAccessControl
        toegangsbeveiliging | access control
    EnforceSecurity
        beveiliging | security
    EstablishContractualAgreement
        het sluiten van een overeenkomst | entering into a contract
    FraudPreventionAndDetection
        voorkomen en opsporen van fraude | fraud prevention and detection
    FulfilmentOfContractualObligation
        nakoming van contractuele verplichtingen | fulfilment of contractual obligations
    FulfilmentOfObligation
        nakoming van verplichtingen | fulfilment of obligations
    IdentityAuthentication
        inloggen en authenticatie | logging in and authentication
    IdentityVerification
        identiteitscontrole | identity verification
    ImproveExistingProductsAndServices
        verbetering van bestaande producten en diensten | improving existing products and services
    ImproveInternalCRMProcesses
        verbetering van interne klantprocessen | improving internal customer processes
    IncreaseServiceRobustness
        verbetering van de stabiliteit van de dienst | improving service robustness
    InternalResourceOptimisation
        efficiënte inzet van interne middelen | internal resource optimisation
    LegalCompliance
        naleving van wettelijke verplichtingen | legal compliance
    Marketing
        marketing | marketing
    MisusePreventionAndDetection
        voorkomen en opsporen van misbruik | misuse prevention and detection
    OptimisationForConsumer
        verbetering van de dienst voor de gebruiker | optimisation for the user
    OptimisationForController
        verbetering van de bedrijfsvoering | optimisation for the controller
    OptimiseUserInterface
        verbetering van de gebruikersinterface | improving the user interface
    OrganisationComplianceManagement
        naleving van interne regels | internal compliance management
    OrganisationGovernance
        bedrijfsvoering | organisation governance
    OrganisationRiskManagement
        risicobeheer | risk management
    PaymentManagement
        betalingen en facturering | payments and invoicing
    Personalisation
        personalisatie | personalisation
    PersonalisedAdvertising
        gepersonaliseerde reclame | personalised advertising
    ProvidePersonalisedRecommendations
        persoonlijke aanbevelingen | personalised recommendations
    ProvideProductRecommendations
        productaanbevelingen | product recommendations
    PublicRelations
        public relations | public relations
    RecordManagement
        registratie en archivering | record management
    RepairImpairments
        opsporen en verhelpen van storingen en fouten | finding and fixing faults
    RequestedServiceProvision
        levering van de gevraagde dienst | providing the requested service
    ResearchAndDevelopment
        onderzoek en ontwikkeling | research and development
    RightsFulfillment
        uitvoering van de rechten van betrokkenen | fulfilling data-subject rights
    SellProducts
        verkoop van producten en diensten | selling products and services
    SellProductsToDataSubject
        verkoop van producten en diensten aan klanten | selling products and services to customers
    ServiceOptimisation
        optimalisatie van de dienst | service optimisation
    ServicePersonalisation
        personalisatie van de dienst | service personalisation
    ServiceProvision
        levering van de dienst | service provision
    ServiceRegistration
        registratie voor de dienst | service registration
    ServiceUsageAnalytics
        analyse van het gebruik van de dienst | service usage analytics
    SocialMediaMarketing
        marketing via sociale media | social media marketing
    TargetedAdvertising
        gerichte reclame | targeted advertising
    TechnicalServiceProvision
        technische levering van de dienst | technical service provision
    UserInterfacePersonalisation
        personalisatie van de gebruikersinterface | user interface personalisation
    Verification
        verificatie | verification
    """
)

# W3C DPV 2.0 data subjects in plain words, plural ("the data of customers")
_DATA_SUBJECT_WORDS = _word_table(
    """
    Adult
        volwassenen | adults
    Applicant
        aanvragers | applicants
    Child
        kinderen | children
    Client
        klanten | clients
    Consumer
        consumenten | consumers
    Customer
        klanten | customers
    DataSubject
        betrokkenen | data subjects
    Employee
        medewerkers | employees
    JobApplicant
        sollicitanten | job applicants
    Member
        leden | members
    Participant
        deelnemers | participants
    Subscriber
        abonnees | subscribers
    User
        gebruikers | users
    Visitor
        bezoekers | visitors
    """
)


def purpose_words(purpose: str, lang: str) -> str:
    """A DPV purpose such as ``dpv:CustomerCare`` in plain words."""
    known = _PURPOSE_WORDS.get(purpose)
    return known.in_language(lang) if known is not None else _label(purpose)


def data_subject_words(subject: str, lang: str) -> str:
    """A DPV data subject such as ``dpv:Customer`` in plain words, plural."""
    known = _DATA_SUBJECT_WORDS.get(subject)
    return known.in_language(lang) if known is not None else _label(subject)


def has_plain_words(term: str) -> bool:
    """Whether a DPV purpose or data subject has its own words rather than its DPV label."""
    return term in _PURPOSE_WORDS or term in _DATA_SUBJECT_WORDS


def _label(term: str) -> str:
    """A DPV term's label in lower case: ``dpv:FraudPreventionAndDetection`` → its words."""
    local = term.split(":", 1)[-1]
    words = _CAMEL_WORD.findall(local) or [local]
    return " ".join(w if len(w) > 1 and w.isupper() else w.lower() for w in words)
