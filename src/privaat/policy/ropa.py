"""The record of processing activities (GDPR art. 30(1)): one row per activity, as plain data.

    Policy ──ropa_rows(policy, lang)──► [RopaRow, ...]    one per processing activity
                                           │
                                           └─ every field ART_30_1_FIELDS names is non-empty,
                                              in words, in one language (LEGAL L73)

The register speaks in the third person ("the data subject"). Its vocabulary (legal bases,
recipient roles, safeguards, periods) comes from ``privaat.policy.wording`` and its purposes
and data subjects from ``privaat.policy.dpv_words``, the same words the public privacy text
(``privaat.render``) uses, so the register and the text a customer reads can never name the
same thing differently. Its own phrases are English msgids, translated by the catalogue in use
(``privaat.policy.wording.translator``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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
)
from privaat.policy.vocab import EEA_COUNTRIES
from privaat.policy.wording import (
    N_,
    RetentionPhrases,
    Translator,
    legal_basis_words,
    period_in_words,
    recipient_role_words,
    retention_in_words,
    safeguard_words,
    translator,
)

__all__ = [
    "ART_30_1_FIELDS",
    "REGISTER_RETENTION",
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
SECURITY_MEASURES = N_(
    "Personal data is stored encrypted per data subject (AES-GCM) under the subject's own "
    "data key, wrapped by a master key; erasure destroys that key (crypto-shredding). "
    "Look-ups, for example by e-mail address, use a keyed blind index (HMAC), never "
    "readable data. Every read of personal data names the processing activity it serves "
    "and is written to the access log; the audit trail is append-only and hash-chained. "
    "All connections use TLS. Access is role-based and least-privilege; support staff "
    "enter a customer account only under the customer's time-limited, revocable consent. "
    "The datacenter is physically secured (biometric access control, camera surveillance)."
)

# the register speaks of "the data subject"; the public text says "you"
REGISTER_RETENTION = RetentionPhrases(
    collection=N_("{period} after collection"),
    account_closure=N_("while the account is active and {period} after it is closed"),
    event=N_("{period} after {event}"),
    consent_withdrawal=N_("until consent is withdrawn and {period} after that"),
    account_closure_only=N_("while the account is active"),
    consent_withdrawal_only=N_("until consent is withdrawn"),
)


def ropa_rows(policy: Policy, lang: str = "en") -> list[RopaRow]:
    """The register of ``policy``: one row per activity, in the file's order."""
    t = translator(lang)
    controller = _controller(policy.controller, t)
    contact = _privacy_contact(policy.privacy_contact, lang)
    return [_row(policy, activity, lang, t, controller, contact) for activity in policy.activities]


def in_third_country(country: str | None) -> bool:
    """Whether sending data to ``country`` is a transfer in the sense of GDPR chapter V."""
    return country is not None and country not in EEA_COUNTRIES


def _row(
    policy: Policy,
    activity: ProcessingActivity,
    lang: str,
    t: Translator,
    controller: str,
    contact: str,
) -> RopaRow:
    recipients = [_recipient(policy.recipient(r), lang, t) for r in activity.recipients]
    transfers = [
        f"{policy.recipient(tr.recipient).name} ({tr.country}): "
        f"{safeguard_words(tr.safeguard, lang)}"
        for tr in activity.transfers
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
        legal_basis=legal_basis_words(activity.legal_basis, lang),
        legitimate_interest=statement.in_language(lang) if statement is not None else "",
        data_subjects="; ".join(data_subject_words(s, lang) for s in activity.data_subjects),
        data_categories="; ".join(_category(policy, c, lang, t) for c in activity.data_categories),
        sources="; ".join(_source(s, t) for s in activity.sources),
        recipients="; ".join(recipients) or t.gettext("none; processed internally only"),
        transfers="; ".join(transfers) or t.gettext("no transfer to third countries"),
        retention="; ".join(_retention(policy, activity.retention, lang, t)),
        security_measures=t.gettext(SECURITY_MEASURES),
        notes=activity.notes or "",
    )


def _source(source: DataSource, t: Translator) -> str:
    # "register": for the same English, the register's Dutch says "ontvangen van derden" where
    # the public text says "van derden ontvangen"
    words = {
        DataSource.DATA_SUBJECT: t.pgettext("register", "provided by the data subject"),
        DataSource.OBSERVED: t.pgettext("register", "observed from use of the service"),
        DataSource.DERIVED: t.pgettext("register", "derived by the controller"),
        DataSource.THIRD_PARTY: t.pgettext("register", "received from third parties"),
    }
    return words[source]


def _controller(controller: Controller, t: Translator) -> str:
    parts = [controller.name, _postal(controller.address), controller.email]
    if controller.website:
        parts.append(controller.website)
    if controller.chamber_of_commerce:
        # "KvK 12345678": the register's short form of the Chamber of Commerce number
        chamber = t.gettext("Chamber of Commerce")
        parts.append(f"{chamber} {controller.chamber_of_commerce}")
    return "; ".join(parts)


def _privacy_contact(contact: PrivacyContact, lang: str) -> str:
    parts = [contact.name.in_language(lang), contact.email]
    if contact.address is not None:
        parts.append(_postal(contact.address))
    return "; ".join(parts)


def _postal(address: Address) -> str:
    return f"{address.street}, {address.postal_code} {address.city}, {address.country}"


def _category(policy: Policy, category_id: str, lang: str, t: Translator) -> str:
    category = policy.category(category_id)
    name = category.name.in_language(lang)
    if not category.special:
        return name
    special = t.gettext("special category, GDPR art. 9")
    return f"{name} ({special})"


def _categories(policy: Policy, category_ids: Iterable[str], lang: str, t: Translator) -> str:
    return ", ".join(_category(policy, c, lang, t) for c in category_ids)


def _recipient(recipient: Recipient, lang: str, t: Translator) -> str:
    details = [recipient_role_words(recipient.role, lang)]
    if recipient.country is not None:
        details.append(recipient.country)
        if in_third_country(recipient.country):
            details.append(t.gettext("third country"))
    return f"{recipient.name} ({', '.join(details)})"


def _retention(policy: Policy, retention: Retention, lang: str, t: Translator) -> list[str]:
    lines = [retention_in_words(retention, lang, REGISTER_RETENTION)]
    for hold in retention.legal_holds:
        lines.append(
            t.gettext("legal hold: {categories} {period} ({ground})").format(
                categories=_categories(policy, hold.categories, lang, t),
                period=period_in_words(hold.period, lang),
                ground=hold.ground.in_language(lang),
            )
        )
    for step in retention.minimise:
        lines.append(
            t.gettext("after {period}: {method} ({categories})").format(
                period=period_in_words(step.after, lang),
                method=step.method.in_language(lang),
                categories=_categories(policy, step.categories, lang, t),
            )
        )
    return lines
