"""The typed schema of a policy file: controller, catalogues, and processing activities.

A policy file is the one source of truth: the public text is rendered from it, the
art. 30 register is generated from it, and the guard enforces it at run time.

    Policy
    ├── meta            version, last updated, the languages it is published in
    ├── promises        catalogue: the provider's own promises (P-ids), each kept by an
    │                   activity or by one of the mandatory blocks below; may be empty
    ├── controller      who decides (art. 4(7))
    ├── privacy_contact where requests go (art. 13(1)(b))
    ├── supervisory_authority
    ├── data_protection_officer  appointed or not, with the art. 37 assessment
    ├── situations      catalogue: the reader's situations the statement is ordered by
    ├── data_categories catalogue: id → names, DPV term, fideslang term
    ├── recipients      catalogue: processors, carriers, group companies, authorities
    └── activities      ProcessingActivity, each naming the P-ids it keeps (from the file's
                        own catalogue), purposes (DPV), categories, legal basis, retention,
                        recipients, consent, objection

The engine knows no provider: which promises exist is the policy file's own business.
Cross-references (unknown category, recipient, P-id, DPV term, duplicate id) are checked
by ``privaat.policy.validate``; this module checks what one object can check alone.
"""

from __future__ import annotations

import hashlib
from datetime import date
from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from privaat.policy.consent_mode import GoogleConsentMode, consent_mode_errors
from privaat.policy.period import Period

ActivityId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
CatalogueId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
PromiseId = Annotated[str, Field(pattern=r"^P[0-9]+$")]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]


class _Strict(BaseModel):
    # unknown keys are errors: a typo in a policy file must never be silently ignored
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    """One text in every published language."""

    nl: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def in_language(self, lang: str) -> str:
        return self.nl if lang == "nl" else self.en


class LegalBasis(StrEnum):
    """The six lawful bases of GDPR art. 6(1)."""

    CONSENT = "consent"  # 6(1)(a)
    CONTRACT = "contract"  # 6(1)(b)
    LEGAL_OBLIGATION = "legal_obligation"  # 6(1)(c)
    VITAL_INTERESTS = "vital_interests"  # 6(1)(d)
    PUBLIC_TASK = "public_task"  # 6(1)(e)
    LEGITIMATE_INTEREST = "legitimate_interest"  # 6(1)(f)

    @property
    def article(self) -> str:
        return _ARTICLE[self]

    @property
    def dpv(self) -> str:
        return _DPV_BASIS[self]


_ARTICLE = {
    LegalBasis.CONSENT: "art. 6(1)(a)",
    LegalBasis.CONTRACT: "art. 6(1)(b)",
    LegalBasis.LEGAL_OBLIGATION: "art. 6(1)(c)",
    LegalBasis.VITAL_INTERESTS: "art. 6(1)(d)",
    LegalBasis.PUBLIC_TASK: "art. 6(1)(e)",
    LegalBasis.LEGITIMATE_INTEREST: "art. 6(1)(f)",
}
_DPV_BASIS = {
    LegalBasis.CONSENT: "dpv:Consent",
    LegalBasis.CONTRACT: "dpv:Contract",
    LegalBasis.LEGAL_OBLIGATION: "dpv:LegalObligation",
    LegalBasis.VITAL_INTERESTS: "dpv:VitalInterest",
    LegalBasis.PUBLIC_TASK: "dpv:PublicInterest",  # DPV 2.x has no dpv:PublicTask
    LegalBasis.LEGITIMATE_INTEREST: "dpv:LegitimateInterest",
}


class Address(_Strict):
    street: str
    postal_code: str
    city: str
    country: CountryCode


class Controller(_Strict):
    """The controller (GDPR art. 4(7), 13(1)(a))."""

    name: str
    address: Address
    email: str
    website: str | None = None
    chamber_of_commerce: str | None = None


class PrivacyContact(_Strict):
    """Where data-subject requests and questions go (art. 13(1)(b))."""

    name: Text
    email: str
    address: Address | None = None


