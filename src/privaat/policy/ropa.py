"""The record of processing activities (GDPR art. 30(1)): one row per activity, as plain data.

    Policy ──ropa_header(policy, lang)──► RopaHeader     what holds for the whole register:
                                                         controller, contact, DPO, where the
                                                         controller is a processor, general
                                                         security measures
           ──ropa_rows(policy, lang)────► [RopaRow, ...] one per processing activity
                                              │
                                              └─ every field ART_30_1_FIELDS names is
                                                 non-empty, in words, in one language (L73)

The register speaks in the third person ("the data subject"): a row's description is the
activity's ``register_description``, the public ``description`` (which says "you") only where
the file has none yet. Its vocabulary (legal bases, recipient roles, safeguards, periods, the
AP's DPIA criteria) comes from ``privaat.policy.wording`` and its purposes and data subjects
from ``privaat.policy.dpv_words``, the same words the public privacy text (``privaat.render``)
uses, so the register and the text a customer reads can never name the same thing
differently. Its own phrases are English msgids, translated by the catalogue in use
(``privaat.policy.wording.translator``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from privaat.policy.dpv_words import data_subject_words, purpose_words
from privaat.policy.schema import (
    Address,
    Controller,
    DataProtectionOfficer,
    DataSource,
    DpiaScreening,
    LegalBasis,
    Policy,
    PrivacyContact,
    ProcessingActivity,
    ProcessorService,
    Recipient,
    RecipientRole,
    Transfer,
)
from privaat.policy.vocab import EEA_COUNTRIES
from privaat.policy.wording import (
    N_,
    RetentionPhrases,
    Translator,
    dpia_criterion_words,
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
    "RopaHeader",
    "RopaRow",
    "ProcessorRecordRow",
    "VendorRow",
    "in_third_country",
    "processor_record",
    "ropa_header",
    "ropa_rows",
    "vendor_register",
]


@dataclass(frozen=True, slots=True)
class RopaHeader:
    """What the register states once, for every activity: its heading part."""

    controller: str  # art. 30(1)(a): name and contact details
    privacy_contact: str  # art. 30(1)(a): the data protection contact
    data_protection_officer: str  # art. 30(1)(a), 37: who, or that none is appointed and why
    # where the controller is a processor for others (art. 30(2) is then its own record);
    # empty when it is not
    processor_role: str
    # art. 32(1): the measures the system takes for every activity, stated once
    general_security_measures: str


@dataclass(frozen=True, slots=True)
class RopaRow:
    """One processing activity as the register records it."""

    activity_id: str
    activity: str
    promises: tuple[str, ...]
    description: str  # third person: the register_description
    controller: str  # art. 30(1)(a): name and contact details
    privacy_contact: str  # art. 30(1)(a): the data protection contact
    data_protection_officer: str  # art. 30(1)(a): the DPO, or why there is none
    purposes: str  # art. 30(1)(b)
    legal_basis: str  # art. 6(1): not in art. 30(1), but the AP asks for it
    legitimate_interest: str  # the art. 6(1)(f) statement; empty on another basis
    lia: str  # the legitimate interests assessment behind 6(1)(f); empty on another basis
    data_subjects: str  # art. 30(1)(c)
    data_categories: str  # art. 30(1)(c)
    sources: str  # art. 14(2)(f)
    profiling: str  # art. 4(4), 22: the profiling this activity does, or that it does none
    recipients: str  # art. 30(1)(d), those in third countries marked
    processor_agreements: str  # art. 28(3): each processor with its agreement; empty: none
    joint_controllers: str  # art. 26: each joint controller with its arrangement; empty: none
    transfers: str  # art. 30(1)(e), each with its safeguard (art. 45-49)
    retention: str  # art. 30(1)(f), with legal holds and minimisation
    security_measures: str  # art. 30(1)(g), the measures of art. 32(1) for this activity
    dpia: str  # art. 35: the screening against the AP's list, its DPIA and outcome
    notes: str  # where the policy file deviates from the seed policy


# each row field art. 30(1) requires, with its letter (LEGAL L73)
ART_30_1_FIELDS: tuple[tuple[str, str], ...] = (
    ("controller", "a"),
    ("privacy_contact", "a"),
    ("data_protection_officer", "a"),
    ("purposes", "b"),
    ("data_subjects", "c"),
    ("data_categories", "c"),
    ("recipients", "d"),
    ("transfers", "e"),
    ("retention", "f"),
    ("security_measures", "g"),
)

# the fields that are the same on every row: the register's heading states them once
HEADER_FIELDS: tuple[str, ...] = ("controller", "privacy_contact", "data_protection_officer")

# art. 30(1)(g), 32(1): the measures this system itself takes, the same for every activity;
# stated once in the register's heading, and for an activity the file gives no measures of
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


def ropa_header(policy: Policy, lang: str = "en") -> RopaHeader:
    """What the register of ``policy`` states once, before its rows."""
    t = translator(lang)
    role = policy.processor_role
    return RopaHeader(
        controller=_controller(policy.controller, t),
        privacy_contact=_privacy_contact(policy.privacy_contact, lang),
        data_protection_officer=_dpo(policy.data_protection_officer, lang, t),
        processor_role=role.in_language(lang) if role is not None else "",
        general_security_measures=t.gettext(SECURITY_MEASURES),
    )


def ropa_rows(policy: Policy, lang: str = "en") -> list[RopaRow]:
    """The register of ``policy``: one row per activity, in the file's order."""
    t = translator(lang)
    header = ropa_header(policy, lang)
    return [_row(policy, activity, lang, t, header) for activity in policy.activities]


