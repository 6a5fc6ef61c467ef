"""Visitors of hosting customers' sites and their choices, per scope (issue 14 item 7).

    choose(scope, token?, {category: yes/no}) ── one writing transaction: the scope's visitor
        │                                        (a subject, created on the first choice), then
        ├── yes ▶ "given"     against the SHA-256 of the category's request text in ``lang``
        └── no  ▶ "withdrawn" (of a consent given), a refusal (never asked), or nothing
    state(scope, token)   ── the categories given, replayed from the scope's ledger; a consent
                             counts only for the category's current text (L86)
    carry_token / carry   ── the signed token that takes the visitor to the scope's other
                             domains (``services.site_tokens``), and its redemption there:
                             another cookie of the same visitor subject, once per token
    collect(scope, token, category) ── 204 with a current consent, else SiteConsentMissing

A visitor is looked up by the SHA-256 of their cookie **and the host's scope**: the same token
in another scope names no one. Every read and write of the ledger passes the enforcement seam
under ``consent_records`` (the proof of consent), the visitor rows under ``essential_cookies``,
as for the provider's own visitors (``services.visitors``). The ledger is append-only.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from privaat.domain.activities import CONSENT_RECORDS
from privaat.domain.clock import Clock
from privaat.domain.customer_sites import LANGUAGES, SiteCategory
from privaat.domain.principal import DataSubject
from privaat.domain.subject import SubjectState
from privaat.policy.schema import consent_text_sha256
from privaat.services import site_tokens
from privaat.services.consents import MAX_USER_AGENT, ConsentMethod, Evidence
from privaat.services.errors import Conflict, InvalidField, ServiceError
from privaat.services.geo import truncate_ip
from privaat.services.rate_limit import AttemptLimiter, Limit
from privaat.services.site_registry import SiteRegistry, SiteScope
from privaat.services.subject_access import Opened, Operation, SubjectAccess
from privaat.services.visitors import (
    BANNER,
    MAX_NEW_VISITORS_PER_IP,
    Chosen,
    UnknownVisitor,
    VisitorChoice,
)
from privaat.store.audit import AuditTrail
from privaat.store.crypto import BlindIndex
from privaat.store.key_store import KeyStore
from privaat.store.tables_sites import site_carries, site_consent_events, site_visitors
from privaat.store.tables_visitors import ESSENTIAL_COOKIES
from privaat.store.unit_of_work import UnitOfWork

__all__ = ["CarryTokenUsed", "CustomerSites", "SiteConsentMissing", "SiteRecord"]

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32), as services.visitors
_EVIDENCE = "site_consent_events.evidence_enc"


class CarryTokenUsed(Conflict):
    """A genuine carry token spent already: it links one browser, once."""

    def __init__(self) -> None:
        super().__init__("the carry token was used already: nothing was recorded")


class SiteConsentMissing(ServiceError):
    """No current consent of this visitor to the scope's category."""

    def __init__(self, category: str) -> None:
        super().__init__(f"no consent to '{category}' on this website (ePD art. 5(3), L39)")
        self.category = category


@dataclass(frozen=True)
class SiteRecord:
    """One row of a scope's ledger, as its visitor sees it."""

    id: int
    category: str
    given: bool
    at: datetime
    method: ConsentMethod
    text_sha256: str
    lang: str | None


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("ascii")).digest()


def _current_texts(category: SiteCategory) -> frozenset[str]:
    return frozenset(consent_text_sha256(category.request.in_language(lang)) for lang in LANGUAGES)


