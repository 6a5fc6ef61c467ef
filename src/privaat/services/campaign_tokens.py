"""The signed tokens in a campaign mail: unsubscribe (RFC 8058), open pixel and click links;
and the link that confirms a double opt-in (``services.consent_confirmations``).

    token = kind . send . link . expires . mac          (all URL-safe, no address in it)
            │      │      │      │         └─ HMAC-SHA256 (first 16 bytes) of the rest under
            │      │      │      │            the blind-index key's own sub-key
            │      │      │      └─ seconds since the epoch, base 36
            │      │      └─ the index of the campaign link (click tokens), else empty
            │      └─ the campaign_sends row (base 36): one person and one campaign
            └─ u (unsubscribe) · o (open) · c (click) · k (confirm a consent; its row
               is the consent request's)

A token names a row, not a person: the address never travels in the URL, and a token that
was forged, altered or cut fails the MAC and is refused before anything is read.
"""

from __future__ import annotations

import base64
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from privaat.services.errors import ServiceError
from privaat.store.crypto import BlindIndex

__all__ = [
    "ENGAGEMENT_LIFETIME",
    "UNSUBSCRIBE_LIFETIME",
    "CampaignToken",
    "TokenExpired",
    "TokenInvalid",
    "TokenKind",
    "read",
    "sign",
]

UNSUBSCRIBE_LIFETIME = timedelta(days=60)
ENGAGEMENT_LIFETIME = timedelta(days=60)
MAX_LENGTH = 120  # a real token is ~50 characters; anything longer is refused unread
_MAC_BYTES = 16  # 128 bits of HMAC-SHA256: forging is a 2^-128 guess
_KIND = "campaign_token"  # the blind index's sub-key of its own (HKDF info)
_B36 = re.compile(r"[0-9a-z]{1,13}")


class TokenKind(StrEnum):
    """What a token lets its holder do."""

    UNSUBSCRIBE = "u"  # withdraw marketing consent for the person the send names
    OPEN = "o"  # record that the mail was opened (pixel)
    CLICK = "c"  # follow one of the campaign's own links (and record it)
    # confirm a double opt-in (issue 14 item 5): ``send_id`` names the request's row in
    # consent_events, not a send
    CONFIRM_CONSENT = "k"


_KINDS = frozenset(kind.value for kind in TokenKind)


class TokenInvalid(ServiceError):
    """Not a token of ours: malformed, forged or altered."""

    def __init__(self) -> None:
        super().__init__("this link is not valid")


class TokenExpired(ServiceError):
    """A genuine token past its time."""

    def __init__(self, token: CampaignToken) -> None:
        super().__init__("this link has expired")
        self.token = token


@dataclass(frozen=True, slots=True)
class CampaignToken:
    kind: TokenKind
    send_id: int
    expires_at: datetime
    link: int | None = None


def sign(index: BlindIndex, token: CampaignToken) -> str:
    """The URL-safe text of ``token``, with its MAC."""
    body = _body(token)
    return f"{body}.{_mac(index, body)}"


def read(index: BlindIndex, text: str, *, now: datetime) -> CampaignToken:
    """The token ``text`` stands for; TokenInvalid unless ours and unaltered, TokenExpired."""
    if len(text) > MAX_LENGTH:
        raise TokenInvalid()
    parts = text.split(".")
    if len(parts) != 5:
        raise TokenInvalid()
    kind, send, link, expires, mac = parts
    body = f"{kind}.{send}.{link}.{expires}"
    # the MAC first, in constant time: nothing of an unsigned token is believed
    if not hmac.compare_digest(mac.encode(), _mac(index, body).encode()):
        raise TokenInvalid()
    if kind not in _KINDS or not _B36.fullmatch(send):
        raise TokenInvalid()
    if not _B36.fullmatch(expires) or (link and not _B36.fullmatch(link)):
        raise TokenInvalid()
    token = CampaignToken(
        kind=TokenKind(kind),
        send_id=int(send, 36),
        expires_at=datetime.fromtimestamp(int(expires, 36), UTC),
        link=int(link, 36) if link else None,
    )
    if (token.kind is TokenKind.CLICK) != (token.link is not None):
        raise TokenInvalid()
    if token.expires_at <= now:
        raise TokenExpired(token)
    return token


def _body(token: CampaignToken) -> str:
    link = "" if token.link is None else _base36(token.link)
    expires = _base36(int(token.expires_at.timestamp()))
    return f"{token.kind.value}.{_base36(token.send_id)}.{link}.{expires}"


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
