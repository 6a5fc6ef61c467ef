"""Anonymous website visitors and their cookie-banner choices (issue 10 item 7; P14, P16, P17).

    visitor cookie (random token) ──sha256──▶ visitors.token_hash ──▶ subjects row (own key,
                                                                      no account)
    choose(token?, {category: yes/no}) ── one writing transaction: the visitor is created on
        │                                  their first choice, then per banner category
        ├── yes ▶ Consents.give_in      (method cookie_banner, the text shown in ``lang``)
        └── no  ▶ Consents.decline_in   (a withdrawal, or a refusal never asked: recorded)
    state(token)    ── the categories given, replayed from the ledger (L7), and whether the
                       choice was made for today's vendors (another list: ask again, L42)
    collect(token, category) ── the guard decides the category's activity for the visitor

The categories come from the policy file alone (L9): each consent-based activity asked in
the ``cookie_settings`` channel is one, named by its ``banner_category`` (else its id); the
strictly necessary cookies (activities on another basis that set cookies for visitors) are
the always-on category. A provider's new consent-based cookie activity appears without code.

A visitor is a subject like a customer: the consent ledger, receipts, erasure and access
requests work for them through the same seam. The visitor row is kept under
``essential_cookies``: the cookie that remembers a choice is strictly necessary (L42).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update

from privaat.domain.clock import Clock
from privaat.domain.principal import DataSubject, SystemJob
from privaat.domain.subject import SubjectState
from privaat.policy.schema import (
    NECESSARY_BANNER_CATEGORY,
    Channel,
    Cookie,
    Policy,
    ProcessingActivity,
    Recipient,
)
from privaat.services.consents import ConsentMethod, Consents, Evidence
from privaat.services.errors import InvalidField, ServiceError
from privaat.services.rate_limit import AttemptLimiter, Limit
from privaat.services.subject_access import Operation, SubjectAccess
from privaat.store.key_store import KeyStore
from privaat.store.tables_visitors import ESSENTIAL_COOKIES, visitors
from privaat.store.unit_of_work import UnitOfWork

__all__ = [
    "VISITOR_COOKIE",
    "VISITOR_COOKIE_SECONDS",
    "BannerCategory",
    "Chosen",
    "UnknownVisitor",
    "VisitorChoice",
    "Visitors",
]

VISITOR_COOKIE = "privaat_visitor"
VISITOR_COOKIE_SECONDS = 182 * 24 * 3600  # six months (the policy declares P6M)
BANNER = SystemJob("cookie-banner")  # creates a visitor's subject before it exists
# per attempt window (15 minutes) and IP address: every new visitor is a subject with a key,
# so one address cannot fill the database; an office behind NAT still has room
MAX_NEW_VISITORS_PER_IP = 200
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)


class UnknownVisitor(ServiceError):
    """The visitor cookie is malformed or names no visitor (forged, or erased since)."""

    def __init__(self) -> None:
        super().__init__("the visitor cookie names no visitor")


@dataclass(frozen=True)
class BannerCategory:
    """One category of the banner: the policy's activities behind it, vendors and cookies."""

    id: str  # "necessary", or an activity's banner_category ("analytics", "social")
    activities: tuple[ProcessingActivity, ...]  # one for a consent category
    recipients: tuple[Recipient, ...]  # the companies named on the first layer (L40)
    cookies: tuple[Cookie, ...]

    @property
    def required(self) -> bool:
        """Strictly necessary: always on, never asked (Tw 11.7a(3)(b))."""
        return self.id == NECESSARY_BANNER_CATEGORY

    @property
    def activity(self) -> ProcessingActivity:
        return self.activities[0]


@dataclass(frozen=True)
class VisitorChoice:
    """What a visitor chose, replayed from the ledger."""

    given: Mapping[str, bool]  # every consent category → whether its consent counts now
    current: bool  # made for today's vendor list: False asks again (L42)
    gpc: bool  # the last choice came from a Global Privacy Control signal
    chosen_at: datetime


@dataclass(frozen=True)
class Chosen:
    """The outcome of a choice: the state, and the new visitor's token when one was made."""

    choice: VisitorChoice
    new_token: str | None


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("ascii")).digest()


def _categories(policy: Policy) -> tuple[BannerCategory, ...]:
    necessary = tuple(
        a
        for a in policy.activities
        if a.cookies and not a.requires_consent and "dpv:Visitor" in a.data_subjects
    )
    out = [
        BannerCategory(
            NECESSARY_BANNER_CATEGORY,
            necessary,
            (),
            tuple(cookie for a in necessary for cookie in a.cookies),
        )
    ]
    for a in policy.activities:
        if a.consent is not None and Channel.COOKIE_SETTINGS in a.consent.channels:
            recipients = tuple(policy.recipient(r) for r in a.recipients)
            out.append(BannerCategory(a.banner_category or a.id, (a,), recipients, a.cookies))
    return tuple(out)