class SupervisoryAuthority(_Strict):
    """Where a complaint may be lodged (art. 13(2)(d), 77)."""

    name: str
    website: str
    complaint_url: str
    address: Address | None = None


class PolicyMeta(_Strict):
    id: CatalogueId
    version: int = Field(ge=1)
    last_updated: date
    effective: date | None = None
    languages: tuple[str, ...] = ("nl", "en")
    # Tw 11.3a / Reg. 611/2013: a public electronic communications service notifies
    # the AP of a breach within 24 hours instead of 72 (LEGAL L70)
    public_electronic_communications_service: bool = False
    # the activities of that service (the PBX's telephony): only a breach that touches one
    # of them has the 24 hours; none named while the setting is on means every breach has
    electronic_communications_activities: tuple[str, ...] = ()


class PolicyBlock(StrEnum):
    """A mandatory block of every policy that keeps a promise by itself, with no activity."""

    LAST_UPDATED = "policy.last_updated"  # the dated, versioned policy (art. 13(3); L48)
    CONTROLLER = "controller"  # the controller's identity and address (art. 13(1)(a))


class Promise(_Strict):
    """One promise of the provider's own policy text, cited by its id in activities and code."""

    id: PromiseId
    # a paraphrase of the source sentence, in the source's language: for traceability and
    # for the check's messages, never published
    summary: str = Field(min_length=1)
    # kept by a block every valid policy has, so no activity needs to name it
    met_by: PolicyBlock | None = None


class DataCategory(_Strict):
    """A kind of personal data, with its DPV and fideslang names for export."""

    id: CatalogueId
    name: Text
    dpv: str  # e.g. "pd:EmailAddress"
    fides: str  # e.g. "user.contact.email"
    special: bool = False  # art. 9 special category


class RecipientRole(StrEnum):
    PROCESSOR = "processor"  # art. 28: processes on our behalf, under an agreement
    CONTROLLER = "controller"  # an independent controller (e.g. a payment provider)
    # art. 26: decides purposes and means together with the controller (CJEU C-40/17
    # Fashion ID: a site embedding a social plug-in, for the collection and transmission)
    JOINT_CONTROLLER = "joint_controller"
    GROUP_COMPANY = "group_company"  # another company of the controller's group
    AUTHORITY = "authority"  # police, courts, the AP, the tax authority
    SUCCESSOR = "successor"  # a buyer or successor in a merger or sale


class Safeguard(StrEnum):
    """Why a recipient's country is lawful (GDPR art. 44-46)."""

    EEA = "eea"  # inside the EEA: no transfer in the sense of chapter V
    ADEQUACY = "adequacy"  # art. 45 decision (e.g. Switzerland 2000/518/EC)
    # art. 45: the EU-US Data Privacy Framework adequacy decision (C(2023) 4745), for an
    # importer certified under it; upheld by the General Court in T-553/23 Latombe (2025)
    DATA_PRIVACY_FRAMEWORK = "dpf"
    SCC = "scc"  # art. 46(2)(c) standard contractual clauses
    BCR = "bcr"  # art. 47 binding corporate rules
    EXPLICIT_CONSENT = "explicit_consent"  # art. 49(1)(a)


# an environment variable's name: where the webhook's secret is (never the policy file)
SettingName = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{2,127}$")]
_LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


class WebhookNotify(_Strict):
    """A processor's API for consent changes: signed POSTs (services.processor_notices)."""

    url: str = Field(max_length=2000)
    secret_setting: SettingName  # the environment variable that holds the HMAC secret

    @model_validator(mode="after")
    def _https_or_loopback(self) -> WebhookNotify:
        # TLS to the processor; plain http only to this machine (a test or demo receiver),
        # and the sender refuses even that in production (services.opendsr_delivery)
        try:
            parts = urlsplit(self.url)
            parts.port  # noqa: B018  (a bad port raises here)
        except ValueError:
            raise ValueError("notify.webhook.url is not a valid URL") from None
        if parts.username is not None or parts.fragment:
            raise ValueError("notify.webhook.url must carry no user name and no fragment")
        if parts.scheme == "https" and parts.hostname:
            return self
        if parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS:
            return self
        raise ValueError("notify.webhook.url must be https (plain http only to 127.0.0.1)")