def in_third_country(country: str | None) -> bool:
    """Whether sending data to ``country`` is a transfer in the sense of GDPR chapter V."""
    return country is not None and country not in EEA_COUNTRIES


def _row(
    policy: Policy,
    activity: ProcessingActivity,
    lang: str,
    t: Translator,
    header: RopaHeader,
) -> RopaRow:
    # the transfers' recipients are recipients too (art. 4(9)), listed or not
    recipient_ids = dict.fromkeys(
        [*activity.recipients, *(tr.recipient for tr in activity.transfers)]
    )
    recipients = [policy.recipient(r) for r in recipient_ids]
    statement = activity.legitimate_interest
    description = activity.register_description or activity.description
    security = activity.security
    return RopaRow(
        activity_id=activity.id,
        activity=activity.name.in_language(lang),
        promises=activity.promises,
        description=description.in_language(lang),
        controller=header.controller,
        privacy_contact=header.privacy_contact,
        data_protection_officer=header.data_protection_officer,
        purposes="; ".join(purpose_words(p, lang) for p in activity.purposes),
        legal_basis=legal_basis_words(activity.legal_basis, lang),
        legitimate_interest=statement.in_language(lang) if statement is not None else "",
        lia=_lia(activity, t),
        data_subjects="; ".join(data_subject_words(s, lang) for s in activity.data_subjects),
        data_categories="; ".join(_category(policy, c, lang, t) for c in activity.data_categories),
        sources="; ".join(_source(s, t) for s in activity.sources),
        profiling=_profiling(activity, lang, t),
        recipients="; ".join(_recipient(r, lang, t) for r in recipients)
        or t.gettext("none; processed internally only"),
        processor_agreements="; ".join(
            _agreement(r, t) for r in recipients if r.role is RecipientRole.PROCESSOR
        ),
        joint_controllers="; ".join(
            _arrangement(r, lang, t) for r in recipients if r.role is RecipientRole.JOINT_CONTROLLER
        ),
        transfers="; ".join(_transfer(policy, tr, lang, t) for tr in activity.transfers)
        or t.gettext("no transfer to third countries"),
        retention="; ".join(_retention(policy, activity, lang, t)),
        # art. 32: the activity's own measures; the general ones stand in the heading, and
        # stand in here too while the file names none for the activity
        security_measures=(
            security.in_language(lang) if security is not None else t.gettext(SECURITY_MEASURES)
        ),
        dpia=_dpia(activity.dpia, lang, t),
        notes=activity.notes or "",
    )


def _dpo(officer: DataProtectionOfficer | None, lang: str, t: Translator) -> str:
    if officer is None:
        return t.gettext("not stated in the policy file")
    if officer.appointed:
        # the schema demands a name and an e-mail address of an appointed DPO (art. 37(7))
        return f"{officer.name}; {officer.email}"
    return t.gettext("none appointed: {assessment}").format(
        assessment=officer.assessment.in_language(lang)
    )


def _lia(activity: ProcessingActivity, t: Translator) -> str:
    # the LIA behind art. 6(1)(f) (LEGAL L75); no basis other than 6(1)(f) has one
    if activity.legal_basis is not LegalBasis.LEGITIMATE_INTEREST:
        return ""
    return activity.lia or t.gettext("no assessment named in the policy file")


def _profiling(activity: ProcessingActivity, lang: str, t: Translator) -> str:
    parts = [
        activity.profiling.in_language(lang)
        if activity.profiling is not None
        else t.gettext("no profiling")
    ]
    if activity.automated_decision:
        parts.append(t.gettext("automated individual decision-making (GDPR art. 22)"))
    return "; ".join(parts)


def _agreement(recipient: Recipient, t: Translator) -> str:
    # art. 28(3): a processor works under a written agreement; the check demands one
    agreement = recipient.agreement or t.gettext("no agreement named in the policy file")
    return f"{recipient.name} — {agreement}"


