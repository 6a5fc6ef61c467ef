"""The record of processing activities (GDPR art. 30(1)): one row per activity, as plain data.

    Policy ──ropa_rows(policy, lang)──► [RopaRow, ...]    one per processing activity
                                           │
                                           └─ every field ART_30_1_FIELDS names is non-empty,
                                              in words, in one language (LEGAL L73)

The register speaks in the third person ("the data subject"). Its vocabulary (legal bases,
recipient roles, safeguards, periods) comes from ``privaat.policy.wording`` and its purposes
and data subjects from ``privaat.policy.dpv_words``, the same words the public privacy text
(``privaat.render``) uses, so the register and the text a customer reads can never name the
same thing differently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from privaat.policy.dpv_words import data_subject_words, purpose_words
from privaat.policy.schema import (
    Address,
    Controller,
    DataSource,
    Policy,
    PrivacyContact,
    ProcessingActivity,
    Recipient,
    Retention,
    Text,
)
from privaat.policy.vocab import EEA_COUNTRIES
from privaat.policy.wording import (
    LEGAL_BASIS_WORDS,
    RECIPIENT_ROLE_WORDS,
    SAFEGUARD_WORDS,
    RetentionPhrases,
    for_language,
    period_in_words,
    retention_in_words,
)

__all__ = [
    "ART_30_1_FIELDS",
    "SECURITY_MEASURES",
    "RopaRow",
    "in_third_country",
    "ropa_rows",
]


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


@dataclass(frozen=True, slots=True)
class _RegisterWords:
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


def ropa_rows(policy: Policy, lang: str = "en") -> list[RopaRow]:
    """The register of ``policy``: one row per activity, in the file's order."""
    words = for_language(_WORDS, lang)
    controller = _controller(policy.controller, words)
    contact = _privacy_contact(policy.privacy_contact, lang)
    return [
        _row(policy, activity, lang, words, controller, contact) for activity in policy.activities
    ]


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


def _controller(controller: Controller, words: _RegisterWords) -> str:
    parts = [controller.name, _postal(controller.address), controller.email]
    if controller.website:
        parts.append(controller.website)
    if controller.chamber_of_commerce:
        parts.append(f"{words.chamber_of_commerce} {controller.chamber_of_commerce}")
    return "; ".join(parts)


def _privacy_contact(contact: PrivacyContact, lang: str) -> str:
    parts = [contact.name.in_language(lang), contact.email]
    if contact.address is not None:
        parts.append(_postal(contact.address))
    return "; ".join(parts)


def _postal(address: Address) -> str:
    return f"{address.street}, {address.postal_code} {address.city}, {address.country}"


def _category(policy: Policy, category_id: str, lang: str, words: _RegisterWords) -> str:
    category = policy.category(category_id)
    name = category.name.in_language(lang)
    return f"{name} ({words.special})" if category.special else name


def _categories(
    policy: Policy, category_ids: Iterable[str], lang: str, words: _RegisterWords
) -> str:
    return ", ".join(_category(policy, c, lang, words) for c in category_ids)


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
                categories=_categories(policy, hold.categories, lang, words),
                period=period_in_words(hold.period, lang),
                ground=hold.ground.in_language(lang),
            )
        )
    for step in retention.minimise:
        lines.append(
            words.minimise.format(
                period=period_in_words(step.after, lang),
                method=step.method.in_language(lang),
                categories=_categories(policy, step.categories, lang, words),
            )
        )
    return lines