class RecipientNotify(_Strict):
    """How a processor is told of each consent, objection and suppression change (L11)."""

    webhook: WebhookNotify | None = None
    email: str | None = Field(default=None, max_length=254)  # a processor without an API
    language: str | None = Field(default=None, pattern=r"^(nl|en)$")  # of the e-mail
    # data minimisation: the processor gets the person's address only when it needs it to
    # act, e.g. a mail service that must stop mailing the address (L11); else a pseudonym
    include_address: bool = False

    @model_validator(mode="after")
    def _one_channel(self) -> RecipientNotify:
        if (self.webhook is None) == (self.email is None):
            raise ValueError("notify needs exactly one of webhook and email")
        if self.email is not None and "@" not in self.email.strip("@"):
            raise ValueError("notify.email must be an e-mail address")
        return self


class Recipient(_Strict):
    """A processor, independent controller, group company or authority."""

    id: CatalogueId
    name: str
    role: RecipientRole
    description: Text
    country: CountryCode | None = None
    safeguard: Safeguard | None = None
    # art. 28(3): a processor works under a written agreement
    agreement: str | None = None
    # art. 26(2): the essence of a joint controllers' arrangement, made available to the reader
    arrangement: Text | None = None
    privacy_policy_url: str | None = None
    # art. 19: where a rectification, erasure or restriction is told to this recipient (its
    # privacy contact); none: the privacy officer tells it by other means, and it is listed
    contact_email: str | None = None
    # issue 14 item 2, L11: a processor told of consent changes by webhook or e-mail
    notify: RecipientNotify | None = None


class RetentionStart(StrEnum):
    """When the retention period starts to run."""

    COLLECTION = "collection"  # the record's own creation time
    ACCOUNT_CLOSURE = "account_closure"  # kept while the account is active
    EVENT = "event"  # a named event, e.g. a support case being closed
    CONSENT_WITHDRAWAL = "consent_withdrawal"


class LegalHold(_Strict):
    """A statutory retention that outlives the activity (e.g. invoices, 7 years)."""

    period: Period
    ground: Text  # e.g. "AWR art. 52(4): fiscale bewaarplicht"
    categories: tuple[CatalogueId, ...]


class Minimisation(_Strict):
    """A reduction before deletion, e.g. truncating IP addresses (LEGAL L23)."""

    after: Period
    categories: tuple[CatalogueId, ...]
    method: Text


class Retention(_Strict):
    starts: RetentionStart
    period: Period
    event: Text | None = None
    # the categories this period keeps; empty: all of the activity's categories. A
    # disclosure log keeps who asked for what for five years, not the data it names: the
    # data itself stays only as long as its own activity keeps it
    applies_to: tuple[CatalogueId, ...] = ()
    legal_holds: tuple[LegalHold, ...] = ()
    minimise: tuple[Minimisation, ...] = ()

    @model_validator(mode="after")
    def _event_named(self) -> Retention:
        if self.starts is RetentionStart.EVENT and self.event is None:
            raise ValueError("retention that starts at an event must name the event")
        return self


# the cookie banner's always-on category: the strictly necessary cookies (Tw 11.7a(3)(b))
NECESSARY_BANNER_CATEGORY = "necessary"