class CustomerSites:
    """Hosting customers' sites: the registry, and each scope's visitors and ledger."""

    activities = frozenset({ESSENTIAL_COOKIES, CONSENT_RECORDS})

    def __init__(
        self,
        *,
        access: SubjectAccess,
        keys: KeyStore,
        clock: Clock,
        limiter: AttemptLimiter | None = None,
    ) -> None:
        self._access, self._keys, self._clock, self._limiter = access, keys, clock, limiter
        self.registry = SiteRegistry(clock=clock)

    def resolve(self, uow: UnitOfWork, host_header: str | None) -> SiteScope | None:
        """The customer scope of the request's host, or None (the provider's own banner)."""
        return self.registry.resolve(uow, host_header)

    # --- reads -------------------------------------------------------------------------

    def subject_of(self, uow: UnitOfWork, scope: SiteScope, token: str) -> int:
        """The scope's visitor the cookie names; UnknownVisitor in any other scope."""
        return self._find(uow, scope, token)[0]

    def state(self, uow: UnitOfWork, scope: SiteScope, token: str) -> VisitorChoice:
        """The visitor's choice in ``scope``; UnknownVisitor for a token of no visitor here."""
        subject_id, vendors, gpc, chosen_at = self._find(uow, scope, token)
        records = self.records(uow, scope, subject_id)
        newest = {r.category: r for r in records}  # in ledger order: the last wins
        given = {}
        for category in scope.site.categories:
            record = newest.get(category.id)
            given[category.id] = (
                record is not None
                and record.given
                and record.text_sha256 in _current_texts(category)
            )
        return VisitorChoice(given, vendors == scope.vendors_sha256, gpc, chosen_at)

    def records(self, uow: UnitOfWork, scope: SiteScope, subject_id: int) -> list[SiteRecord]:
        """The visitor's records in the scope's ledger, in ledger order, through the seam."""
        with uow.reading() as connection:
            self._access.open(connection, DataSubject(subject_id), subject_id, CONSENT_RECORDS)
            rows = connection.execute(
                select(site_consent_events)
                .where(
                    site_consent_events.c.subject_id == subject_id,
                    site_consent_events.c.scope_id == scope.id,
                )
                .order_by(site_consent_events.c.id)
            ).all()
        return [_record(row._mapping) for row in rows]

    def collect(self, uow: UnitOfWork, scope: SiteScope, token: str, category: str) -> None:
        """Let an event of ``category`` in only with the visitor's current consent."""
        self.category(scope, category)
        if not self.state(uow, scope, token).given.get(category, False):
            raise SiteConsentMissing(category)

    @staticmethod
    def category(scope: SiteScope, category: str) -> SiteCategory:
        found = scope.site.category(category)
        if found is None:
            raise InvalidField(
                "category", f"this website's cookie banner has no category '{category}'"
            )
        return found

    # --- the choice --------------------------------------------------------------------

    def choose(
        self,
        uow: UnitOfWork,
        scope: SiteScope,
        token: str | None,
        choices: Mapping[str, bool],
        *,
        lang: str,
        gpc: bool,
        evidence: Evidence,
    ) -> Chosen:
        """Record the choice in the scope's ledger, every category at once (one transaction);
        a category left out is a no (L8), GPC makes every category a no."""
        for name in choices:
            self.category(scope, name)  # an unknown category: InvalidField before anything
        if lang not in LANGUAGES:
            raise InvalidField("lang", f"the banner speaks {', '.join(LANGUAGES)}, not '{lang}'")
        if token is not None and not _TOKEN.match(token):
            raise UnknownVisitor()
        if token is None:
            self._limit_new_visitors(uow, evidence.ip)
        now = self._clock.now()
        new_token = None
        with uow.writing() as connection:
            if token is None:
                new_token = secrets.token_urlsafe(32)
                opened = self._access.create(
                    connection, BANNER, ESSENTIAL_COOKIES, state=SubjectState.visitor()
                )
                subject_id = opened.subject_id
                connection.execute(
                    insert(site_visitors).values(
                        token_hash=_hash(new_token),
                        scope_id=scope.id,
                        subject_id=subject_id,
                        created_at=now,
                        chosen_at=now,
                        vendors_sha256=scope.vendors_sha256,
                        gpc=gpc,
                    )
                )
            else:
                subject_id = self._subject_in(connection, scope, token)
                self._access.open(
                    connection,
                    DataSubject(subject_id),
                    subject_id,
                    ESSENTIAL_COOKIES,
                    operation=Operation.WRITE,
                )
                # every cookie of this visitor in the scope (one per domain it was carried to)
                connection.execute(
                    update(site_visitors)
                    .where(
                        site_visitors.c.subject_id == subject_id,
                        site_visitors.c.scope_id == scope.id,
                    )
                    .values(chosen_at=now, vendors_sha256=scope.vendors_sha256, gpc=gpc)
                )
            given = self._record_choice(
                connection, scope, subject_id, choices, lang=lang, gpc=gpc, evidence=evidence
            )
        return Chosen(VisitorChoice(given, True, gpc, now), new_token)

    # --- carrying the choice to the scope's other domains ----------------------------------

    def carry_token(self, uow: UnitOfWork, scope: SiteScope, subject_id: int) -> str:
        """A signed token that takes this visitor of ``scope`` to its other domains."""
        token = site_tokens.issue(scope.id, subject_id, now=self._clock.now())
        return site_tokens.sign(self._index(uow), token)

    def carry(self, uow: UnitOfWork, scope: SiteScope, text: str) -> str:
        """Redeem a carry token on a domain of ``scope``: the new cookie token of the same
        visitor. CarryTokenInvalid, CarryTokenExpired, OtherScope (a token of another scope),
        CarryTokenUsed, UnknownVisitor (erased since): nothing is written for any of them."""
        now = self._clock.now()
        token = site_tokens.for_scope(site_tokens.read(self._index(uow), text, now=now), scope.id)
        new_token = secrets.token_urlsafe(32)
        nonce_hash = hashlib.sha256(token.nonce.encode("ascii")).digest()
        try:
            with uow.writing() as connection:
                row = connection.execute(
                    select(
                        site_visitors.c.chosen_at,
                        site_visitors.c.vendors_sha256,
                        site_visitors.c.gpc,
                    )
                    .where(
                        site_visitors.c.subject_id == token.subject_id,
                        site_visitors.c.scope_id == scope.id,
                    )
                    .order_by(site_visitors.c.chosen_at.desc())
                    .limit(1)
                ).first()
                if row is None:
                    raise UnknownVisitor()
                self._access.open(
                    connection,
                    DataSubject(token.subject_id),
                    token.subject_id,
                    ESSENTIAL_COOKIES,
                    operation=Operation.WRITE,
                )
                spent = connection.execute(
                    select(site_carries.c.nonce_hash).where(site_carries.c.nonce_hash == nonce_hash)
                ).first()
                if spent is not None:
                    raise CarryTokenUsed()
                connection.execute(delete(site_carries).where(site_carries.c.expires_at < now))
                connection.execute(
                    insert(site_carries).values(nonce_hash=nonce_hash, expires_at=token.expires_at)
                )
                connection.execute(
                    insert(site_visitors).values(
                        token_hash=_hash(new_token),
                        scope_id=scope.id,
                        subject_id=token.subject_id,
                        created_at=now,
                        chosen_at=row.chosen_at,
                        vendors_sha256=row.vendors_sha256,
                        gpc=row.gpc,
                    )
                )
        except IntegrityError:
            raise CarryTokenUsed() from None  # the same token redeemed at the same moment
        return new_token

    # --- the steps ---------------------------------------------------------------------

    def _record_choice(
        self,
        connection: Connection,
        scope: SiteScope,
        subject_id: int,
        choices: Mapping[str, bool],
        *,
        lang: str,
        gpc: bool,
        evidence: Evidence,
    ) -> dict[str, bool]:
        principal = DataSubject(subject_id)
        self._access.lock_subject(connection, subject_id)
        # registry HOLD: the proof outlives erasure, its evidence is under the hold key
        opened = self._access.open_held(
            connection, principal, subject_id, CONSENT_RECORDS, operation=Operation.WRITE
        )
        newest = self._newest(connection, scope, subject_id)
        given: dict[str, bool] = {}
        for category in scope.site.categories:
            yes = bool(choices.get(category.id, False)) and not gpc
            shown = consent_text_sha256(category.request.in_language(lang))
            current = newest.get(category.id)
            given[category.id] = yes
            if yes and current is not None and current.given and current.text_sha256 == shown:
                continue  # given already for this text: no new event
            if not yes and current is not None and not current.given:
                continue  # already no: a repeated refusal writes nothing
            if yes or current is None:
                text, shown_lang = shown, lang  # a give, or a refusal of a text never asked
            else:
                text, shown_lang = current.text_sha256, None  # a withdrawal names what it ends
            self._append(connection, scope, opened, category.id, yes, text, shown_lang, evidence)
        return given

    def _append(
        self,
        connection: Connection,
        scope: SiteScope,
        opened: Opened,
        category: str,
        given: bool,
        text_sha256: str,
        lang: str | None,
        evidence: Evidence,
    ) -> None:
        now = self._clock.now()
        ip = _truncated(evidence.ip)
        agent = evidence.user_agent[:MAX_USER_AGENT] if evidence.user_agent else None
        sealed = json.dumps({"ip": ip, "user_agent": agent}, separators=(",", ":"))
        connection.execute(
            insert(site_consent_events).values(
                scope_id=scope.id,
                subject_id=opened.subject_id,
                category=category,
                given=given,
                text_sha256=text_sha256,
                lang=lang,
                channel=ConsentMethod.COOKIE_BANNER.value,
                at=now,
                evidence_enc=opened.cipher.encrypt(_EVIDENCE, sealed),
            )
        )
        # the pseudonym, the scope and the category: never the text or where it came from
        AuditTrail.append(
            connection,
            at=now,
            actor=DataSubject(opened.subject_id).actor,
            action="site_consent.given" if given else "site_consent.withdrawn",
            subject_pseudonym=opened.pseudonym,
            detail={"customer": scope.customer, "category": category, "method": "cookie_banner"},
        )

    @staticmethod
    def _newest(connection: Connection, scope: SiteScope, subject_id: int) -> dict[str, SiteRecord]:
        rows = connection.execute(
            select(site_consent_events)
            .where(
                site_consent_events.c.subject_id == subject_id,
                site_consent_events.c.scope_id == scope.id,
            )
            .order_by(site_consent_events.c.id)
        ).all()
        return {row.category: _record(row._mapping) for row in rows}

    def _index(self, uow: UnitOfWork) -> BlindIndex:
        index = self._keys.cached_blind_index
        if index is None:
            with uow.writing() as connection:
                index = self._keys.blind_index(connection)
        return index

    def _limit_new_visitors(self, uow: UnitOfWork, ip: str | None) -> None:
        # as the provider's banner: TooManyAttempts (429) before anything is written
        if ip is None or self._limiter is None:
            return
        self._limiter.take(
            uow, [Limit(self._index(uow).value("new-visitor-ip", ip), MAX_NEW_VISITORS_PER_IP)]
        )

    @staticmethod
    def _subject_in(connection: Connection, scope: SiteScope, token: str) -> int:
        subject_id = connection.execute(
            select(site_visitors.c.subject_id).where(
                site_visitors.c.token_hash == _hash(token), site_visitors.c.scope_id == scope.id
            )
        ).scalar()
        if subject_id is None:
            raise UnknownVisitor()
        return int(subject_id)

    def _find(
        self, uow: UnitOfWork, scope: SiteScope, token: str
    ) -> tuple[int, str, bool, datetime]:
        if not _TOKEN.match(token):
            raise UnknownVisitor()
        with uow.reading() as connection:
            row = connection.execute(
                select(
                    site_visitors.c.subject_id,
                    site_visitors.c.vendors_sha256,
                    site_visitors.c.gpc,
                    site_visitors.c.chosen_at,
                ).where(
                    site_visitors.c.token_hash == _hash(token),
                    site_visitors.c.scope_id == scope.id,
                )
            ).first()
        if row is None:
            raise UnknownVisitor()
        return row.subject_id, row.vendors_sha256, row.gpc, row.chosen_at


def _record(row: RowMapping) -> SiteRecord:
    return SiteRecord(
        id=row["id"],
        category=row["category"],
        given=bool(row["given"]),
        at=row["at"],
        method=ConsentMethod(row["channel"]),
        text_sha256=row["text_sha256"],
        lang=row["lang"],
    )


def _truncated(ip: str | None) -> str | None:
    # as the provider's ledger: the /24 or /48 network only (L23), nothing for no address
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    return None if address.is_unspecified else truncate_ip(ip)
