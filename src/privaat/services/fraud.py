"""Fraud checks on web shop orders (issue 12 item 4, P8, L32, art. 22).

Shop.check_out ──▶ FraudChecks.assess (in the checkout's transaction, under
    │               fraud_detection): earlier orders counted by keyed hashes of the
    │               e-mail, IP and delivery address; the IP's country from the offline
    │               GeoIP data; throw-away mail domains from ``disposable-email-domains``
    ▼
domain.fraud.score ──▶ fraud_scores (score, reasons, decision "none")
    high ──▶ the order waits "in review"; never refused by the score alone
FraudChecks.review ── a staff member of the fraud team approves or refuses, with a
    reason, recorded (who, when, why); the customer is told (services.shop)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from disposable_email_domains import blocklist
from sqlalchemy import Connection, func, insert, select

from privaat.domain.clock import Clock
from privaat.domain.fraud import Assessment, Decision, OrderSignals, Reason, score
from privaat.domain.principal import Principal
from privaat.policy.schema import Policy
from privaat.services.geo import GeoLocator
from privaat.services.notifier import Notifier
from privaat.services.subject_access import Opened, Operation, SubjectAccess
from privaat.store.key_store import KeyStore
from privaat.store.tables_shop import FRAUD, fraud_scores, shop_orders

__all__ = ["CheckedOrder", "FraudChecks", "ScoreView"]

_WINDOW = timedelta(hours=24)  # the velocity rules look back one day
_REASONS = "fraud_scores.reasons"
_IP = "fraud_scores.ip"
_DECISION_REASON = "fraud_scores.decision_reason"


@dataclass(frozen=True, slots=True)
class CheckedOrder:
    """What the checkout hands the fraud checks about one new order."""

    order_id: int
    subject_id: int
    email: str
    ip: str | None
    street: str
    postal_code: str
    country: str
    delivery_name: str
    total_cents: int


@dataclass(frozen=True, slots=True)
class ScoreView:
    """A stored score as the fraud team sees it."""

    score: int
    reasons: tuple[Reason, ...]
    decision: Decision
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    scored_at: datetime

    def words(self, gettext: Callable[[str], str]) -> list[str]:
        return [reason.words(gettext) for reason in self.reasons]


def _disposable(email: str) -> bool:
    domain = email.rsplit("@", 1)[-1].lower()
    return domain in blocklist


class FraudChecks:
    """An explainable rule-based risk score per order; a person reviews the high ones."""

    activities: frozenset[str] = frozenset({"fraud_detection"})

    def __init__(
        self,
        *,
        access: SubjectAccess,
        keys: KeyStore,
        policy: Policy,
        clock: Clock,
        notifier: Notifier,
        base_url: str,
        geo: GeoLocator,
    ) -> None:
        self._access, self._keys, self._policy, self._clock = access, keys, policy, clock
        self._notifier, self._base_url = notifier, base_url
        self._geo = geo

    def assess(
        self, connection: Connection, principal: Principal, order: CheckedOrder
    ) -> Assessment:
        """Score a new order in the caller's transaction and store the score and its reasons."""
        opened = self._access.open(
            connection, principal, order.subject_id, FRAUD, operation=Operation.WRITE
        )
        now = self._clock.now()
        index = self._keys.blind_index(connection)
        email_bidx = index.email(order.email)
        ip_bidx = index.value("shop-ip", order.ip) if order.ip else None
        address = "|".join(
            " ".join(part.casefold().split())
            for part in (order.street, order.postal_code, order.country)
        )
        address_bidx = index.value("shop-address", address)
        since = now - _WINDOW

        def recent(column: Any, value: bytes | None) -> int:
            if value is None:
                return 0
            found = connection.execute(
                select(func.count())
                .select_from(fraud_scores)
                .where(column == value, fraud_scores.c.scored_at >= since)
            ).scalar_one()
            return int(found)

        earlier = connection.execute(
            select(func.count())
            .select_from(shop_orders)
            .where(shop_orders.c.subject_id == order.subject_id, shop_orders.c.id != order.order_id)
        ).scalar_one()
        signals = OrderSignals(
            delivery_country=order.country,
            total_cents=order.total_cents,
            ip_country=self._country_of(order.ip),
            disposable_email=_disposable(order.email),
            earlier_orders=int(earlier),
            same_email_24h=recent(fraud_scores.c.email_bidx, email_bidx),
            same_ip_24h=recent(fraud_scores.c.ip_bidx, ip_bidx),
            same_address_24h=recent(fraud_scores.c.address_bidx, address_bidx),
            account_name=self._account_name(opened),
            delivery_name=order.delivery_name,
        )
        assessment = score(signals)
        reasons = json.dumps([reason.as_json() for reason in assessment.reasons])
        cipher = opened.cipher
        connection.execute(
            insert(fraud_scores).values(
                order_id=order.order_id,
                subject_id=order.subject_id,
                scored_at=now,
                score=assessment.score,
                reasons_enc=cipher.encrypt(_REASONS, reasons),
                ip_enc=cipher.encrypt(_IP, order.ip) if order.ip else None,
                email_bidx=email_bidx,
                ip_bidx=ip_bidx,
                address_bidx=address_bidx,
                decision=Decision.NONE.value,
            )
        )
        return assessment

    def score_of(
        self, connection: Connection, principal: Principal, subject_id: int, order_id: int
    ) -> ScoreView | None:
        """The order's score and reasons, opened under fraud_detection (access-logged)."""
        row = connection.execute(
            select(fraud_scores).where(fraud_scores.c.order_id == order_id)
        ).first()
        if row is None:
            return None
        opened = self._access.open(connection, principal, subject_id, FRAUD)
        reasons = json.loads(opened.decrypt(_REASONS, row.reasons_enc) or "[]")
        return ScoreView(
            score=row.score,
            reasons=tuple(Reason.from_json(value) for value in reasons),
            decision=Decision(row.decision),
            decided_by=row.decided_by,
            decided_at=row.decided_at,
            decision_reason=opened.decrypt(_DECISION_REASON, row.decision_reason_enc),
            scored_at=row.scored_at,
        )

    def record_decision(
        self,
        connection: Connection,
        principal: Principal,
        subject_id: int,
        order_id: int,
        decision: Decision,
        reason: str,
    ) -> None:
        """Record a person's decision on the order's score: who, when and why (L32)."""
        opened = self._access.open(
            connection, principal, subject_id, FRAUD, operation=Operation.WRITE
        )
        connection.execute(
            fraud_scores.update()
            .where(fraud_scores.c.order_id == order_id)
            .values(
                decision=decision.value,
                decided_by=principal.actor,
                decided_at=self._clock.now(),
                decision_reason_enc=opened.cipher.encrypt(_DECISION_REASON, reason),
            )
        )

    def _country_of(self, ip: str | None) -> str | None:
        if not ip:
            return None
        try:
            return self._geo.locate(ip).country
        except ValueError:  # not an address the data set knows
            return None

    @staticmethod
    def _account_name(opened: Opened) -> str | None:
        blob = opened.record.get("name_enc")
        if blob is None:  # a guest: no account to compare with
            return None
        return opened.decrypt("accounts.name", blob)