class Channel(StrEnum):
    """Where a person withdraws consent or objects; each is no harder than giving it (art. 7(3)).

    A channel the running system provides (a page, a toggle, a link in every e-mail) is named
    in the public statement only when the system offers it for that activity
    (``privaat.web.channels``); the others are always there.
    """

    ACCOUNT_PREFERENCES = "account_preferences"  # a setting in the privacy centre
    UNSUBSCRIBE_LINK = "unsubscribe_link"  # in every e-mail of the activity (RFC 8058)
    COOKIE_SETTINGS = "cookie_settings"  # the cookie settings on every page
    SUPPORT_ACCESS_PAGE = "support_access_page"  # the centre's support-access page
    PRIVACY_EMAIL = "privacy_email"  # the privacy contact's mailbox: always there
    TELL_AGENT = "tell_agent"  # said to the agent, e.g. at the start of a call: always there
    BROWSER_SETTINGS = "browser_settings"  # deleting or blocking cookies in the browser

    @property
    def offered_by_system(self) -> bool:
        """True when the running system must offer this channel before the text may name it."""
        return self not in _ALWAYS_THERE


_ALWAYS_THERE = frozenset({Channel.PRIVACY_EMAIL, Channel.TELL_AGENT, Channel.BROWSER_SETTINGS})


def consent_text_sha256(text: str) -> str:
    """The hex SHA-256 of a consent text as shown (UTF-8), as the consent log stores it (L7)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Consent(_Strict):
    """How consent is asked and withdrawn for a consent-based activity."""

    # the consent text's version, for the policy diff and the register; the guard proves
    # consent against the hash of the exact text shown instead (text_hashes, LEGAL L86)
    version: int = Field(default=1, ge=1)
    request: Text
    channels: tuple[Channel, ...] = Field(min_length=1)
    expires_after: Period | None = None  # e.g. a support-access grant (LEGAL L29)
    # double opt-in (issue 14 item 5): the consent counts only once the person opens a link
    # mailed to the account's address, within this period; unconfirmed, the request expires
    confirm_by_email: Period | None = None

    @model_validator(mode="after")
    def _confirmable(self) -> Consent:
        if self.confirm_by_email is not None and Channel.COOKIE_SETTINGS in self.channels:
            # a visitor of the cookie settings has no address the link could go to
            raise ValueError("'confirm_by_email' on a consent asked in cookie_settings")
        return self

    def text_hashes(self) -> frozenset[str]:
        """The hashes of the request text in every language: a consent counts only for these."""
        # art. 7(1), LEGAL L86: consent is proven against the exact text shown, in the
        # language shown; changing the text in any language makes its consents stale
        return frozenset(
            consent_text_sha256(getattr(self.request, language))
            for language in type(self.request).model_fields
        )


class Objection(_Strict):
    """The right to object to this activity (art. 21) and how to use it."""

    possible: bool
    # art. 21(3): an objection to direct marketing is absolute, no compelling grounds
    absolute: bool = False
    # False: the controller never invokes compelling grounds (art. 21(1)) against this
    # objection, e.g. a caller declining call recording (LEGAL L26); stricter than the law
    overridable: bool = True
    # where the person objects; the statement names only the channels that are live
    channels: tuple[Channel, ...] = ()
    # what the reader should know beyond where to object (no channel named here), e.g.
    # "we weigh your objection against every customer's security"
    note: Text | None = None


class StorageKind(StrEnum):
    """What a website or e-mail stores on or reads from a device (Tw 11.7a)."""

    COOKIE = "cookie"
    LOCAL_STORAGE = "local_storage"
    PIXEL = "pixel"  # a tracking pixel or a tracked link in an e-mail


class Cookie(_Strict):
    """One cookie or similar technology, as the cookie table lists it."""

    name: str = Field(min_length=1, max_length=128)
    kind: StorageKind = StorageKind.COOKIE
    # who sets or reads it: a recipient id (third party), or none: the controller itself
    recipient: CatalogueId | None = None
    purpose: Text
    lifetime: Period | None = None  # none: it ends when the browser closes (a session cookie)

    @property
    def first_party(self) -> bool:
        return self.recipient is None


class DpiaCriterion(StrEnum):
    """The AP's list of processing that always needs a DPIA (Stcrt. 2019, 64418; art. 35(4))."""

    COVERT_INVESTIGATION = "covert_investigation"  # 1 heimelijk onderzoek
    BLACKLISTS = "blacklists"  # 2 zwarte lijsten
    FRAUD_PREVENTION = "fraud_prevention"  # 3 fraudebestrijding
    CREDIT_SCORES = "credit_scores"  # 4 creditscores
    FINANCIAL_SITUATION = "financial_situation"  # 5 financiële situatie
    GENETIC_DATA = "genetic_data"  # 6 genetische persoonsgegevens
    BIOMETRIC_DATA = "biometric_data"  # 7 biometrische gegevens
    COOPERATION = "cooperation"  # 8 samenwerkingsverbanden
    CAMERA_SURVEILLANCE = "camera_surveillance"  # 9 cameratoezicht
    FLEXIBLE_CAMERAS = "flexible_cameras"  # 10 flexibel cameratoezicht
    EMPLOYEE_MONITORING = "employee_monitoring"  # 11 controle werknemers
    LOCATION_DATA = "location_data"  # 12 locatiegegevens
    COMMUNICATION_DATA = "communication_data"  # 13 communicatiegegevens
    INTERNET_OF_THINGS = "internet_of_things"  # 14 internet of things
    PROFILING = "profiling"  # 15 profilering
    BEHAVIOUR_OBSERVATION = "behaviour_observation"  # 16 observatie en beïnvloeding van gedrag
    HEALTH_DATA = "health_data"  # 17 gezondheidsgegevens


