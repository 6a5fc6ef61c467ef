"""The record of processing activities (GDPR art. 30(1)): one row per activity, as plain data.

    Policy ──ropa_rows(policy, lang)──► [RopaRow, ...]    one per processing activity
                                           │
                                           └─ every field ART_30_1_FIELDS names is non-empty,
                                              in words, in one language (LEGAL L73)

The register speaks in the third person ("the data subject"). The public privacy text
(``privaat.render``) reuses this module's vocabulary (legal bases, purposes, data subjects,
recipient roles, safeguards, periods), so the register and the text a customer reads can
never name the same thing differently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from privaat.policy.period import Period
from privaat.policy.schema import (
    Controller,
    DataSource,
    LegalBasis,
    Policy,
    PrivacyContact,
    ProcessingActivity,
    Recipient,
    RecipientRole,
    Retention,
    RetentionStart,
    Safeguard,
    Text,
)
from privaat.policy.vocab import EEA_COUNTRIES

__all__ = [
    "ART_30_1_FIELDS",
    "LANGUAGES",
    "LEGAL_BASIS_WORDS",
    "RECIPIENT_ROLE_WORDS",
    "SAFEGUARD_WORDS",
    "SECURITY_MEASURES",
    "RetentionPhrases",
    "RopaRow",
    "data_subject_words",
    "has_plain_words",
    "in_third_country",
    "period_in_words",
    "purpose_words",
    "retention_in_words",
    "ropa_rows",
]

LANGUAGES: tuple[str, ...] = ("nl", "en")


@dataclass(frozen=True, slots=True)
class RopaRow:
    """One processing activity as the register records it."""

    activity_id: str
    activity: str
    promises: tuple[str, ...]
    description: str
    controller: str  # art. 30(1)(a): name and contact details
    privacy_contact: str  # art. 30(1)(a): the data protection contact
    purposes: str  # art. 30(1)(b)
    legal_basis: str  # art. 6(1): not in art. 30(1), but the AP asks for it
    legitimate_interest: str  # the art. 6(1)(f) statement; empty on another basis
    data_subjects: str  # art. 30(1)(c)
    data_categories: str  # art. 30(1)(c)
    sources: str  # art. 14(2)(f)
    recipients: str  # art. 30(1)(d), those in third countries marked
    transfers: str  # art. 30(1)(e), each with its safeguard (art. 45-49)
    retention: str  # art. 30(1)(f), with legal holds and minimisation
    security_measures: str  # art. 30(1)(g), the measures of art. 32(1)
    notes: str  # where the policy file deviates from the seed policy


# each row field art. 30(1) requires, with its letter (LEGAL L73)
ART_30_1_FIELDS: tuple[tuple[str, str], ...] = (
    ("controller", "a"),
    ("privacy_contact", "a"),
    ("purposes", "b"),
    ("data_subjects", "c"),
    ("data_categories", "c"),
    ("recipients", "d"),
    ("transfers", "e"),
    ("retention", "f"),
    ("security_measures", "g"),
)

# art. 30(1)(g), 32(1): the measures this system itself takes, the same for every activity
SECURITY_MEASURES = Text(
    nl=(
        "Persoonsgegevens worden per betrokkene versleuteld opgeslagen (AES-GCM) met een eigen "
        "gegevenssleutel, ingepakt met een hoofdsleutel; bij wissen wordt die sleutel "
        "vernietigd (crypto-shredding). Zoeken, bijvoorbeeld op e-mailadres, gaat via een "
        "blinde index met geheime sleutel (HMAC), nooit over leesbare gegevens. Elke inzage in "
        "persoonsgegevens noemt de verwerking waarvoor zij gebeurt en wordt gelogd; het "
        "auditlogboek kan alleen worden aangevuld en is met hashes aaneengeketend. Alle "
        "verbindingen gebruiken TLS. Toegang is rolgebaseerd en zo beperkt mogelijk; "
        "supportmedewerkers komen alleen in een klantaccount met tijdelijke, intrekbare "
        "toestemming van de klant. Het datacenter is fysiek beveiligd (biometrische "
        "toegangscontrole, camerabewaking)."
    ),
    en=(
        "Personal data is stored encrypted per data subject (AES-GCM) under the subject's own "
        "data key, wrapped by a master key; erasure destroys that key (crypto-shredding). "
        "Look-ups, for example by e-mail address, use a keyed blind index (HMAC), never "
        "readable data. Every read of personal data names the processing activity it serves "
        "and is written to the access log; the audit trail is append-only and hash-chained. "
        "All connections use TLS. Access is role-based and least-privilege; support staff "
        "enter a customer account only under the customer's time-limited, revocable consent. "
        "The datacenter is physically secured (biometric access control, camera surveillance)."
    ),
)

LEGAL_BASIS_WORDS: Mapping[LegalBasis, Text] = MappingProxyType(
    {
        LegalBasis.CONSENT: Text(
            nl="toestemming (art. 6 lid 1 onder a AVG)", en="consent (GDPR art. 6(1)(a))"
        ),
        LegalBasis.CONTRACT: Text(
            nl="uitvoering van een overeenkomst (art. 6 lid 1 onder b AVG)",
            en="performance of a contract (GDPR art. 6(1)(b))",
        ),
        LegalBasis.LEGAL_OBLIGATION: Text(
            nl="wettelijke verplichting (art. 6 lid 1 onder c AVG)",
            en="compliance with a legal obligation (GDPR art. 6(1)(c))",
        ),
        LegalBasis.VITAL_INTERESTS: Text(
            nl="bescherming van vitale belangen (art. 6 lid 1 onder d AVG)",
            en="protection of vital interests (GDPR art. 6(1)(d))",
        ),
        LegalBasis.PUBLIC_TASK: Text(
            nl="vervulling van een taak van algemeen belang (art. 6 lid 1 onder e AVG)",
            en="performance of a task in the public interest (GDPR art. 6(1)(e))",
        ),
        LegalBasis.LEGITIMATE_INTEREST: Text(
            nl="gerechtvaardigd belang (art. 6 lid 1 onder f AVG)",
            en="legitimate interests (GDPR art. 6(1)(f))",
        ),
    }
)

RECIPIENT_ROLE_WORDS: Mapping[RecipientRole, Text] = MappingProxyType(
    {
        RecipientRole.PROCESSOR: Text(nl="verwerker", en="processor"),
        RecipientRole.CONTROLLER: Text(
            nl="zelfstandige verwerkingsverantwoordelijke", en="independent controller"
        ),
        RecipientRole.GROUP_COMPANY: Text(nl="groepsmaatschappij", en="group company"),
        RecipientRole.AUTHORITY: Text(nl="overheidsinstantie", en="public authority"),
        RecipientRole.SUCCESSOR: Text(nl="rechtsopvolger", en="successor"),
    }
)

SAFEGUARD_WORDS: Mapping[Safeguard, Text] = MappingProxyType(
    {
        Safeguard.EEA: Text(nl="binnen de EER", en="within the EEA"),
        Safeguard.ADEQUACY: Text(
            nl="adequaatheidsbesluit van de Europese Commissie (art. 45 AVG)",
            en="adequacy decision of the European Commission (GDPR art. 45)",
        ),
        Safeguard.SCC: Text(
            nl="standaardcontractbepalingen van de Europese Commissie (art. 46 lid 2 onder c AVG)",
            en="standard contractual clauses of the European Commission (GDPR art. 46(2)(c))",
        ),
        Safeguard.BCR: Text(
            nl="bindende bedrijfsvoorschriften (art. 47 AVG)",
            en="binding corporate rules (GDPR art. 47)",
        ),
        Safeguard.EXPLICIT_CONSENT: Text(
            nl="uitdrukkelijke toestemming (art. 49 lid 1 onder a AVG)",
            en="explicit consent (GDPR art. 49(1)(a))",
        ),
    }
)

_SOURCE_WORDS: Mapping[DataSource, Text] = MappingProxyType(
    {
        DataSource.DATA_SUBJECT: Text(
            nl="verstrekt door de betrokkene", en="provided by the data subject"
        ),
        DataSource.OBSERVED: Text(
            nl="waargenomen bij gebruik van de dienst", en="observed from use of the service"
        ),
        DataSource.DERIVED: Text(
            nl="afgeleid door de verwerkingsverantwoordelijke", en="derived by the controller"
        ),
        DataSource.THIRD_PARTY: Text(nl="ontvangen van derden", en="received from third parties"),
    }
)


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


@dataclass(frozen=True, slots=True)
class RetentionPhrases:
    """How one voice words a retention rule; ``{period}`` and ``{event}`` are filled in."""

    collection: str
    account_closure: str
    event: str
    consent_withdrawal: str
    # a zero period: the data goes the moment the account closes or consent is withdrawn
    account_closure_only: str
    consent_withdrawal_only: str


@dataclass(frozen=True, slots=True)
class _RegisterWords:
    units: tuple[tuple[str, str], tuple[str, str], tuple[str, str]]  # (one, many) y, m, d
    conjunction: str
    retention: RetentionPhrases
    legal_hold: str
    minimise: str
    no_recipients: str
    no_transfers: str
    third_country: str
    special: str
    chamber_of_commerce: str


_WORDS: Mapping[str, _RegisterWords] = MappingProxyType(
    {
        "nl": _RegisterWords(
            # Dutch counts years in the singular: "7 jaar"
            units=(("jaar", "jaar"), ("maand", "maanden"), ("dag", "dagen")),
            conjunction="en",
            retention=RetentionPhrases(
                collection="{period} na verzameling",
                account_closure="zolang het account actief is en daarna nog {period}",
                event="{period} na {event}",
                consent_withdrawal="tot intrekking van de toestemming en daarna nog {period}",
                account_closure_only="zolang het account actief is",
                consent_withdrawal_only="tot intrekking van de toestemming",
            ),
            legal_hold="wettelijke bewaarplicht: {categories} {period} ({ground})",
            minimise="na {period}: {method} ({categories})",
            no_recipients="geen; alleen intern verwerkt",
            no_transfers="geen doorgifte naar derde landen",
            third_country="derde land",
            special="bijzonder persoonsgegeven, art. 9 AVG",
            chamber_of_commerce="KvK",
        ),
        "en": _RegisterWords(
            units=(("year", "years"), ("month", "months"), ("day", "days")),
            conjunction="and",
            retention=RetentionPhrases(
                collection="{period} after collection",
                account_closure="while the account is active and {period} after it is closed",
                event="{period} after {event}",
                consent_withdrawal="until consent is withdrawn and {period} after that",
                account_closure_only="while the account is active",
                consent_withdrawal_only="until consent is withdrawn",
            ),
            legal_hold="legal hold: {categories} {period} ({ground})",
            minimise="after {period}: {method} ({categories})",
            no_recipients="none; processed internally only",
            no_transfers="no transfer to third countries",
            third_country="third country",
            special="special category, GDPR art. 9",
            chamber_of_commerce="Chamber of Commerce",
        ),
    }
)

_CAMEL_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def ropa_rows(policy: Policy, lang: str = "en") -> list[RopaRow]:
    """The register of ``policy``: one row per activity, in the file's order."""
    words = _words(lang)
    controller = _controller(policy.controller, words)
    contact = _privacy_contact(policy.privacy_contact, lang)
    return [
        _row(policy, activity, lang, words, controller, contact) for activity in policy.activities
    ]


