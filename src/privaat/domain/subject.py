"""What the guard needs to know about one data subject, as an immutable snapshot.

A ``SubjectState`` is assembled by the service layer from the stores (the account's
status, the fold over the consent log, the objections, the subject's flags) and handed
to the guard together with the activity and the moment; the guard never reads a store.

    SubjectState
    ├── account                AccountStatus: none, active, closed (P20, LEGAL L52)
    ├── consents               activity id → ConsentState (given / withdrawn, hash of the
    │                          text shown, expiry)
    ├── objections             activity ids objected to (art. 21), or DIRECT_MARKETING
    ├── compelling_grounds     activity ids where the controller recorded overriding grounds
    ├── restricted             art. 18: all of the subject's processing is restricted
    ├── restricted_activities  art. 18, L87: only these activities are restricted
    ├── restricted_categories  art. 18, L87: only processing of these data categories
    ├── minor                  P18, LEGAL L47
    └── legal_hold             art. 17(3)(e)

A consent that was never given is simply absent from ``consents``: absence is "no
consent" (recital 32, LEGAL L8: silence is not consent).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

__all__ = ["DIRECT_MARKETING", "AccountStatus", "ConsentState", "ConsentStatus", "SubjectState"]

# The objection key for "no direct marketing at all" (art. 21(2)): recorded when a person
# objects to direct marketing without naming one activity; it counts for every
# direct-marketing activity, as does an objection to any one of them (LEGAL L15, L85).
DIRECT_MARKETING = "direct_marketing"


class AccountStatus(StrEnum):
    """Where the subject stands with respect to an account."""

    NONE = "none"  # no account: known only as a visitor, requester or support caller
    ACTIVE = "active"  # an account the subject can log into; P20: data kept while active
    CLOSED = "closed"  # closed or deleted; only after_account_closure activities run (L52)


class ConsentStatus(StrEnum):
    """The current state of one consent; a consent never given has no state at all."""

    GIVEN = "given"  # art. 6(1)(a), 7(1): given, and the log proves for which text
    WITHDRAWN = "withdrawn"  # art. 7(3): withdrawn; never replaced by another basis (L11)


_HEX_DIGITS = frozenset("0123456789abcdef")


def _require_aware(name: str, moment: datetime | None) -> None:
    # naive datetimes cannot be compared with the guard's UTC clock (DESIGN: time is UTC)
    if moment is not None and moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got a naive datetime")


@dataclass(frozen=True, slots=True)
class ConsentState:
    """One activity's consent as it stands after folding the consent log (LEGAL L7)."""

    status: ConsentStatus
    # art. 7(1), LEGAL L86: the hex SHA-256 of the exact request text shown, in the language
    # shown (policy.schema.consent_text_sha256); the guard accepts only the hashes of the
    # activity's current text, so a changed text in any language needs fresh consent (L50)
    text_sha256: str
    given_at: datetime
    # a time-limited grant, e.g. support staff logging into the account (LEGAL L29)
    expires_at: datetime | None = None
    withdrawn_at: datetime | None = None

    def __post_init__(self) -> None:
        if len(self.text_sha256) != 64 or not _HEX_DIGITS.issuperset(self.text_sha256):
            raise ValueError(
                f"text_sha256 must be 64 lowercase hex digits (SHA-256), got {self.text_sha256!r}"
            )
        _require_aware("given_at", self.given_at)
        _require_aware("expires_at", self.expires_at)
        _require_aware("withdrawn_at", self.withdrawn_at)

    @classmethod
    def given(
        cls, text_sha256: str, at: datetime, *, expires_at: datetime | None = None
    ) -> ConsentState:
        """A consent given at ``at`` for the consent text whose hash is ``text_sha256``."""
        return cls(ConsentStatus.GIVEN, text_sha256, at, expires_at)

    def withdraw(self, at: datetime) -> ConsentState:
        """This consent, withdrawn at ``at`` (art. 7(3))."""
        return ConsentState(ConsentStatus.WITHDRAWN, self.text_sha256, self.given_at, None, at)


_NO_CONSENTS: Mapping[str, ConsentState] = MappingProxyType({})


def _no_consents() -> Mapping[str, ConsentState]:
    return _NO_CONSENTS


_ID_SETS = ("objections", "compelling_grounds", "restricted_activities", "restricted_categories")


@dataclass(frozen=True, slots=True)
class SubjectState:
    """A snapshot of one subject: account status, consents, objections and flags."""

    account: AccountStatus
    consents: Mapping[str, ConsentState] = field(default_factory=_no_consents)
    objections: frozenset[str] = frozenset()
    # art. 21(1): the controller demonstrated compelling legitimate grounds that override
    # the objection to these activities: a reviewed decision the services record and tell
    # the person about; never effective for direct marketing (art. 21(3)) or where the
    # policy makes the objection final (Objection.overridable)
    compelling_grounds: frozenset[str] = frozenset()
    # art. 18(2): processing restricted to storage, legal claims and others' rights; True
    # restricts everything about the subject, the two sets below only part of it
    restricted: bool = False
    # art. 18(1), LEGAL L87: restriction covers the contested data or processing: these
    # activities, and every activity that uses one of these data categories (e.g. the
    # phone number whose accuracy is contested), not the whole relationship
    restricted_activities: frozenset[str] = frozenset()
    restricted_categories: frozenset[str] = frozenset()
    minor: bool = False  # P18, LEGAL L47: found to be under 16; processing stops
    legal_hold: bool = False  # art. 17(3)(e): data kept for legal claims

    def __post_init__(self) -> None:
        # a caller's dict must not change the snapshot behind the guard's back
        if not isinstance(self.consents, MappingProxyType):
            object.__setattr__(self, "consents", MappingProxyType(dict(self.consents)))
        for name in _ID_SETS:
            if not isinstance(getattr(self, name), frozenset):
                object.__setattr__(self, name, frozenset(getattr(self, name)))
        if not isinstance(self.account, AccountStatus):
            object.__setattr__(self, "account", AccountStatus(self.account))

    @classmethod
    def visitor(cls) -> SubjectState:
        """Someone without an account who has consented to nothing and objected to nothing."""
        return cls(AccountStatus.NONE)

    @classmethod
    def customer(cls) -> SubjectState:
        """A fresh account holder: no consents, objections, restriction or flags."""
        return cls(AccountStatus.ACTIVE)