class DpiaScreening(_Strict):
    """The register's DPIA screening of one activity against the AP's mandatory list."""

    # the criteria of the list the activity meets; none: screened, no DPIA required
    criteria: tuple[DpiaCriterion, ...] = ()
    reference: str | None = None  # the DPIA document, required when a criterion is met
    outcome: Text | None = None  # the screening's conclusion in a sentence, for the register

    @model_validator(mode="after")
    def _criteria_need_a_dpia(self) -> DpiaScreening:
        if self.criteria and self.reference is None:
            raise ValueError("a criterion of the AP's DPIA list is met: name the DPIA (reference)")
        return self

    @property
    def required(self) -> bool:
        return bool(self.criteria)


class Situation(_Strict):
    """A situation the reader is in ("becoming a customer"): the statement's sections."""

    id: CatalogueId
    title: Text


class DataProtectionOfficer(_Strict):
    """Who the DPO is (art. 37-39, 13(1)(b)), or that none is appointed and why."""

    appointed: bool
    name: str | None = None
    email: str | None = None
    # the art. 37(1) assessment: why a DPO is or is not required, in a sentence or two
    assessment: Text

    @model_validator(mode="after")
    def _appointed_has_contact(self) -> DataProtectionOfficer:
        if self.appointed and (self.name is None or self.email is None):
            raise ValueError("an appointed DPO needs a name and an e-mail address (art. 37(7))")
        return self


class DataSource(StrEnum):
    DATA_SUBJECT = "data_subject"  # given by the person
    OBSERVED = "observed"  # recorded from the person's use of a service or device
    DERIVED = "derived"  # inferred or computed by us
    THIRD_PARTY = "third_party"  # received from someone else (art. 14)


class Transfer(_Strict):
    """A transfer outside the Netherlands to a recipient (art. 44-49)."""

    recipient: CatalogueId
    country: CountryCode
    safeguard: Safeguard
    # the company in the third country that receives the data, when it is not the
    # recipient itself (e.g. Google LLC, the sub-processor of Google Ireland Limited)
    importer: str | None = None
    # the safeguard that applies if the first one fails (e.g. SCCs behind the DPF)
    fallback: Safeguard | None = None