class Visitors:
    """Visitors known by their cookie, their banner choices, and the gate of analytics."""

    activities = frozenset({ESSENTIAL_COOKIES})

    def __init__(
        self,
        *,
        access: SubjectAccess,
        consents: Consents,
        policy: Policy,
        clock: Clock,
        keys: KeyStore | None = None,
        limiter: AttemptLimiter | None = None,
    ) -> None:
        self._access, self._consents, self._clock = access, consents, clock
        self._keys, self._limiter = keys, limiter
        self._categories = _categories(policy)
        self._asked = {c.id: c for c in self._categories if not c.required}
        # L42: the vendors of the asked categories; another list asks every visitor again
        listed = [
            [c.id, sorted(r.id + ":" + r.name for r in c.recipients)] for c in self._asked.values()
        ]
        self._vendors = hashlib.sha256(json.dumps(listed).encode()).hexdigest()

    def categories(self) -> tuple[BannerCategory, ...]:
        """The necessary category first, then each asked category in policy order."""
        return self._categories

    @property
    def vendors_sha256(self) -> str:
        return self._vendors

    def category(self, category: str) -> BannerCategory:
        """The asked category of that name; InvalidField when the policy has none."""
        found = self._asked.get(category)
        if found is None:
            raise InvalidField(
                "category", f"the cookie banner has no category '{category}' to choose"
            )
        return found

    # --- reads -------------------------------------------------------------------------

    def state(self, uow: UnitOfWork, token: str) -> VisitorChoice:
        """The visitor's choice; UnknownVisitor for a malformed or unknown token."""
        subject_id, vendors, gpc, chosen_at = self._find(uow, token)
        records = self._consents.choices(uow, DataSubject(subject_id), subject_id)
        by_activity = {choice.activity: choice.given for choice in records}
        given = {c.id: by_activity.get(c.activity.id, False) for c in self._asked.values()}
        return VisitorChoice(given, vendors == self._vendors, gpc, chosen_at)

    def subject_of(self, uow: UnitOfWork, token: str) -> int:
        """The visitor's subject id (for receipts and requests); UnknownVisitor if none."""
        return self._find(uow, token)[0]

    def collect(self, uow: UnitOfWork, token: str | None, category: str) -> None:
        """Let an analytics event of ``category`` in only when the guard allows its activity
        for this visitor: AccessDenied without consent, UnknownVisitor without a visitor."""
        asked = self.category(category)
        if token is None:
            raise UnknownVisitor()
        subject_id = self._find(uow, token)[0]
        with uow.reading() as connection:
            # the guard decides and the access log records it; the event itself goes on to
            # the analytics vendor (privaat keeps none of it)
            self._access.open(
                connection,
                DataSubject(subject_id),
                subject_id,
                asked.activity.id,
                operation=Operation.WRITE,
            )

    # --- the write ---------------------------------------------------------------------

    def choose(
        self,
        uow: UnitOfWork,
        token: str | None,
        choices: Mapping[str, bool],
        *,
        lang: str,
        gpc: bool,
        evidence: Evidence,
    ) -> Chosen:
        """Record the visitor's choice, every category at once (one transaction): a category
        left out is a no (L8: silence is no consent); GPC makes every category a no."""
        for category in choices:
            self.category(category)  # an unknown category: InvalidField before anything
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
                    insert(visitors).values(
                        token_hash=_hash(new_token),
                        subject_id=subject_id,
                        created_at=now,
                        chosen_at=now,
                        vendors_sha256=self._vendors,
                        gpc=gpc,
                    )
                )
            else:
                row = connection.execute(
                    select(visitors.c.subject_id).where(visitors.c.token_hash == _hash(token))
                ).first()
                if row is None:
                    raise UnknownVisitor()
                subject_id = row.subject_id
                self._access.open(
                    connection,
                    DataSubject(subject_id),
                    subject_id,
                    ESSENTIAL_COOKIES,
                    operation=Operation.WRITE,
                )
                connection.execute(
                    update(visitors)
                    .where(visitors.c.token_hash == _hash(token))
                    .values(chosen_at=now, vendors_sha256=self._vendors, gpc=gpc)
                )
            principal = DataSubject(subject_id)
            given: dict[str, bool] = {}
            for asked in self._asked.values():
                yes = bool(choices.get(asked.id, False)) and not gpc
                declared = asked.activity
                if yes:
                    self._consents.give_in(
                        connection,
                        principal,
                        subject_id,
                        declared,
                        lang=lang,
                        method=ConsentMethod.COOKIE_BANNER,
                        evidence=evidence,
                    )
                else:
                    self._consents.decline_in(
                        connection,
                        principal,
                        subject_id,
                        declared,
                        lang=lang,
                        method=ConsentMethod.COOKIE_BANNER,
                        evidence=evidence,
                    )
                given[asked.id] = yes
        return Chosen(VisitorChoice(given, True, gpc, now), new_token)

    # --- the steps ---------------------------------------------------------------------

    def _limit_new_visitors(self, uow: UnitOfWork, ip: str | None) -> None:
        # TooManyAttempts (a 429 problem) before anything of the visitor is written
        if ip is None or self._keys is None or self._limiter is None:
            return
        index = self._keys.cached_blind_index
        if index is None:
            with uow.writing() as connection:
                index = self._keys.blind_index(connection)
        self._limiter.take(uow, [Limit(index.value("new-visitor-ip", ip), MAX_NEW_VISITORS_PER_IP)])

    def _find(self, uow: UnitOfWork, token: str) -> tuple[int, str, bool, datetime]:
        if not _TOKEN.match(token):
            raise UnknownVisitor()
        with uow.reading() as connection:
            row = connection.execute(
                select(
                    visitors.c.subject_id,
                    visitors.c.vendors_sha256,
                    visitors.c.gpc,
                    visitors.c.chosen_at,
                ).where(visitors.c.token_hash == _hash(token))
            ).first()
        if row is None:
            raise UnknownVisitor()
        return row.subject_id, row.vendors_sha256, row.gpc, row.chosen_at
