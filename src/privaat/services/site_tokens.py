"""The carry token: a visitor's choice taken to another domain of the same scope (issue 14 item 7).

    token = k . scope . visitor . nonce . expires . mac      (URL-safe, ~70 characters)
            │   │       │         │       │         └─ HMAC-SHA256 (first 16 bytes) of the rest
            │   │       │         │       │            under the blind-index key's own sub-key
            │   │       │         │       └─ seconds since the epoch, base 36 (10 minutes on)
            │   │       │         └─ 16 random bytes: a token links one browser, once
            │   │       └─ the visitor's subject id in that scope (base 36)
            │   └─ the site scope's id (base 36)
            └─ "k", the one thing it is for: carrying a banner choice

The mechanism is the campaign tokens' (``services.campaign_tokens``): the MAC first, in
constant time, so nothing of an unsigned token is believed. ``read`` checks the signature and
the expiry; that its scope is the scope of the host it is presented on is ``for_scope``'s
check, and single use is the redeeming service's (``site_carries``).
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from privaat.services.errors import ServiceError
from privaat.store.crypto import BlindIndex

__all__ = [
    "CARRY_LIFETIME",
    "CarryToken",
    "CarryTokenExpired",
    "CarryTokenInvalid",
    "OtherScope",
    "for_scope",
    "issue",
    "read",
    "sign",
]

CARRY_LIFETIME = timedelta(minutes=10)  # a click to another domain takes seconds
MAX_LENGTH = 160
_KIND = "site_carry_token"  # the blind index's sub-key of its own (HKDF info)
_MAC_BYTES = 16
_B36 = re.compile(r"[0-9a-z]{1,13}")
_NONCE = re.compile(r"[A-Za-z0-9_-]{22}")  # 16 bytes, URL-safe base64 without padding


class CarryTokenInvalid(ServiceError):
    """Not a carry token of ours: malformed, forged or altered."""

    def __init__(self) -> None:
        super().__init__("the carry token is not valid: nothing was recorded")


class CarryTokenExpired(ServiceError):
    """A genuine carry token past its time."""

    def __init__(self) -> None:
        super().__init__("the carry token has expired: nothing was recorded")


class OtherScope(ServiceError):
    """A genuine token of another customer's scope than the host's: never crossed."""

    def __init__(self) -> None:
        super().__init__(
            "the carry token belongs to another customer's websites than this one: "
            "a choice made there does not apply here, and nothing was recorded"
        )


@dataclass(frozen=True, slots=True)
class CarryToken:
    scope_id: int
    subject_id: int
    nonce: str
    expires_at: datetime


def issue(scope_id: int, subject_id: int, *, now: datetime) -> CarryToken:
    """A new token for the visitor, with a fresh nonce, valid CARRY_LIFETIME from ``now``."""
    nonce = base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode()
    return CarryToken(scope_id, subject_id, nonce, now + CARRY_LIFETIME)


def sign(index: BlindIndex, token: CarryToken) -> str:
    """The URL-safe text of ``token``, with its MAC."""
    body = _body(token)
    return f"{body}.{_mac(index, body)}"


def read(index: BlindIndex, text: str, *, now: datetime) -> CarryToken:
    """The token ``text`` stands for; CarryTokenInvalid unless ours and unaltered,
    CarryTokenExpired past its time."""
    if len(text) > MAX_LENGTH:
        raise CarryTokenInvalid()
    parts = text.split(".")
    if len(parts) != 6:
        raise CarryTokenInvalid()
    kind, scope, subject, nonce, expires, mac = parts
    body = ".".join(parts[:5])
    if not hmac.compare_digest(mac.encode(), _mac(index, body).encode()):
        raise CarryTokenInvalid()
    if kind != "k" or not all(_B36.fullmatch(p) for p in (scope, subject, expires)):
        raise CarryTokenInvalid()
    if not _NONCE.fullmatch(nonce):
        raise CarryTokenInvalid()
    token = CarryToken(
        scope_id=int(scope, 36),
        subject_id=int(subject, 36),
        nonce=nonce,
        expires_at=datetime.fromtimestamp(int(expires, 36), UTC),
    )
    if token.expires_at <= now:
        raise CarryTokenExpired()
    return token


def for_scope(token: CarryToken, scope_id: int) -> CarryToken:
    """``token`` when it was issued in ``scope_id``; OtherScope when in another one."""
    if token.scope_id != scope_id:
        raise OtherScope()
    return token


def _body(token: CarryToken) -> str:
    expires = _base36(int(token.expires_at.timestamp()))
    return f"k.{_base36(token.scope_id)}.{_base36(token.subject_id)}.{token.nonce}.{expires}"


def _mac(index: BlindIndex, body: str) -> str:
    digest = index.value(_KIND, body)[:_MAC_BYTES]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _base36(number: int) -> str:
    if number < 0:
        raise ValueError("a token holds no negative number")
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out