class ProcessingActivity(_Strict):
    """One processing activity: what is done with which data, why, and on what ground."""

    id: ActivityId
    name: Text
    description: Text
    # the situation of the catalogue under which the statement describes this activity;
    # the check demands one when the policy has situations
    situation: CatalogueId | None = None
    # the register's description, in the third person ("the customer"); the public
    # statement uses ``description``, which speaks to the reader
    register_description: Text | None = None
    # the just-in-time notice shown where the data is collected (sign-up, checkout, the
    # call announcement, the support-access dialog): one or two short sentences
    notice: Text | None = None
    # for the statement's first layer: what may surprise a reader about this activity
    surprise: Text | None = None
    # art. 13(2)(e): whether providing the data is a legal or contractual requirement,
    # which data is required, and what happens without it
    requirement: Text | None = None
    # profiling (art. 4(4)) done by this activity, in words; none: no profiling
    profiling: Text | None = None
    # the promises of the file's own catalogue this activity keeps (none without one)
    promises: tuple[PromiseId, ...] = ()
    purposes: tuple[str, ...] = Field(min_length=1)
    # the fideslang data use, for export to Fides-compatible tools (e.g. "marketing.communications")
    fides_data_use: str | None = None
    data_categories: tuple[CatalogueId, ...] = Field(min_length=1)
    data_subjects: tuple[str, ...] = Field(min_length=1)
    legal_basis: LegalBasis
    legitimate_interest: Text | None = None
    # the legitimate interests assessment (LIA) document behind an art. 6(1)(f) basis
    lia: str | None = None
    retention: Retention
    sources: tuple[DataSource, ...] = Field(min_length=1)
    recipients: tuple[CatalogueId, ...] = ()
    transfers: tuple[Transfer, ...] = ()
    consent: Consent | None = None
    # runs only for people with a valid consent to each of these consent-based activities,
    # e.g. selecting who gets marketing e-mail among those who opted in (LEGAL L13)
    requires_consent_of: tuple[ActivityId, ...] = ()
    objection: Objection
    # art. 18(2): while processing is restricted, only storage, legal claims, the
    # protection of others' rights, or processing with consent may continue
    during_restriction: bool = False
    # runs for people without an account, or after it is closed (e.g. tax records)
    after_account_closure: bool = False
    # P18, art. 8: keeps running for a person found to be under 16, whose other processing
    # stops: the protection itself (closing the account, erasing the data, the minor flag).
    # Legal obligations continue for minors anyway; this is for an activity on another basis
    continues_for_minors: bool = False
    automated_decision: bool = False
    # the cookies and similar technologies this activity sets or reads (Tw 11.7a)
    cookies: tuple[Cookie, ...] = ()
    # the cookie banner's category for a consent-based activity asked in the cookie settings
    # (the name a site's scripts carry in ``data-category``, e.g. "analytics"); none: its id
    banner_category: CatalogueId | None = None
    # art. 32: the security measures of this activity, for the register
    security: Text | None = None
    # art. 35: the screening against the AP's list of processing that needs a DPIA
    dpia: DpiaScreening = DpiaScreening()
    notes: str | None = None  # for the register: where the file deviates from the seed

    @model_validator(mode="after")
    def _basis_has_its_justification(self) -> ProcessingActivity:
        # GDPR art. 13(1)(d): a legitimate interest must be stated
        if self.legal_basis is LegalBasis.LEGITIMATE_INTEREST and self.legitimate_interest is None:
            raise ValueError("legitimate interest without a 'legitimate_interest' statement")
        # GDPR art. 7(3): consent must be as easy to withdraw as to give
        if self.legal_basis is LegalBasis.CONSENT and self.consent is None:
            raise ValueError("consent-based activity without a 'consent' block (withdrawal path)")
        if self.banner_category is not None:
            # the banner asks only consents given and withdrawn in the cookie settings
            if self.consent is None or Channel.COOKIE_SETTINGS not in self.consent.channels:
                raise ValueError("'banner_category' on an activity not asked in cookie_settings")
            if self.banner_category == NECESSARY_BANNER_CATEGORY:
                raise ValueError(f"'{NECESSARY_BANNER_CATEGORY}' is the always-on category")
        return self

    @property
    def requires_consent(self) -> bool:
        return self.legal_basis is LegalBasis.CONSENT

    @property
    def uses_profiling(self) -> bool:
        return self.profiling is not None


