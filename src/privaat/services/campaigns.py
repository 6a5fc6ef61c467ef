"""Marketing campaigns through the outbox (issue 10 items 5-6; P4, P11; LEGAL L4, L11, L13,
L14, L16, L18).

    create(name, texts per language) ── the link set is read from the bodies and stored
    send(campaign, subject ids) ─┬─ the guard: a live marketing_email consent (L13), else skipped
                                 ├─ the suppression list (L11), else skipped
                                 ├─ sent before for this campaign, else skipped (unique row)
                                 └─ queued in the recipient's language: sender, footer link,
                                    List-Unsubscribe + One-Click (RFC 8058), the right to
                                    object in the first one (art. 21(4)); the pixel and the
                                    per-person links only with email_engagement consent (L18)
    outbox delivery ─── stops(…) asks the suppression list again right before SMTP (L11)
    unsubscribe(token) ─ withdraws marketing_email (method email_link), no log-in; the
                         ledger's listener puts the person on the suppression list
    record_open / click / record_purchase ── engagement events, each only while the guard
                         allows email_engagement; a click goes only to the campaign's links

Every person's data is opened through the enforcement seam: marketing mail under
``marketing_email``, engagement under ``email_engagement``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, or_, select
from sqlalchemy.exc import IntegrityError

from privaat.domain.clock import Clock
from privaat.domain.principal import DataSubject, Principal, SystemJob
from privaat.mail.campaign_mail import CampaignText, Tracking, campaign_links, compose_marketing
from privaat.policy.schema import Policy
from privaat.services.campaign_tokens import (
    ENGAGEMENT_LIFETIME,
    UNSUBSCRIBE_LIFETIME,
    CampaignToken,
    TokenExpired,
    TokenInvalid,
    TokenKind,
)
from privaat.services.campaign_tokens import read as read_token
from privaat.services.campaign_tokens import sign as sign_token
from privaat.services.consents import ConsentMethod, ConsentRecord, Consents, Evidence
from privaat.services.errors import Conflict, InvalidField, ServiceError, SubjectNotFound
from privaat.services.outbox import queue
from privaat.services.subject_access import Opened, Operation, SubjectAccess
from privaat.store.crypto import BlindIndex
from privaat.store.key_store import KeyStore
from privaat.store.tables import consent_decisions, consent_events
from privaat.store.tables_campaigns import (
    EMAIL_ENGAGEMENT,
    MARKETING_EMAIL,
    campaign_sends,
    campaigns,
    engagement_events,
    suppressions,
)
from privaat.store.unit_of_work import UnitOfWork

__all__ = [
    "CAMPAIGN_JOB",
    "CLICK_WINDOW",
    "EMAIL_ENGAGEMENT",
    "MARKETING_EMAIL",
    "Campaign",
    "CampaignNotFound",
    "Campaigns",
    "EngagementEvent",
    "LinkNotFound",
    "SendReport",
    "SuppressionListener",
    "Unsubscribed",
]

CAMPAIGN_JOB = SystemJob("campaigns")
# (connection, subject id, activity, suppressed or lifted, when), in the change's transaction
SuppressionListener = Callable[[Connection, int, str, bool, datetime], None]
TEMPLATE = "campaign"  # the outbox template of every marketing mail
CLICK_WINDOW = timedelta(days=7)  # a purchase counts for a click at most this long before it
MAX_NAME = 200
MAX_SUBJECT = 200
MAX_BODY = 20_000
MAX_ORDER_REF = 100
_DETAIL = "engagement_events.detail"  # the field an event's link or order is bound to


class CampaignNotFound(ServiceError):
    def __init__(self) -> None:
        super().__init__("no such campaign")


class LinkNotFound(ServiceError):
    """A click token that names no link of its campaign (never an open redirect)."""

    def __init__(self) -> None:
        super().__init__("this link is not one of the campaign's")


@dataclass(frozen=True, slots=True)
class Campaign:
    id: int
    name: str
    texts: Mapping[str, CampaignText]  # by language; the policy's first language always
    links: tuple[str, ...]  # every URL of the bodies: the only places a click goes to
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SendReport:
    """What one send did; the skipped are counted, never an error for the batch."""

    queued: int = 0
    no_consent: int = 0  # the guard refused marketing_email (L13): no live opt-in, objection…
    suppressed: int = 0  # on the suppression list (L11)
    already_sent: int = 0  # this campaign reached them before
    not_found: int = 0  # no such subject, or no address to write to


@dataclass(frozen=True, slots=True)
class Unsubscribed:
    lang: str  # the language the mail was written in: the page answers in it
    withdrawn: bool  # False when the consent was already withdrawn (a repeated POST)


@dataclass(frozen=True, slots=True)
class EngagementEvent:
    kind: str  # open · click · purchase
    campaign_id: int
    at: datetime
    detail: str | None  # the link clicked or the order reference


class Campaigns:
    """Creates campaigns, queues them through the outbox, and honours unsubscribes."""

    activities = frozenset({MARKETING_EMAIL, EMAIL_ENGAGEMENT})

    def __init__(
        self,
        *,
        access: SubjectAccess,
        keys: KeyStore,
        consents: Consents,
        policy: Policy,
        clock: Clock,
        base_url: str,
    ) -> None:
        self._access, self._keys, self._consents = access, keys, consents
        self._policy, self._clock = policy, clock
        self._base_url = base_url.rstrip("/")
        self._suppression_listeners: list[SuppressionListener] = []

    def on_suppression(self, listener: SuppressionListener) -> None:
        """Call ``listener`` in the same transaction when a person is put on the suppression
        list (True) or taken off it by a fresh opt-in (False)."""
        self._suppression_listeners.append(listener)

    # --- campaigns ---------------------------------------------------------------------

    def create(self, uow: UnitOfWork, *, name: str, texts: Mapping[str, CampaignText]) -> Campaign:
        """A new campaign; its link set is every URL its bodies contain."""
        name = name.strip()
        if not name or len(name) > MAX_NAME:
            raise InvalidField("name", f"a campaign is named by 1-{MAX_NAME} characters")
        languages = self._policy.policy.languages
        if languages[0] not in texts:
            raise InvalidField("texts", f"a campaign needs a text in '{languages[0]}'")
        for lang, text in texts.items():
            if lang not in languages:
                raise InvalidField("texts", f"the policy is not published in '{lang}'")
            if not text.subject.strip() or len(text.subject) > MAX_SUBJECT:
                raise InvalidField(f"{lang}.subject", f"a subject has 1-{MAX_SUBJECT} characters")
            if "\n" in text.subject or "\r" in text.subject:
                raise InvalidField(f"{lang}.subject", "a subject is one line")
            if not text.body.strip() or len(text.body) > MAX_BODY:
                raise InvalidField(f"{lang}.body", f"a body has 1-{MAX_BODY} characters")
        links = tuple(campaign_links(text.body for text in texts.values()))
        content = {lang: {"subject": t.subject, "body": t.body} for lang, t in texts.items()}
        now = self._clock.now()
        try:
            with uow.writing() as connection:
                campaign_id: int = connection.execute(
                    insert(campaigns)
                    .values(
                        name=name,
                        content=json.dumps(content),
                        links=json.dumps(list(links)),
                        created_at=now,
                    )
                    .returning(campaigns.c.id)
                ).scalar_one()
        except IntegrityError:
            raise Conflict(f"there is a campaign named '{name}' already") from None
        return Campaign(campaign_id, name, dict(texts), links, now)

    def get(self, uow: UnitOfWork, campaign_id: int) -> Campaign:
        with uow.reading() as connection:
            return self._campaign(connection, campaign_id)

    def find(self, uow: UnitOfWork, name: str) -> Campaign:
        """The campaign named ``name``; CampaignNotFound otherwise."""
        with uow.reading() as connection:
            found = connection.execute(
                select(campaigns.c.id).where(campaigns.c.name == name.strip())
            ).scalar()
            if found is None:
                raise CampaignNotFound()
            return self._campaign(connection, found)

    # --- sending -----------------------------------------------------------------------

    def send(
        self, uow: UnitOfWork, principal: Principal, campaign_id: int, subject_ids: Iterable[int]
    ) -> SendReport:
        """Queue the campaign for each subject the guard allows, in one transaction."""
        counts = dict.fromkeys(
            ("queued", "no_consent", "suppressed", "already_sent", "not_found"), 0
        )
        with uow.writing() as connection:
            campaign = self._campaign(connection, campaign_id)
            index = self._index(connection)
            for subject_id in dict.fromkeys(subject_ids):  # each person once, in the given order
                outcome = self._send_one(connection, principal, campaign, index, subject_id)
                counts[outcome] += 1
        return SendReport(**counts)

    def _send_one(
        self,
        connection: Connection,
        principal: Principal,
        campaign: Campaign,
        index: BlindIndex,
        subject_id: int,
    ) -> str:
        try:
            # LEGAL L13: the guard refuses anyone without a live opt-in (or with an objection)
            opened = self._access.open_if_allowed(
                connection, principal, subject_id, MARKETING_EMAIL, operation=Operation.SEND
            )
        except SubjectNotFound:
            return "not_found"
        if opened is None:
            return "no_consent"
        if self._sent_before(connection, campaign.id, subject_id):
            return "already_sent"
        email_enc = opened.record.get("email_enc")
        address = opened.decrypt("accounts.email", email_enc) if email_enc else None
        if address is None:
            return "not_found"
        if self._is_suppressed(connection, subject_id, index.email(address)):
            return "suppressed"
        lang = self._language(campaign, opened.record.get("language"))
        # art. 21(4): the first marketing communication states the right to object
        first = not self._had_marketing(connection, subject_id)
        tracked = self._access.decide(connection, principal, subject_id, EMAIL_ENGAGEMENT).allowed
        now = self._clock.now()
        send_id: int = connection.execute(
            insert(campaign_sends)
            .values(
                campaign_id=campaign.id,
                subject_id=subject_id,
                queued_at=now,
                lang=lang,
                tracked=tracked,
            )
            .returning(campaign_sends.c.id)
        ).scalar_one()
        mail = compose_marketing(
            to=address,
            text=campaign.texts[lang],
            lang=lang,
            sender=self._policy.controller,
            links=campaign.links,
            unsubscribe_url=self.unsubscribe_url(index, send_id, lang=None),
            objection_url=f"{self._base_url}/account/preferences#objections-heading",
            first=first,
            tracking=self._tracking(index, send_id, campaign) if tracked else None,
        )
        queue(connection, opened, template=TEMPLATE, mail=mail, at=now)
        return "queued"

    def unsubscribe_url(self, index: BlindIndex, send_id: int, *, lang: str | None) -> str:
        """The one-click address of a send (RFC 8058): the footer's and List-Unsubscribe's."""
        expires = self._clock.now() + UNSUBSCRIBE_LIFETIME
        token = sign_token(index, CampaignToken(TokenKind.UNSUBSCRIBE, send_id, expires))
        return f"{self._base_url}/unsubscribe/{token}" + (f"?lang={lang}" if lang else "")

    def _tracking(self, index: BlindIndex, send_id: int, campaign: Campaign) -> Tracking:
        expires = self._clock.now() + ENGAGEMENT_LIFETIME
        pixel = sign_token(index, CampaignToken(TokenKind.OPEN, send_id, expires))
        clicks = [
            sign_token(index, CampaignToken(TokenKind.CLICK, send_id, expires, link=n))
            for n in range(len(campaign.links))
        ]
        return Tracking(
            pixel_url=f"{self._base_url}/e/o/{pixel}.gif",
            link_urls=[f"{self._base_url}/e/c/{click}" for click in clicks],
        )

    # --- the suppression list (L11) ----------------------------------------------------

    def stops(
        self, connection: Connection, subject_id: int | None, activity: str, to: str
    ) -> str | None:
        """The outbox's last check before SMTP: a marketing mail to a suppressed person stops."""
        if activity != MARKETING_EMAIL:
            return None  # notices are never suppressed: they reach everyone (L4)
        if self._is_suppressed(connection, subject_id, self._index(connection).email(to)):
            return "suppressed"
        return None

    def suppress(
        self, uow: UnitOfWork, principal: Principal, subject_id: int, *, reason: str
    ) -> None:
        """Put the subject and their address on the suppression list (a complaint, a bounce)."""
        with uow.writing() as connection:
            opened = self._access.open(
                connection, principal, subject_id, MARKETING_EMAIL, operation=Operation.WRITE
            )
            self._suppress(connection, opened, reason=reason[:32], at=self._clock.now())

    def consent_changed(
        self, connection: Connection, opened: Opened, record: ConsentRecord
    ) -> None:
        """The consent ledger's listener: a marketing withdrawal suppresses, a new give lifts."""
        if record.activity != MARKETING_EMAIL:
            return
        if record.given:
            # a fresh opt-in (art. 7): the person asked for marketing mail again
            lifted = connection.execute(
                delete(suppressions).where(
                    suppressions.c.subject_id == opened.subject_id,
                    suppressions.c.activity == MARKETING_EMAIL,
                )
            ).rowcount
            if lifted:
                for listener in self._suppression_listeners:
                    listener(connection, opened.subject_id, MARKETING_EMAIL, False, record.at)
            return
        self._suppress(connection, opened, reason=f"withdrawn:{record.method.value}", at=record.at)

    def _suppress(
        self, connection: Connection, opened: Opened, *, reason: str, at: datetime
    ) -> None:
        connection.execute(
            insert(suppressions).values(
                subject_id=opened.subject_id,
                activity=MARKETING_EMAIL,
                email_bidx=opened.record.get("email_bidx"),
                at=at,
                reason=reason,
            )
        )
        for listener in self._suppression_listeners:
            listener(connection, opened.subject_id, MARKETING_EMAIL, True, at)

    def _is_suppressed(
        self, connection: Connection, subject_id: int | None, email_bidx: bytes
    ) -> bool:
        match = suppressions.c.email_bidx == email_bidx
        if subject_id is not None:
            match = or_(match, suppressions.c.subject_id == subject_id)
        found = connection.execute(
            select(suppressions.c.id)
            .where(suppressions.c.activity == MARKETING_EMAIL, match)
            .limit(1)
        ).first()
        return found is not None

    # --- unsubscribe (RFC 8058, L14) ---------------------------------------------------

    def unsubscribe_language(self, uow: UnitOfWork, token: str) -> str:
        """The language of the mail a genuine, live unsubscribe token came in; reads nothing
        personal. TokenInvalid or TokenExpired otherwise."""
        with uow.reading() as connection:
            send = self._send_of(connection, token, TokenKind.UNSUBSCRIBE)
        return str(send.lang)

    def unsubscribe(self, uow: UnitOfWork, token: str, *, evidence: Evidence) -> Unsubscribed:
        """Withdraw the marketing consent the token's mail was sent under: no log-in, no
        further step, recorded with method email_link (art. 7(3), L14); harmless twice."""
        with uow.reading() as connection:
            send = self._send_of(connection, token, TokenKind.UNSUBSCRIBE)
            before = self._newest_consent_id(connection, int(send.subject_id))
        subject_id = int(send.subject_id)
        # the token proves this one person asked, for this one act: they act for themselves
        try:
            record = self._consents.withdraw(
                uow,
                DataSubject(subject_id),
                subject_id,
                MARKETING_EMAIL,
                method=ConsentMethod.EMAIL_LINK,
                evidence=evidence,
            )
        except Conflict:  # never given in the ledger: nothing to withdraw, nothing written
            return Unsubscribed(lang=send.lang, withdrawn=False)
        # a repeated POST finds the consent withdrawn already: no new record, nothing written
        return Unsubscribed(lang=send.lang, withdrawn=before is None or record.id > before)

    def _newest_consent_id(self, connection: Connection, subject_id: int) -> int | None:
        # the id of the ledger's newest marketing record only: nothing of it is read
        newest: int | None = connection.execute(
            select(consent_events.c.id)
            .where(
                consent_events.c.subject_id == subject_id,
                consent_events.c.activity == MARKETING_EMAIL,
                consent_decisions(),
            )
            .order_by(consent_events.c.id.desc())
            .limit(1)
        ).scalar()
        return newest

    # --- engagement (P11, L18) ---------------------------------------------------------

    def record_open(self, uow: UnitOfWork, token: str) -> bool:
        """Record an open for a pixel token, if the guard allows engagement; True if recorded.
        TokenInvalid for a token that is not ours; an expired one records nothing."""
        with uow.writing() as connection:
            try:
                send = self._send_of(connection, token, TokenKind.OPEN)
            except TokenExpired:
                return False
            return self._record(connection, send, "open", None)

    def click(self, uow: UnitOfWork, token: str) -> str:
        """The campaign link a click token names, recording the click if the guard allows;
        LinkNotFound when the token names no link of its campaign (never an open redirect)."""
        with uow.writing() as connection:
            record = True
            try:
                parsed = read_token(self._index(connection), token, now=self._clock.now())
            except TokenExpired as error:  # an old mail's link still works, untracked
                parsed, record = error.token, False
            if parsed.kind is not TokenKind.CLICK or parsed.link is None:
                raise TokenInvalid()
            send = self._send_row(connection, parsed.send_id)
            links: list[str] = json.loads(
                connection.execute(
                    select(campaigns.c.links).where(campaigns.c.id == send.campaign_id)
                ).scalar_one()
            )
            if parsed.link >= len(links):
                raise LinkNotFound()
            url = links[parsed.link]
            if record:
                self._record(connection, send, "click", url)
            return url

    def record_purchase(
        self, uow: UnitOfWork, principal: Principal, subject_id: int, order_ref: str
    ) -> bool:
        """Attribute an order to the subject's latest click within CLICK_WINDOW, if the guard
        allows engagement; True when recorded (P11: "purchases after a click")."""
        order_ref = order_ref.strip()
        if not order_ref or len(order_ref) > MAX_ORDER_REF:
            raise InvalidField("order_ref", f"an order reference has 1-{MAX_ORDER_REF} characters")
        now = self._clock.now()
        with uow.writing() as connection:
            opened = self._access.open_if_allowed(
                connection, principal, subject_id, EMAIL_ENGAGEMENT, operation=Operation.WRITE
            )
            if opened is None:
                return False
            click = connection.execute(
                select(engagement_events.c.campaign_id)
                .where(
                    engagement_events.c.subject_id == subject_id,
                    engagement_events.c.kind == "click",
                    engagement_events.c.at >= now - CLICK_WINDOW,
                    engagement_events.c.at <= now,
                )
                .order_by(engagement_events.c.at.desc(), engagement_events.c.id.desc())
                .limit(1)
            ).first()
            if click is None:
                return False
            self._insert_event(connection, opened, click.campaign_id, "purchase", order_ref)
            return True

    def engagement(
        self, uow: UnitOfWork, principal: Principal, subject_id: int
    ) -> list[EngagementEvent]:
        """The subject's engagement events, oldest first, opened under email_engagement."""
        with uow.reading() as connection:
            rows = connection.execute(
                select(engagement_events)
                .where(engagement_events.c.subject_id == subject_id)
                .order_by(engagement_events.c.id)
            ).all()
            if not rows:
                return []
            opened = self._access.open(connection, principal, subject_id, EMAIL_ENGAGEMENT)
            return [
                EngagementEvent(
                    row.kind, row.campaign_id, row.at, opened.decrypt(_DETAIL, row.detail_enc)
                )
                for row in rows
            ]

    def _record(self, connection: Connection, send: Any, kind: str, detail: str | None) -> bool:
        # L18: only while the guard allows email_engagement (a withdrawal stops recording)
        opened = self._access.open_if_allowed(
            connection, CAMPAIGN_JOB, send.subject_id, EMAIL_ENGAGEMENT, operation=Operation.WRITE
        )
        if opened is None:
            return False
        self._insert_event(connection, opened, send.campaign_id, kind, detail)
        return True

    def _insert_event(
        self,
        connection: Connection,
        opened: Opened,
        campaign_id: int,
        kind: str,
        detail: str | None,
    ) -> None:
        connection.execute(
            insert(engagement_events).values(
                subject_id=opened.subject_id,
                campaign_id=campaign_id,
                kind=kind,
                at=self._clock.now(),
                detail_enc=opened.cipher.encrypt_optional(_DETAIL, detail),
            )
        )

    # --- reads -------------------------------------------------------------------------

    def _campaign(self, connection: Connection, campaign_id: int) -> Campaign:
        row = connection.execute(select(campaigns).where(campaigns.c.id == campaign_id)).first()
        if row is None:
            raise CampaignNotFound()
        content = json.loads(row.content)
        texts = {lang: CampaignText(t["subject"], t["body"]) for lang, t in content.items()}
        return Campaign(row.id, row.name, texts, tuple(json.loads(row.links)), row.created_at)

    def _send_of(self, connection: Connection, token: str, kind: TokenKind) -> Any:
        parsed = read_token(self._index(connection), token, now=self._clock.now())
        if parsed.kind is not kind:
            raise TokenInvalid()
        return self._send_row(connection, parsed.send_id)

    def _send_row(self, connection: Connection, send_id: int) -> Any:
        row = connection.execute(
            select(campaign_sends).where(campaign_sends.c.id == send_id)
        ).first()
        if row is None:  # the person was erased since, or the row aged out
            raise TokenInvalid()
        return row

    def _sent_before(self, connection: Connection, campaign_id: int, subject_id: int) -> bool:
        return (
            connection.execute(
                select(campaign_sends.c.id).where(
                    campaign_sends.c.campaign_id == campaign_id,
                    campaign_sends.c.subject_id == subject_id,
                )
            ).first()
            is not None
        )

    def _had_marketing(self, connection: Connection, subject_id: int) -> bool:
        return (
            connection.execute(
                select(campaign_sends.c.id)
                .where(campaign_sends.c.subject_id == subject_id)
                .limit(1)
            ).first()
            is not None
        )

    def _language(self, campaign: Campaign, account_language: Any) -> str:
        if isinstance(account_language, str) and account_language in campaign.texts:
            return account_language
        return self._policy.policy.languages[0]

    def _index(self, connection: Connection) -> BlindIndex:
        return self._keys.cached_blind_index or self._keys.blind_index(connection)