def period_in_words(period: Period, lang: str) -> str:
    """``P1Y6M`` as "1 jaar en 6 maanden" or "1 year and 6 months"."""
    words = _words(lang)
    amounts = (period.years, period.months, period.days)
    parts = [
        f"{amount} {one if amount == 1 else many}"
        for amount, (one, many) in zip(amounts, words.units, strict=True)
        if amount
    ]
    if not parts:
        return f"0 {words.units[2][1]}"
    if len(parts) == 1:
        return parts[0]
    return f"{', '.join(parts[:-1])} {words.conjunction} {parts[-1]}"


def retention_in_words(retention: Retention, lang: str, phrases: RetentionPhrases) -> str:
    """The main retention rule in words, e.g. "12 maanden na verzameling"."""
    period = period_in_words(retention.period, lang)
    zero = retention.period.approx_days() == 0
    if retention.starts is RetentionStart.COLLECTION:
        return phrases.collection.format(period=period)
    if retention.starts is RetentionStart.ACCOUNT_CLOSURE:
        return (
            phrases.account_closure_only if zero else phrases.account_closure.format(period=period)
        )
    if retention.starts is RetentionStart.CONSENT_WITHDRAWAL:
        if zero:
            return phrases.consent_withdrawal_only
        return phrases.consent_withdrawal.format(period=period)
    # the schema requires an event to be named when retention starts at one
    event = retention.event.in_language(lang) if retention.event is not None else ""
    return phrases.event.format(period=period, event=event)


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


