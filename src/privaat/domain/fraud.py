"""An explainable fraud score for a web shop order (P8; LEGAL L32; GDPR art. 22).

    OrderSignals (what the order and its history show) ──score()──▶ Assessment
        each Rule that applies adds its points and a Reason: a code, the points, the facts
        (counts, countries), and a sentence in the customer's and the team's words (NL/EN)
        score ≥ REVIEW_AT  ──▶ a person reviews the order (needs_review)

The score never refuses anything: art. 22(1) forbids a decision based solely on automated
processing with legal or similarly significant effects, and the policy declares
``automated_decision: false``. A high score holds the order for the fraud team, who approve
or refuse it (``domain.shop``). The rules are few and named so the team can explain each
one to the customer (art. 13(2)(f): meaningful information about the logic involved).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from privaat.policy.wording import N_

__all__ = [
    "FIRST_ORDER_HIGH_CENTS",
    "REASON_WORDS",
    "REVIEW_AT",
    "Assessment",
    "Decision",
    "OrderSignals",
    "Reason",
    "ReasonCode",
    "score",
]

REVIEW_AT = 50  # from this score on, a person reviews the order
FIRST_ORDER_HIGH_CENTS = 50_000  # a first order of €500 or more
VELOCITY_EMAIL_AT = 2  # earlier orders from the same e-mail address within 24 hours
VELOCITY_IP_AT = 3  # … from the same IP address
VELOCITY_ADDRESS_AT = 3  # … to the same delivery address


class ReasonCode(StrEnum):
    """The rules of the score; the value is stored with each score."""

    VELOCITY_EMAIL = "velocity_email"
    VELOCITY_IP = "velocity_ip"
    VELOCITY_ADDRESS = "velocity_address"
    COUNTRY_MISMATCH = "country_mismatch"
    DISPOSABLE_EMAIL = "disposable_email"
    NAME_MISMATCH = "name_mismatch"
    FIRST_ORDER_HIGH_AMOUNT = "first_order_high_amount"


class Decision(StrEnum):
    """A person's decision on a scored order."""

    NONE = "none"  # no person has decided (a low score needs no decision)
    APPROVED = "approved"  # the fraud team cleared the order
    REFUSED = "refused"  # the fraud team refused it, with a reason; the customer is told


# each reason in words; ``{…}`` are the reason's facts
REASON_WORDS: Mapping[ReasonCode, str] = MappingProxyType(
    {
        ReasonCode.VELOCITY_EMAIL: N_(
            "{count} other orders from the same e-mail address in the last 24 hours."
        ),
        ReasonCode.VELOCITY_IP: N_(
            "{count} other orders from the same internet address in the last 24 hours."
        ),
        ReasonCode.VELOCITY_ADDRESS: N_(
            "{count} other orders to the same delivery address in the last 24 hours."
        ),
        ReasonCode.COUNTRY_MISMATCH: N_(
            "The order was placed from {ip_country}, the delivery address is in {country}."
        ),
        ReasonCode.DISPOSABLE_EMAIL: N_("The e-mail address is at a throw-away mail service."),
        ReasonCode.NAME_MISMATCH: N_(
            "The name on the delivery address differs from the name on the account."
        ),
        ReasonCode.FIRST_ORDER_HIGH_AMOUNT: N_(
            "A first order of a high amount (€{euros} or more)."
        ),
    }
)


@dataclass(frozen=True, slots=True)
class OrderSignals:
    """What the score looks at; the service gathers it (counts by keyed hashes, the country
    from the offline GeoIP data, the throw-away domain from its maintained list)."""

    delivery_country: str
    total_cents: int
    ip_country: str | None = None  # None: a private or unknown address
    disposable_email: bool = False
    earlier_orders: int = 0  # of this subject, ever
    same_email_24h: int = 0  # other orders, any subject, in the 24 hours before
    same_ip_24h: int = 0
    same_address_24h: int = 0
    account_name: str | None = None  # None for a guest
    delivery_name: str = ""


@dataclass(frozen=True, slots=True)
class Reason:
    """Why the score rose: which rule, by how much, on which facts."""

    code: ReasonCode
    points: int
    facts: Mapping[str, str | int] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {"code": self.code.value, "points": self.points, "facts": dict(self.facts)}

    @classmethod
    def from_json(cls, value: Mapping[str, object]) -> Reason:
        facts = value.get("facts")
        points = value.get("points")
        return cls(
            ReasonCode(str(value["code"])),
            points if isinstance(points, int) else 0,
            {str(k): v for k, v in facts.items() if isinstance(v, str | int)}
            if isinstance(facts, dict)
            else {},
        )

    def words(self, gettext: Callable[[str], str]) -> str:
        """The reason in the language of ``gettext`` (a catalogue's ``gettext``)."""
        return gettext(REASON_WORDS[self.code]).format(**self.facts)


@dataclass(frozen=True, slots=True)
class Assessment:
    """The score and its reasons; ``needs_review``: a person looks before it goes further."""

    score: int
    reasons: tuple[Reason, ...]

    @property
    def needs_review(self) -> bool:
        return self.score >= REVIEW_AT


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def score(signals: OrderSignals) -> Assessment:
    """The order's score: the sum of the points of every rule that applies."""
    reasons: list[Reason] = []
    if signals.same_email_24h >= VELOCITY_EMAIL_AT:
        reasons.append(Reason(ReasonCode.VELOCITY_EMAIL, 25, {"count": signals.same_email_24h}))
    if signals.same_ip_24h >= VELOCITY_IP_AT:
        reasons.append(Reason(ReasonCode.VELOCITY_IP, 20, {"count": signals.same_ip_24h}))
    if signals.same_address_24h >= VELOCITY_ADDRESS_AT:
        reasons.append(Reason(ReasonCode.VELOCITY_ADDRESS, 15, {"count": signals.same_address_24h}))
    if signals.ip_country is not None and signals.ip_country != signals.delivery_country:
        facts = {"ip_country": signals.ip_country, "country": signals.delivery_country}
        reasons.append(Reason(ReasonCode.COUNTRY_MISMATCH, 30, facts))
    if signals.disposable_email:
        reasons.append(Reason(ReasonCode.DISPOSABLE_EMAIL, 40))
    if signals.account_name is not None and not _same_name(
        signals.account_name, signals.delivery_name
    ):
        reasons.append(Reason(ReasonCode.NAME_MISMATCH, 10))
    if signals.earlier_orders == 0 and signals.total_cents >= FIRST_ORDER_HIGH_CENTS:
        euros = FIRST_ORDER_HIGH_CENTS // 100
        reasons.append(Reason(ReasonCode.FIRST_ORDER_HIGH_AMOUNT, 25, {"euros": euros}))
    return Assessment(sum(r.points for r in reasons), tuple(reasons))
