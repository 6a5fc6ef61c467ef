"""What the guard needs to know about one data subject, as an immutable snapshot.

A ``SubjectState`` is assembled by the service layer from the stores (the account's
status, the fold over the consent log, the objections, the subject's flags) and handed
to the guard together with the activity and the moment; the guard never reads a store.

    SubjectState
    ├── account             AccountStatus: none, active, closed (P20, LEGAL L52)
    ├── consents            activity id → ConsentState (given / withdrawn, text version, expiry)
    ├── objections          activity ids objected to (art. 21)
    ├── compelling_grounds  activity ids where the controller recorded overriding grounds
    ├── restricted          art. 18
    ├── minor               P18, LEGAL L47
    └── legal_hold          art. 17(3)(e)

A consent that was never given is simply absent from ``consents``: absence is "no
consent" (recital 32, LEGAL L8: silence is not consent).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

__all__ = ["AccountStatus", "ConsentState", "ConsentStatus", "SubjectState"]


class AccountStatus(StrEnum):
    """Where the subject stands with respect to an account."""

    NONE = "none"  # no account: known only as a visitor, requester or support caller
    ACTIVE = "active"  # an account the subject can log into; P20: data kept while active
    CLOSED = "closed"  # closed or deleted; only after_account_closure activities run (L52)


class ConsentStatus(StrEnum):
    """The current state of one consent; a consent never given has no state at all."""

    GIVEN = "given"  # art. 6(1)(a), 7(1): given, and the log proves under which text
    WITHDRAWN = "withdrawn"  # art. 7(3): withdrawn; never replaced by another basis (L11)


def _require_aware(name: str, moment: datetime | None) -> None:
    # naive datetimes cannot be compared with the guard's UTC clock (DESIGN: time is UTC)
    if moment is not None and moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got a naive datetime")


@dataclass(frozen=True, slots=True)
class ConsentState:
    """One activity's consent as it stands after folding the consent log (LEGAL L7)."""

    status: ConsentStatus
    # the version of the consent text it was given under; the guard compares it with the
    # activity's consent.version, so a new text needs fresh consent (LEGAL L50)
    version: int
    given_at: datetime
    # a time-limited grant, e.g. support staff logging into the account (LEGAL L29)
    expires_at: datetime | None = None
    withdrawn_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.version < 1:
            raise ValueError(f"consent text versions start at 1, got {self.version}")
        _require_aware("given_at", self.given_at)
        _require_aware("expires_at", self.expires_at)
        _require_aware("withdrawn_at", self.withdrawn_at)

    @classmethod
    def given(
        cls, version: int, at: datetime, *, expires_at: datetime | None = None
    ) -> ConsentState:
        """A consent given at ``at`` under consent text ``version``."""
        return cls(ConsentStatus.GIVEN, version, at, expires_at)

    def withdraw(self, at: datetime) -> ConsentState:
        """This consent, withdrawn at ``at`` (art. 7(3))."""
        return ConsentState(ConsentStatus.WITHDRAWN, self.version, self.given_at, None, at)


_NO_CONSENTS: Mapping[str, ConsentState] = MappingProxyType({})


def _no_consents() -> Mapping[str, ConsentState]:
    return _NO_CONSENTS


@dataclass(frozen=True, slots=True)
class SubjectState:
    """A snapshot of one subject: account status, consents, objections and flags."""

    account: AccountStatus
    consents: Mapping[str, ConsentState] = field(default_factory=_no_consents)
    objections: frozenset[str] = frozenset()
    # art. 21(1): the controller demonstrated compelling legitimate grounds that override
    # the objection to these activities; never effective for direct marketing (art. 21(3))
    compelling_grounds: frozenset[str] = frozenset()
    restricted: bool = False  # art. 18: processing restricted to storage and legal claims
    minor: bool = False  # P18, LEGAL L47: found to be under 16; processing stops
    legal_hold: bool = False  # art. 17(3)(e): data kept for legal claims

    def __post_init__(self) -> None:
        # a caller's dict must not change the snapshot behind the guard's back
        if not isinstance(self.consents, MappingProxyType):
            object.__setattr__(self, "consents", MappingProxyType(dict(self.consents)))
        if not isinstance(self.objections, frozenset):
            object.__setattr__(self, "objections", frozenset(self.objections))
        if not isinstance(self.compelling_grounds, frozenset):
            object.__setattr__(self, "compelling_grounds", frozenset(self.compelling_grounds))
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