class MarketingChoice(_Strict):
    """One thing a person may choose in their marketing preferences (a topic, a service)."""

    id: CatalogueId
    name: Text


class MarketingChannel(_Strict):
    """A channel marketing reaches people by, and the consent-based activity that sends it."""

    id: CatalogueId
    name: Text
    activity: CatalogueId  # e.g. marketing_email: sending by this channel needs its consent


class Marketing(_Strict):
    """What marketing preferences offer (P4): topics, channels, and the services a customer
    can hold that a selection may target; optional for a provider that sends no marketing."""

    topics: tuple[MarketingChoice, ...] = Field(min_length=1)
    channels: tuple[MarketingChannel, ...] = Field(min_length=1)
    services: tuple[MarketingChoice, ...] = ()

    @model_validator(mode="after")
    def _ids_unique(self) -> Marketing:
        for kind, items in (
            ("topic", self.topics),
            ("channel", self.channels),
            ("service", self.services),
        ):
            ids = [item.id for item in items]
            if len(ids) != len(set(ids)):
                raise ValueError(f"marketing: a {kind} id is listed twice: {sorted(ids)}")
        return self


class AccountActivity(_Strict):
    """When an account counts as active (P20, LEGAL L52): the seed keeps data "as long as the
    account is considered active", and this says what that is.

    An account is inactive when for ``inactive_after`` nobody logged in to it (the privacy
    centre, a datacenter service: servers, webmail, the PBX) and it held no live service (a
    service on the account, an order in the shop) (``services.inactivity`` reads these).
    Then a notice goes out by e-mail; unless the person logs in within ``notice``, the
    account is closed by the normal closure, after which each activity's retention from the
    closure runs. Optional: without it no account is ever closed for inactivity.
    """

    inactive_after: Period  # e.g. P24M: two years without a log-in or a live service
    notice: Period  # e.g. P30D: the grace period between the notice and the closure

    @model_validator(mode="after")
    def _periods_positive(self) -> AccountActivity:
        for name in ("inactive_after", "notice"):
            if getattr(self, name).approx_days() < 1:
                raise ValueError(f"account_activity.{name} must be at least one day")
        return self


class ProcessorService(_Strict):
    """A service in which the controller is itself a processor for its business customers
    (GDPR art. 28, 30(2); LEGAL L74): what they host with it (websites, mailboxes, a PBX).

    The art. 30(2) record (``privaat.policy.ropa.processor_record``) has one entry per
    service; the public statement does not cover this content (``processor_role``).
    """

    id: CatalogueId
    name: Text
    # what the service processes on the customer's instruction, in the third person
    description: Text
    # art. 30(2)(a): the controllers on whose behalf it is processed, as a category
    controllers: Text
    # art. 30(2)(b): the categories of processing carried out for each controller
    processing: tuple[Text, ...] = Field(min_length=1)
    # whose data and what data, as far as the processor knows it: the customer decides
    data_subjects: Text | None = None
    data_categories: Text | None = None
    # art. 28(3): the processing agreement the customers accept with the service
    agreement: str = Field(min_length=1)
    # art. 28(2), (4): sub-processors engaged for the service (recipients, role processor)
    sub_processors: tuple[CatalogueId, ...] = ()
    # art. 30(2)(c): transfers to third countries, each with its safeguard
    transfers: tuple[Transfer, ...] = ()
    # art. 30(2)(d), 32(1): a general description of the security measures
    security: Text
    # art. 33(2), LEGAL L72: a breach is told to the customer without undue delay, at most
    # within this period after the processor becomes aware of it
    breach_notice: Period | None = None