def _arrangement(recipient: Recipient, lang: str, t: Translator) -> str:
    # art. 26(2): the essence of the arrangement; the check demands one
    arrangement = recipient.arrangement
    words = (
        arrangement.in_language(lang)
        if arrangement is not None
        else t.gettext("no arrangement named in the policy file")
    )
    return f"{recipient.name} — {words}"


def _transfer(policy: Policy, transfer: Transfer, lang: str, t: Translator) -> str:
    recipient = policy.recipient(transfer.recipient).name
    if transfer.importer is not None:
        # e.g. Google Ireland Limited, whose sub-processor Google LLC receives the data
        recipient = t.gettext("{recipient} to {importer}").format(
            recipient=recipient, importer=transfer.importer
        )
    ground = safeguard_words(transfer.safeguard, lang)
    if transfer.fallback is not None:
        # art. 45 DPF first; SCCs (art. 46(2)(c)) take over should the decision fall
        ground = t.gettext("{safeguard}, falling back on {fallback}").format(
            safeguard=ground, fallback=safeguard_words(transfer.fallback, lang)
        )
    return f"{recipient} ({transfer.country}): {ground}"


def _dpia(screening: DpiaScreening, lang: str, t: Translator) -> str:
    # art. 35(4): screened against the AP's list of processing that always needs a DPIA
    if screening.required:
        parts = [
            t.gettext("meets the AP's DPIA list: {criteria}").format(
                criteria=", ".join(dpia_criterion_words(c, lang) for c in screening.criteria)
            ),
            # the schema demands the DPIA's reference when a criterion is met
            t.gettext("DPIA: {reference}").format(reference=screening.reference),
        ]
    else:
        parts = [t.gettext("meets no criterion of the AP's DPIA list")]
        if screening.reference is not None:
            parts.append(t.gettext("DPIA: {reference}").format(reference=screening.reference))
    if screening.outcome is not None:
        parts.append(screening.outcome.in_language(lang))
    return "; ".join(parts)


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


def _retention(policy: Policy, activity: ProcessingActivity, lang: str, t: Translator) -> list[str]:
    retention = activity.retention
    rule = retention_in_words(retention, lang, REGISTER_RETENTION)
    lines = [rule]
    if retention.applies_to:
        # a disclosure log keeps who asked for what, not the data it names: that data stays
        # only as long as its own activity keeps it (art. 5(1)(e); LEGAL L36)
        lines = [
            t.gettext("{rule}, for: {categories}").format(
                rule=rule, categories=_categories(policy, retention.applies_to, lang, t)
            )
        ]
        others = [c for c in activity.data_categories if c not in retention.applies_to]
        if others:
            lines.append(
                t.gettext(
                    "the other data ({categories}) is kept only as long as the activity it "
                    "comes from keeps it"
                ).format(categories=_categories(policy, others, lang, t))
            )
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


# --- the processor register (L19): every vendor with its agreement and transfer mechanism ---

# the recipients that are not vendors: the register lists who the controller engages or
# shares with by its own choice; an authority or a future successor is told by law or deal
_NOT_VENDORS = frozenset({RecipientRole.AUTHORITY, RecipientRole.SUCCESSOR})


@dataclass(frozen=True, slots=True)
class VendorRow:
    """One vendor (processor, independent or joint controller, group company) as the
    processor register records it (GDPR art. 28, 26, 44-46; LEGAL L19)."""

    recipient_id: str
    vendor: str
    role: str  # processor, independent controller, ...
    agreement: str  # art. 28(3) agreement, art. 26 arrangement, or why none is needed
    country: str  # where the vendor is established; "" when the file names none
    transfers: str  # art. 44-46: each transfer with country, safeguard, importer, fallback
    activities: str  # the processing activities that use the vendor
    processor_services: str  # the art. 30(2) services it is a sub-processor for; "" none


def vendor_register(policy: Policy, lang: str = "en") -> list[VendorRow]:
    """Every vendor of ``policy`` in the file's order, with what the register needs."""
    t = translator(lang)
    return [
        _vendor(policy, recipient, lang, t)
        for recipient in policy.recipients
        if recipient.role not in _NOT_VENDORS
    ]


