"""Masking what must stay (issue 15 item 2; GDPR art. 17(3)(b), LEGAL L34): the value a field
of a held row becomes once its person is erased.

    null               None
    keyed_hash         "h:" + the first 32 hex digits of HMAC-SHA256(field, value): equal
                       values stay equal (the accounts can still be grouped), unreadable
                       without privaat's key
    random             random letters and digits, the value's length
    format_preserving  an IBAN stays a valid IBAN (its country, length and bank code kept,
                       the account number replaced, the check digits recomputed); an e-mail
                       address stays an address (at example.invalid, RFC 2606); any other
                       text keeps its shape: digits stay digits, letters letters, the rest
    keep               the value (an amount, a date: the accounts must still add up)

Keyed and format-preserving masks are deterministic for a field and value (the same IBAN
masks to the same IBAN), so a masked ledger still reconciles; the key is a callable (the
blind index's HMAC under a sub-key of its own), so this module holds no key. Pure.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from typing import Any

from stdnum import iban as iban_number
from stdnum.exceptions import ValidationError as NumberInvalid

from privaat.policy.stores import Mask

__all__ = ["Keyed", "mask_value"]

Keyed = Callable[[str], bytes]  # HMAC of a text under privaat's masking key
_ALPHABET = string.ascii_uppercase + string.digits


def mask_value(mask: Mask, value: Any, *, field: str, keyed: Keyed) -> Any:
    """``value`` masked as ``mask`` says; ``field`` ("store.table.column") separates the
    keyed masks of different fields, so one field's mask says nothing of another's."""
    if value is None or mask is Mask.KEEP:
        return value
    if mask is Mask.NULL:
        return None
    text = str(value)
    if mask is Mask.RANDOM:
        return "".join(secrets.choice(_ALPHABET) for _ in text) or None
    if mask is Mask.KEYED_HASH:
        return "h:" + _Stream(keyed, f"{field}\x00{text}").digest().hex()[:32]
    compact = iban_number.compact(text) if len(text) <= 42 else ""
    if compact and _is_iban(compact):  # one account, however it is spaced: one mask
        stream = _Stream(keyed, f"{field}\x00{compact}")
        return _masked_iban(compact, stream, spaced=" " in text.strip())
    return _format_preserving(text, _Stream(keyed, f"{field}\x00{text}"))


class _Stream:
    """Deterministic choices drawn from HMAC(field, value, counter)."""

    def __init__(self, keyed: Keyed, seed: str) -> None:
        self._keyed, self._seed, self._pool, self._counter = keyed, seed, b"", 0

    def digest(self) -> bytes:
        return self._keyed(self._seed)

    def below(self, n: int) -> int:
        while True:
            if not self._pool:
                self._counter += 1
                self._pool = self._keyed(f"{self._seed}\x00{self._counter}")
            byte, self._pool = self._pool[0], self._pool[1:]
            if byte < 256 - 256 % n:  # no modulo bias
                return byte % n


def _format_preserving(text: str, stream: _Stream) -> str:
    local, at, domain = text.partition("@")
    if at and local and "." in domain:
        return _shaped(local, stream).lower() + "@example.invalid"
    return _shaped(text, stream)


def _is_iban(compact: str) -> bool:
    try:
        iban_number.validate(compact)
    except NumberInvalid:
        return False
    return True


def _masked_iban(compact: str, stream: _Stream, *, spaced: bool) -> str:
    country, bban = compact[:2], compact[4:]
    # the bank code (the letters a Dutch BBAN starts with) stays: it names a bank, not a
    # person; the account number is replaced digit by digit
    masked = "".join(str(stream.below(10)) if ch.isdigit() else ch for ch in bban)
    body = country + "00" + masked
    result = country + iban_number.calc_check_digits(body) + masked
    if spaced:
        return " ".join(result[i : i + 4] for i in range(0, len(result), 4))
    return result


def _shaped(text: str, stream: _Stream) -> str:
    out = []
    for ch in text:
        if ch.isdigit():
            out.append(str(stream.below(10)))
        elif ch.isalpha():
            letter = string.ascii_lowercase[stream.below(26)]
            out.append(letter.upper() if ch.isupper() else letter)
        else:
            out.append(ch)
    return "".join(out)