def in_third_country(country: str | None) -> bool:
    """Whether sending data to ``country`` is a transfer in the sense of GDPR chapter V."""
    return country is not None and country not in EEA_COUNTRIES


def _row(
    policy: Policy,
    activity: ProcessingActivity,
    lang: str,
    words: _RegisterWords,
    controller: str,
    contact: str,
) -> RopaRow:
    recipients = [_recipient(policy.recipient(r), lang, words) for r in activity.recipients]
    transfers = [
        f"{policy.recipient(t.recipient).name} ({t.country}): "
        f"{SAFEGUARD_WORDS[t.safeguard].in_language(lang)}"
        for t in activity.transfers
    ]
    statement = activity.legitimate_interest
    return RopaRow(
        activity_id=activity.id,
        activity=activity.name.in_language(lang),
        promises=activity.promises,
        description=activity.description.in_language(lang),
        controller=controller,
        privacy_contact=contact,
        purposes="; ".join(purpose_words(p, lang) for p in activity.purposes),
        legal_basis=LEGAL_BASIS_WORDS[activity.legal_basis].in_language(lang),
        legitimate_interest=statement.in_language(lang) if statement is not None else "",
        data_subjects="; ".join(data_subject_words(s, lang) for s in activity.data_subjects),
        data_categories="; ".join(
            _category(policy, c, lang, words) for c in activity.data_categories
        ),
        sources="; ".join(_SOURCE_WORDS[s].in_language(lang) for s in activity.sources),
        recipients="; ".join(recipients) or words.no_recipients,
        transfers="; ".join(transfers) or words.no_transfers,
        retention="; ".join(_retention(policy, activity.retention, lang, words)),
        security_measures=SECURITY_MEASURES.in_language(lang),
        notes=activity.notes or "",
    )