def _vendor(policy: Policy, recipient: Recipient, lang: str, t: Translator) -> VendorRow:
    using = [
        a
        for a in policy.activities
        if recipient.id in a.recipients or any(tr.recipient == recipient.id for tr in a.transfers)
    ]
    services = [s for s in policy.processor_services if recipient.id in s.sub_processors]
    # each transfer of the data this vendor receives, once, as the activities and the
    # processor services name it (country, safeguard, importer, fallback)
    own = [
        tr
        for tr in (
            *(tr for a in using for tr in a.transfers),
            *(tr for s in services for tr in s.transfers),
        )
        if tr.recipient == recipient.id
    ]
    transfers = list(dict.fromkeys(_transfer(policy, tr, lang, t) for tr in own))
    if recipient.role is RecipientRole.PROCESSOR:
        agreement = _agreement(recipient, t).removeprefix(f"{recipient.name} — ")
    elif recipient.role is RecipientRole.JOINT_CONTROLLER:
        agreement = _arrangement(recipient, lang, t).removeprefix(f"{recipient.name} — ")
    elif recipient.agreement is not None:
        agreement = recipient.agreement
    else:
        agreement = t.gettext("none needed: an independent controller, responsible itself")
    return VendorRow(
        recipient_id=recipient.id,
        vendor=recipient.name,
        role=recipient_role_words(recipient.role, lang),
        agreement=agreement,
        country=recipient.country or "",
        transfers="; ".join(transfers) or _within_eea(recipient, lang, t),
        activities="; ".join(a.name.in_language(lang) for a in using),
        processor_services="; ".join(s.name.in_language(lang) for s in services),
    )


def _within_eea(recipient: Recipient, lang: str, t: Translator) -> str:
    if recipient.country is None:
        return t.gettext("no transfer to third countries")
    if in_third_country(recipient.country):
        # the check demands a safeguard for a recipient outside the EEA (L37)
        ground = (
            safeguard_words(recipient.safeguard, lang)
            if recipient.safeguard is not None
            else t.gettext("no safeguard named in the policy file")
        )
        return f"{recipient.name} ({recipient.country}): {ground}"
    return t.gettext("{country}: inside the EEA, no transfer to third countries").format(
        country=recipient.country
    )


# --- the record of a processor (art. 30(2), LEGAL L74): the content customers host ---


@dataclass(frozen=True, slots=True)
class ProcessorRecordRow:
    """One service in which the controller processes on its customers' behalf."""

    service_id: str
    service: str
    description: str
    processor: str  # art. 30(2)(a): the processor's name and contact details
    data_protection_officer: str  # art. 30(2)(a): its DPO, or why there is none
    controllers: str  # art. 30(2)(a): on whose behalf, as a category
    processing: str  # art. 30(2)(b): the categories of processing for each controller
    data_subjects: str
    data_categories: str
    agreement: str  # art. 28(3): the processing agreement with the customers
    sub_processors: str  # art. 28(2), (4): each with its own agreement
    transfers: str  # art. 30(2)(c), with the safeguards of art. 46
    security_measures: str  # art. 30(2)(d), 32(1): a general description
    breach_notice: str  # art. 33(2), LEGAL L72: how soon the customer is told of a breach


# each field art. 30(2) requires, with its letter
ART_30_2_FIELDS: tuple[tuple[str, str], ...] = (
    ("processor", "a"),
    ("data_protection_officer", "a"),
    ("controllers", "a"),
    ("processing", "b"),
    ("transfers", "c"),
    ("security_measures", "d"),
)


def processor_record(policy: Policy, lang: str = "en") -> list[ProcessorRecordRow]:
    """The art. 30(2) record of ``policy``: one row per processor service, in file order;
    empty when the controller processes for nobody."""
    t = translator(lang)
    header = ropa_header(policy, lang)
    return [_service(policy, s, lang, t, header) for s in policy.processor_services]


def _service(
    policy: Policy, service: ProcessorService, lang: str, t: Translator, header: RopaHeader
) -> ProcessorRecordRow:
    unknown = t.gettext("as the controller determines; not known to the processor")
    subs = [policy.recipient(r) for r in service.sub_processors]
    return ProcessorRecordRow(
        service_id=service.id,
        service=service.name.in_language(lang),
        description=service.description.in_language(lang),
        processor=header.controller,
        data_protection_officer=header.data_protection_officer,
        controllers=service.controllers.in_language(lang),
        processing="; ".join(p.in_language(lang) for p in service.processing),
        data_subjects=(
            service.data_subjects.in_language(lang)
            if service.data_subjects is not None
            else unknown
        ),
        data_categories=(
            service.data_categories.in_language(lang)
            if service.data_categories is not None
            else unknown
        ),
        agreement=service.agreement,
        sub_processors="; ".join(_agreement(r, t) for r in subs)
        or t.gettext("none: no sub-processor is engaged"),
        transfers="; ".join(_transfer(policy, tr, lang, t) for tr in service.transfers)
        or t.gettext("no transfer to third countries"),
        security_measures=service.security.in_language(lang),
        breach_notice=(
            t.gettext("without undue delay, at most {period} after becoming aware").format(
                period=period_in_words(service.breach_notice, lang)
            )
            if service.breach_notice is not None
            else t.gettext("without undue delay")
        ),
    )
