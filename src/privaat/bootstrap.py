"""The composition root: the only module that knows the whole set of parts and wires them.

    Settings ─▶ policy (file) ─▶ master key ─▶ engine (migrated) ─▶ key store, access log
                                                     │
                 guard ─▶ SubjectAccess (the enforcement seam) ─▶ services
                                                     │
  Accounts · Sessions · LoginHistory · Credentials · Notifier · Outbox · Erasure · Objections
  Consents

Nothing inner imports this module: services receive their collaborators, so a test can
build any of them from fakes (an in-memory mail transport, a fixed clock, cheap hashing).
Every entry point (the web app, each CLI command, a job) starts here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TypedDict
from zoneinfo import ZoneInfo

from holidays import country_holidays
from sqlalchemy import Engine

from privaat.domain.activities import ACCOUNT
from privaat.domain.clock import Clock, SystemClock
from privaat.domain.guard import Guard
from privaat.domain.request_tasks import FourEyes, parse_four_eyes
from privaat.mail.transport import MailTransport, SmtpTransport
from privaat.policy.loader import load_policy_file
from privaat.policy.period import Period
from privaat.policy.schema import Policy
from privaat.services.access_log import AccessLog
from privaat.services.accounts import Accounts
from privaat.services.activities import require_activities
from privaat.services.backups import Backups
from privaat.services.breaches import BreachRegister
from privaat.services.call_recordings import CallRecordings
from privaat.services.campaigns import Campaigns
from privaat.services.consent_confirmations import ConsentConfirmations
from privaat.services.consent_stats import ConsentStats
from privaat.services.consents import Consents
from privaat.services.console import Console
from privaat.services.credentials import Credentials
from privaat.services.customer_sites import CustomerSites
from privaat.services.disclosures import DisclosureRegister
from privaat.services.dpia import DpiaRegister
from privaat.services.email_address import EmailAddresses
from privaat.services.erasure import Erasure
from privaat.services.external_stores import ExternalStores, read_stores_file
from privaat.services.fraud import FraudChecks
from privaat.services.geo import GeoLocator
from privaat.services.inactivity import AccountInactivity
from privaat.services.login_history import LoginHistory
from privaat.services.marketing import MarketingSelection
from privaat.services.marketing_preferences import Preferences
from privaat.services.minors import Minors
from privaat.services.notifier import Notifier
from privaat.services.objections import Objections
from privaat.services.opendsr import OpenDsr
from privaat.services.outbox import Outbox
from privaat.services.passwords import Passwords
from privaat.services.policy_publishing import PolicyPublishing, in_force
from privaat.services.policy_versions import PolicyVersions
from privaat.services.processor_notices import ProcessorNotices
from privaat.services.rate_limit import AttemptLimiter
from privaat.services.request_answers import RequestAnswers
from privaat.services.request_reminders import RequestReminders
from privaat.services.request_rights import RightsHandling
from privaat.services.request_stats import RequestStats
from privaat.services.request_tasks import PreApprovalWebhook, RequestTasks
from privaat.services.request_watchdog import RequestWatchdog
from privaat.services.retention import RetentionSweeps, retention_plan
from privaat.services.sessions import ATTEMPT_WINDOW, Sessions
from privaat.services.shop import Shop
from privaat.services.staff import StaffAccounts
from privaat.services.subject_access import SubjectAccess
from privaat.services.subject_requests import SubjectRequests
from privaat.services.subprocessor_notices import SubProcessorNotices
from privaat.services.support_access import SupportAccessGrants
from privaat.services.support_desk import SupportDesk
from privaat.services.telemetry import Telemetry
from privaat.services.visitors import Visitors
from privaat.settings import Mode, Settings
from privaat.store.crypto import MasterKey
from privaat.store.db import make_engine, migrate
from privaat.store.erasure_ledger import ErasureLedger
from privaat.store.key_store import KeyStore
from privaat.store.master_key import load_master_key
from privaat.store.registry import registry_activities
from privaat.store.tables import metadata
from privaat.store.unit_of_work import UnitOfWork

__all__ = ["Context", "bootstrap", "mail_transport", "open_database", "open_master_key"]


@dataclass
class Context:
    """The wired process: settings, database, policy and clock, and the services over them."""

    settings: Settings
    engine: Engine
    policy: Policy
    clock: Clock
    keys: KeyStore
    access_log: AccessLog
    access: SubjectAccess
    accounts: Accounts
    sessions: Sessions
    logins: LoginHistory | None
    outbox: Outbox
    erasure: Erasure
    stores: ExternalStores
    backups: Backups
    business_notices: SubProcessorNotices
    objections: Objections
    addresses: EmailAddresses
    staff: StaffAccounts  # the console's staff accounts and sessions (issue 8 item 4)
    console: Console  # what the console shows, customers' data through the seam
    versions: PolicyVersions  # every published version of the statement (issue 9)
    consents: Consents  # the consent ledger and its receipts (issue 10 item 1)
    visitors: Visitors  # website visitors and their cookie-banner choices (issue 10 item 7)
    campaigns: Campaigns  # marketing mail, unsubscribe, engagement (issue 10 items 5-6)
    preferences: Preferences  # marketing preferences and their projection (issue 10 item 2)
    marketing: MarketingSelection  # audiences under marketing_selection (issue 10 item 4)
    requests: SubjectRequests  # data-subject requests: intake, deadlines, queue (issue 11)
    answers: RequestAnswers  # the ZIP answers to access and portability requests (issue 11)
    tasks: RequestTasks  # manual tasks and four-eyes approval of requests (issue 15 items 3-4)
    consent_stats: ConsentStats  # consent rates and withdrawals per week (issue 10 item 8)
    rights: RightsHandling  # rectification, erasure, restriction, objection (issue 11 items 5-8)
    opendsr: OpenDsr  # business customers' requests over OpenDSR (issue 11 item 10)
    request_stats: RequestStats  # requests per kind per week, time to answer (issue 11 item 11)
    reminders: RequestReminders  # the privacy officer's reminders of due dates (issue 11 item 3)
    watchdog: RequestWatchdog  # stuck and failing requests alerted once (issue 15 item 7)
    telemetry: Telemetry  # VoIP device sync and app telemetry (issue 12 item 1)
    support: SupportDesk  # support cases from e-mail, phone, web, in person (issue 12 item 2)
    calls: CallRecordings  # support calls, the caller's choice, recordings (issue 12 item 2)
    support_access: SupportAccessGrants  # staff access under the customer's grant (L29)
    shop: Shop  # web shop orders, invoices, shipments (issue 12 item 3)
    fraud: FraudChecks  # risk scores per order, reviewed by a person (issue 12 item 4)
    inactivity: AccountInactivity  # notice and closure of inactive accounts (P20, L52)
    publishing: PolicyPublishing  # `policy publish`, change mails, site notice (issue 13)
    minors: Minors  # the under-16 flag: processing stops, erasure follows (issue 13)
    disclosures: DisclosureRegister  # disclosures to third parties, P12, L36 (issue 13 item 5)
    breaches: BreachRegister  # the breach register and its clock (issue 13 item 4, P10)
    dpia: DpiaRegister  # the versioned impact assessments (issue 15 item 9, art. 35, 36)
    retention: RetentionSweeps  # the one rule-driven retention sweep (issue 13 item 1, P20)
    processors: ProcessorNotices  # processors told of consent changes (issue 14 item 2, L11)
    sites: CustomerSites  # hosting customers' sites, a consent scope each (issue 14 item 7)

    def unit_of_work(self) -> UnitOfWork:
        """A new unit of work (one connection, checked out on first use) for a request or job."""
        return UnitOfWork(self.engine)

    def close(self) -> None:
        self.access_log.flush()
        self.stores.close()
        self.backups.close()
        self.engine.dispose()


class _Parts(TypedDict):
    """What every service of issue 12 is built from; each adds its own collaborators."""

    access: SubjectAccess
    keys: KeyStore
    policy: Policy
    clock: Clock
    notifier: Notifier
    base_url: str


def open_master_key(settings: Settings, *, create: bool = True) -> MasterKey:
    """The configured master key; ``create`` lets demo and test mode make one on demand."""
    return load_master_key(settings, create=create)


def open_database(settings: Settings, *, run_migrations: bool = False) -> Engine:
    """An engine on the configured database, migrated to the newest schema if asked."""
    engine = make_engine(settings.database_url)
    if run_migrations:
        migrate(engine)
    return engine


def mail_transport(settings: Settings) -> MailTransport | None:
    """The configured SMTP relay, or None when no ``PRIVAAT_SMTP_HOST`` is set."""
    if not settings.smtp_host:
        return None
    return SmtpTransport(
        host=settings.smtp_host, port=settings.smtp_port, sender=settings.mail_from
    )


def _pre_approval(settings: Settings) -> PreApprovalWebhook | None:
    """The optional pre-approval webhook of four-eyes steps (issue 15 item 4)."""
    if not settings.approval_webhook_url:
        return None
    secret = settings.approval_webhook_secret
    return PreApprovalWebhook(
        settings.approval_webhook_url,
        (secret.get_secret_value() if secret else "").encode("utf-8"),
        mode=settings.mode,
    )


def bootstrap(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    engine: Engine | None = None,
    policy: Policy | None = None,
    passwords: Passwords | None = None,
    run_migrations: bool = True,
    create_master_key: bool = True,
    record_policy_version: bool | None = None,
) -> Context:
    """Build a Context from settings; tests pass a fixed clock, their engine and cheap hashing.

    ``record_policy_version`` (default: as ``run_migrations``, the start of a process that
    owns its database) stores the running policy as a published version when it is new, and
    refuses to start (PolicyVersionConflict, a PolicyError) when its number was published
    with another text (``services.policy_versions``).
    """
    settings = settings or Settings()
    clock = clock or SystemClock()
    # what can refuse to start comes first, before any connection is opened
    policy = policy or load_policy_file(settings.policy_file)
    # P19, L49: a version published for a later day is not enforced before it; one that came
    # into force is (services.policy_publishing.in_force); no publications, the file runs
    engine_for_parts = engine or make_engine(settings.database_url)
    try:
        return _assemble(
            settings,
            clock,
            engine_for_parts,
            in_force(engine_for_parts, clock, policy),
            passwords=passwords,
            run_migrations=run_migrations,
            create_master_key=create_master_key,
            record_policy_version=record_policy_version,
        )
    except BaseException:
        # a start refused after the first connection (an incomplete policy, a version
        # conflict): the engine made here is closed, no connection is left to the collector
        if engine is None:
            engine_for_parts.dispose()
        raise


def _assemble(
    settings: Settings,
    clock: Clock,
    engine_for_parts: Engine,
    policy: Policy,
    *,
    passwords: Passwords | None,
    run_migrations: bool,
    create_master_key: bool,
    record_policy_version: bool | None,
) -> Context:
    """The Context's parts over ``engine_for_parts``, for the policy in force."""
    # a stores file that does not fit the policy refuses the start (StoresFileError)
    stores = ExternalStores(read_stores_file(settings.stores_file, policy), policy)
    keys = KeyStore(open_master_key(settings, create=create_master_key))
    business_notices = SubProcessorNotices(keys=keys, policy=policy, clock=clock)
    if passwords is None:
        # argon2id at RFC 9106's second recommended option; tests ask for less
        cheap = settings.mode is Mode.TEST
        passwords = Passwords(time_cost=1, memory_cost_kib=1024) if cheap else Passwords()
    guard = Guard(policy)
    access_log = AccessLog(engine_for_parts, clock)
    access = SubjectAccess(guard=guard, keys=keys, access_log=access_log, clock=clock)
    notifier = Notifier(
        access=access,
        clock=clock,
        provider=policy.controller.name,
        contact=policy.privacy_contact.email,
    )
    limiter = AttemptLimiter(clock=clock, window=ATTEMPT_WINDOW)
    geo = GeoLocator()  # the offline GeoIP data, read once per process
    # before the accounts: sign-up records the boxes the person ticked (L12)
    consents = Consents(
        access=access,
        policy=policy,
        clock=clock,
        base_url=settings.base_url,
        # a consent set to confirm_by_email is given through a mailed link (issue 14 item 5)
        confirmations=ConsentConfirmations(
            keys=keys, notifier=notifier, base_url=settings.base_url
        ),
    )
    campaigns = Campaigns(
        access=access,
        keys=keys,
        consents=consents,
        policy=policy,
        clock=clock,
        base_url=settings.base_url,
    )
    # L11: a marketing withdrawal from any channel puts the person on the suppression list
    consents.on_change(campaigns.consent_changed)
    credentials = Credentials(access=access, passwords=passwords, limiter=limiter)
    logins = (
        LoginHistory(access=access, notifier=notifier, geo=geo, policy=policy, clock=clock)
        if settings.record_login_locations
        else None
    )
    addresses = EmailAddresses(
        access=access,
        keys=keys,
        credentials=credentials,
        notifier=notifier,
        clock=clock,
        base_url=settings.base_url,
    )
    accounts = Accounts(
        access=access,
        keys=keys,
        credentials=credentials,
        notifier=notifier,
        clock=clock,
        # read now, checked below: a policy without the activity is refused by name
        account_retention=next(
            (a.retention.period for a in policy.activities if a.id == ACCOUNT),
            Period.parse("P0D"),
        ),
        limiter=limiter,
        addresses=addresses,
        consents=consents,
    )
    sessions = Sessions(
        access=access,
        keys=keys,
        credentials=credentials,
        limiter=limiter,
        notifier=notifier,
        logins=logins,
        clock=clock,
    )
    ledger = ErasureLedger(
        settings.erasure_ledger_url or f"sqlite:///{settings.var_dir / 'erasures.db'}"
    )
    erasure = Erasure(access=access, clock=clock, ledger=ledger)
    staff = StaffAccounts(
        keys=keys,
        passwords=passwords,
        limiter=limiter,
        clock=clock,
        issuer=f"{policy.controller.name} console",
    )
    console = Console(access=access, keys=keys, policy=policy)
    objections = Objections(access=access, notifier=notifier, policy=policy, clock=clock)
    # L11: every consent, objection and suppression change is queued for the processors of
    # its activity in the change's own transaction (services.processor_notices)
    processors = ProcessorNotices(access=access, policy=policy, clock=clock, mode=settings.mode)
    consents.on_change(processors.consent_changed)
    objections.on_change(processors.objection_recorded)
    campaigns.on_suppression(processors.suppression_changed)
    # the tables' own activities too (the registry), but not those of a disabled service
    tables = registry_activities(metadata) - (LoginHistory.activities if logins is None else set())
    # a provider that sends no marketing mail (or tracks none) need not declare it: the guard
    # refuses an undeclared activity, so no campaign reaches anyone and the tables stay empty
    tables -= Campaigns.activities - policy.activity_ids
    tables -= MarketingSelection.activities - policy.activity_ids
    tables -= Telemetry.activities - policy.activity_ids
    # so are the support desk, the web shop and their checks (issue 12): a provider without
    # them declares none of their activities, and their tables stay empty
    optional = (
        SupportDesk.activities
        | CallRecordings.activities
        | SupportAccessGrants.activities
        | Shop.activities
        | FraudChecks.activities
        | DisclosureRegister.activities  # the disclosure register (issue 13 item 5)
    )
    tables -= optional - policy.activity_ids
    # P4: the marketing projection follows preferences, log-in locations and the opt-in (L13)
    preferences = Preferences(access=access, keys=keys, policy=policy, clock=clock)
    consents.on_change(preferences.consent_changed)
    if logins is not None:
        logins.on_located(preferences.login_located)
    marketing = MarketingSelection(
        access=access,
        access_log=access_log,
        guard=guard,
        keys=keys,
        preferences=preferences,
        policy=policy,
        clock=clock,
    )
    require_activities(
        (activity.id for activity in policy.activities),
        accounts.activities
        | sessions.activities
        | erasure.activities
        | objections.activities
        | consents.activities
        | staff.activities
        | console.activities
        | tables,
    )
    if run_migrations:
        migrate(engine_for_parts)
    versions = PolicyVersions(engine_for_parts, clock, policy.policy.id)
    requests = SubjectRequests(
        access=access,
        keys=keys,
        policy=policy,
        clock=clock,
        time_zone=ZoneInfo(settings.time_zone),
        # art. 12(3) by Regulation 1182/71: a due date on a public holiday of the
        # controller's country moves to the next working day
        holidays=country_holidays(policy.controller.address.country),
        base_url=settings.base_url,
        limiter=limiter,
    )
    tasks = RequestTasks(
        access=access,
        stores=stores.file,
        policy=policy,
        clock=clock,
        four_eyes=FourEyes(parse_four_eyes(settings.four_eyes)),
        base_url=settings.base_url,
        webhook=_pre_approval(settings),
        time_zone=ZoneInfo(settings.time_zone),
    )
    requests.on_change(tasks.request_changed)  # a started request gets its manual tasks
    requests.before_completion(tasks.gate)  # and completes only once they are done or waived
    if run_migrations if record_policy_version is None else record_policy_version:
        versions.record(policy)
    parts = _Parts(
        access=access,
        keys=keys,
        policy=policy,
        clock=clock,
        notifier=notifier,
        base_url=settings.base_url,
    )
    fraud = FraudChecks(**parts, geo=geo)  # the shop scores every order with it (L32)
    reminders = RequestReminders(
        access=access, requests=requests, policy=policy, clock=clock, base_url=settings.base_url
    )
    return Context(
        settings=settings,
        engine=engine_for_parts,
        policy=policy,
        clock=clock,
        keys=keys,
        access_log=access_log,
        access=access,
        accounts=accounts,
        sessions=sessions,
        logins=logins,
        outbox=Outbox(
            engine=engine_for_parts,
            access=access,
            clock=clock,
            give_up_after=timedelta(hours=settings.mail_give_up_hours),
            gate=campaigns,  # the suppression list, asked again right before SMTP (L11)
        ),
        erasure=erasure,
        objections=objections,
        addresses=addresses,
        staff=staff,
        console=console,
        versions=versions,
        consents=consents,
        visitors=Visitors(
            access=access, consents=consents, policy=policy, clock=clock, keys=keys, limiter=limiter
        ),
        campaigns=campaigns,
        preferences=preferences,
        marketing=marketing,
        requests=requests,
        consent_stats=ConsentStats(policy=policy, clock=clock),
        stores=stores,
        business_notices=business_notices,
        backups=Backups(engine=engine_for_parts, ledger=ledger, erasure=erasure, clock=clock),
        tasks=tasks,
        answers=RequestAnswers(
            access=access,
            keys=keys,  # finds the other customers a text names (L62)
            requests=requests,
            stores=stores,
            tasks=tasks,
            policy=policy,
            clock=clock,
            base_url=settings.base_url,
        ),
        rights=RightsHandling(
            access=access,
            keys=keys,
            stores=stores,
            tasks=tasks,
            requests=requests,
            erasure=erasure,
            objections=objections,
            notifier=notifier,
            policy=policy,
            clock=clock,
            base_url=settings.base_url,
        ),
        opendsr=OpenDsr(
            access=access,
            keys=keys,
            requests=requests,
            policy=policy,
            clock=clock,
            base_url=settings.base_url,
        ),
        request_stats=RequestStats(requests=requests, clock=clock),
        reminders=reminders,
        watchdog=RequestWatchdog(
            access=access,
            requests=requests,
            reminders=reminders,
            policy=policy,
            clock=clock,
            time_zone=ZoneInfo(settings.time_zone),
            holidays=country_holidays(policy.controller.address.country),
            base_url=settings.base_url,
        ),
        telemetry=Telemetry(access=access, keys=keys, policy=policy, clock=clock),
        support=SupportDesk(**parts),
        calls=CallRecordings(**parts),
        support_access=SupportAccessGrants(**parts, consents=consents),
        shop=Shop(**parts, geo=geo, fraud=fraud, limiter=limiter),
        fraud=fraud,
        inactivity=AccountInactivity(access=access, notifier=notifier, policy=policy, clock=clock),
        publishing=PolicyPublishing(
            engine=engine_for_parts,
            access=access,
            versions=versions,
            clock=clock,
            notice_days=settings.policy_notice_days,
            base_url=settings.base_url,
            business=business_notices,
        ),
        minors=Minors(access=access, erasure=erasure, clock=clock),
        disclosures=DisclosureRegister(access=access, guard=guard, policy=policy, clock=clock),
        breaches=BreachRegister(**parts),
        dpia=DpiaRegister(policy=policy, clock=clock),
        # every subject table's rule, from the policy and the registry; a table whose activity
        # has no retention is refused here, at start (the disabled services' tables are idle)
        retention=RetentionSweeps(
            plan=retention_plan(policy, metadata, idle=registry_activities(metadata) - tables),
            erasure=erasure,
            clock=clock,
        ),
        processors=processors,
        sites=CustomerSites(access=access, keys=keys, clock=clock, limiter=limiter),
    )