def _words(lang: str) -> _RegisterWords:
    try:
        return _WORDS[lang]
    except KeyError:
        raise ValueError(
            f"unsupported language {lang!r}: choose one of {', '.join(LANGUAGES)}"
        ) from None


def _controller(controller: Controller, words: _RegisterWords) -> str:
    address = controller.address
    parts = [
        controller.name,
        f"{address.street}, {address.postal_code} {address.city}, {address.country}",
        controller.email,
    ]
    if controller.website:
        parts.append(controller.website)
    if controller.chamber_of_commerce:
        parts.append(f"{words.chamber_of_commerce} {controller.chamber_of_commerce}")
    return "; ".join(parts)


def _privacy_contact(contact: PrivacyContact, lang: str) -> str:
    parts = [contact.name.in_language(lang), contact.email]
    if contact.address is not None:
        address = contact.address
        parts.append(f"{address.street}, {address.postal_code} {address.city}, {address.country}")
    return "; ".join(parts)


def _category(policy: Policy, category_id: str, lang: str, words: _RegisterWords) -> str:
    category = policy.category(category_id)
    name = category.name.in_language(lang)
    return f"{name} ({words.special})" if category.special else name


def _recipient(recipient: Recipient, lang: str, words: _RegisterWords) -> str:
    details = [RECIPIENT_ROLE_WORDS[recipient.role].in_language(lang)]
    if recipient.country is not None:
        details.append(recipient.country)
        if in_third_country(recipient.country):
            details.append(words.third_country)
    return f"{recipient.name} ({', '.join(details)})"


def _retention(policy: Policy, retention: Retention, lang: str, words: _RegisterWords) -> list[str]:
    lines = [retention_in_words(retention, lang, words.retention)]
    for hold in retention.legal_holds:
        lines.append(
            words.legal_hold.format(
                categories=", ".join(_category(policy, c, lang, words) for c in hold.categories),
                period=period_in_words(hold.period, lang),
                ground=hold.ground.in_language(lang),
            )
        )
    for step in retention.minimise:
        lines.append(
            words.minimise.format(
                period=period_in_words(step.after, lang),
                method=step.method.in_language(lang),
                categories=", ".join(_category(policy, c, lang, words) for c in step.categories),
            )
        )
    return lines


def _label(term: str) -> str:
    """A DPV term's label in lower case: ``dpv:FraudPreventionAndDetection`` → its words."""
    local = term.split(":", 1)[-1]
    words = _CAMEL_WORD.findall(local) or [local]
    return " ".join(w if len(w) > 1 and w.isupper() else w.lower() for w in words)