class _ActivityIndex:
    """A policy's activities by id: a cache, so never part of a policy's equality (pydantic
    compares private attributes: a policy that has been asked for an activity would otherwise
    differ from the same policy read afresh)."""

    __slots__ = ("activities", "by_id")

    def __init__(self, activities: tuple[ProcessingActivity, ...]) -> None:
        self.activities = activities
        self.by_id = {a.id: a for a in activities}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _ActivityIndex) or other is None

    __hash__ = None  # type: ignore[assignment]


class Policy(_Strict):
    """A whole policy file."""

    policy: PolicyMeta
    # optional: a provider whose policy makes no numbered promises leaves it out, and then
    # its activities name none
    promises: tuple[Promise, ...] = ()
    controller: Controller
    privacy_contact: PrivacyContact
    supervisory_authority: SupervisoryAuthority
    # the check demands it; optional here so that a test can build a policy without one
    data_protection_officer: DataProtectionOfficer | None = None
    # where the controller is a processor for others (e.g. the content customers host),
    # which this statement then does not cover
    processor_role: Text | None = None
    # optional: without situations the statement lists the activities in file order
    situations: tuple[Situation, ...] = ()
    data_categories: tuple[DataCategory, ...]
    recipients: tuple[Recipient, ...]
    activities: tuple[ProcessingActivity, ...] = Field(min_length=1)
    # P4: the topics, channels and services of marketing preferences (issue 10 item 2)
    marketing: Marketing | None = None
    # P20, L52: when an account counts as inactive, and the notice before its closure
    account_activity: AccountActivity | None = None
    # L74, art. 30(2): the services in which the controller is a processor for its customers
    processor_services: tuple[ProcessorService, ...] = ()
    # issue 14: the banner's Google Consent Mode v2 types per category (policy/consent_mode.py)
    google_consent_mode: GoogleConsentMode | None = None
    # services look activities up on every guarded read: an index, rebuilt whenever the
    # activities tuple is another one (model_copy(update=...) shares private attributes)
    _index: _ActivityIndex | None = PrivateAttr(default=None)

    def activity(self, activity_id: str) -> ProcessingActivity:
        """The activity with this id; KeyError names it when the policy lacks it."""
        if self._index is None or self._index.activities is not self.activities:
            self._index = _ActivityIndex(self.activities)
        return self._index.by_id[activity_id]

    @property
    def activity_ids(self) -> frozenset[str]:
        """The ids of the declared activities."""
        return frozenset(a.id for a in self.activities)

    @model_validator(mode="after")
    def _communications_activities_known(self) -> Policy:
        unknown = set(self.policy.electronic_communications_activities) - self.activity_ids
        if unknown:
            raise ValueError(
                f"policy.electronic_communications_activities: no such activity {sorted(unknown)}"
            )
        return self

    @model_validator(mode="after")
    def _banner_categories_unique(self) -> Policy:
        named = [a.banner_category or a.id for a in self.activities if a.banner_category]
        if len(named) != len(set(named)):
            raise ValueError(f"two activities share a banner_category: {sorted(named)}")
        return self

    @model_validator(mode="after")
    def _consent_mode_names_banner_categories(self) -> Policy:
        if self.google_consent_mode is not None:
            categories = [
                a.banner_category or a.id
                for a in self.activities
                if a.consent is not None and Channel.COOKIE_SETTINGS in a.consent.channels
            ]
            errors = consent_mode_errors(self.google_consent_mode, categories)
            if errors:
                raise ValueError("; ".join(errors))
        return self

    def situation(self, situation_id: str) -> Situation:
        for situation in self.situations:
            if situation.id == situation_id:
                return situation
        raise KeyError(situation_id)

    def category(self, category_id: str) -> DataCategory:
        for category in self.data_categories:
            if category.id == category_id:
                return category
        raise KeyError(category_id)

    def recipient(self, recipient_id: str) -> Recipient:
        for recipient in self.recipients:
            if recipient.id == recipient_id:
                return recipient
        raise KeyError(recipient_id)
