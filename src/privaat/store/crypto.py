"""The one module that encrypts: master key wrapping, per-subject field ciphers, blind indexes.

No I/O here (``privaat.store.key_store`` reads and writes the key tables). Every primitive comes
from ``cryptography``: AES-256-GCM for confidentiality and integrity, HMAC-SHA256 for keyed
hashes, HKDF to derive one sub-key per blind-index kind. GDPR art. 32(1)(a), LEGAL L76.

Errors::

    CryptoError
    ├── InvalidKeyMaterial   a key of the wrong length or encoding (also a ValueError)
    ├── KeyUnwrapError       a wrapped key that this master key did not wrap for this context
    └── DecryptionError      a field ciphertext under another key, another field, or tampered

Ciphertext format (both wrapped keys and fields)::

    1 byte version (0x01) | 12 bytes random nonce | ciphertext | 16 bytes GCM tag

A random 96-bit nonce per message is safe for far more than the 2^32 messages per key that
NIST SP 800-38D §8.3 allows: a data key encrypts one person's fields, not the world's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hmac import HMAC
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "KEY_BYTES",
    "BlindIndex",
    "CryptoError",
    "DecryptionError",
    "InvalidKeyMaterial",
    "KeyUnwrapError",
    "MasterKey",
    "SubjectCipher",
    "new_data_key",
]

KEY_BYTES = 32  # AES-256 and HMAC-SHA256 keys alike
_VERSION_NUMBER = 1
_VERSION = bytes([_VERSION_NUMBER])
_NONCE_BYTES = 12  # 96 bits: GCM's native nonce size, NIST SP 800-38D §5.2.1.1
_TAG_BYTES = 16
_OVERHEAD = 1 + _NONCE_BYTES + _TAG_BYTES
# domain labels: the same bytes under one key never mean two different things
_MASTER_ID_LABEL = b"privaat/master-key-id/v1\x00"
_WRAP_LABEL = b"privaat/wrap/v1\x00"
_BLIND_INDEX_SALT = b"privaat/blind-index/v1"
_KIND = re.compile(r"[a-z][a-z0-9_.-]{0,63}")


class CryptoError(Exception):
    """Something about keys or ciphertexts is wrong; the message says what, never the key."""


class InvalidKeyMaterial(CryptoError, ValueError):
    """Key bytes or their text form have the wrong length or encoding."""


class KeyUnwrapError(CryptoError):
    """A wrapped key does not open under this master key and context."""


class DecryptionError(CryptoError):
    """A field ciphertext does not open: another key, another field, or tampered bytes."""


def new_data_key() -> bytes:
    """Fresh random key bytes from the operating system's CSPRNG."""
    return os.urandom(KEY_BYTES)


def _check_key(key: bytes, what: str) -> bytes:
    if not isinstance(key, bytes | bytearray) or len(key) != KEY_BYTES:
        size = len(key) if isinstance(key, bytes | bytearray) else type(key).__name__
        raise InvalidKeyMaterial(f"{what} must be {KEY_BYTES} bytes, got {size}")
    return bytes(key)


class MasterKey:
    """The operator's key that wraps every data key; it never touches personal data itself."""

    __slots__ = ("_aead", "_key", "id")

    def __init__(self, key: bytes) -> None:
        self._key = _check_key(key, "a master key")
        self._aead = AESGCM(self._key)
        # an identifier safe to store beside every wrapped key: rotation finds rows by it
        self.id = hashlib.sha256(_MASTER_ID_LABEL + self._key).hexdigest()[:16]

    @classmethod
    def generate(cls) -> MasterKey:
        return cls(new_data_key())

    @classmethod
    def from_base64(cls, text: str) -> MasterKey:
        """Parse the configured text form (standard base64 of 32 bytes, whitespace ignored)."""
        compact = "".join(text.split())
        if not compact:
            raise InvalidKeyMaterial("the master key is empty")
        try:
            raw = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError) as error:
            raise InvalidKeyMaterial(
                "the master key is not valid base64 (generate one with `privaat keys generate`)"
            ) from error
        return cls(raw)

    def to_base64(self) -> str:
        return base64.b64encode(self._key).decode("ascii")

    def wrap(self, data_key: bytes, *, context: bytes) -> bytes:
        """Encrypt ``data_key`` bound to ``context``: it opens for that context only."""
        nonce = os.urandom(_NONCE_BYTES)
        plaintext = _check_key(data_key, "a data key")
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext, _WRAP_LABEL + context)

    def unwrap(self, blob: bytes, *, context: bytes) -> bytes:
        if len(blob) != _OVERHEAD + KEY_BYTES or blob[0] != _VERSION_NUMBER:
            raise KeyUnwrapError(f"not a wrapped key of this format ({len(blob)} bytes)")
        try:
            return self._aead.decrypt(blob[1:13], blob[13:], _WRAP_LABEL + context)
        except InvalidTag as error:
            raise KeyUnwrapError(
                f"master key {self.id} did not wrap this key for this context"
            ) from error

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MasterKey) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:  # never the key bytes, also not in tracebacks
        return f"MasterKey(id={self.id!r})"


class SubjectCipher:
    """Encrypts one subject's fields under their data key, each bound to its column name."""

    __slots__ = ("_aead",)

    def __init__(self, data_key: bytes) -> None:
        self._aead = AESGCM(_check_key(data_key, "a data key"))

    # encrypt/decrypt repeat the few lines of their _bytes twins instead of calling them: one
    # Python call more is a measurable share of a ~1 µs decrypt on the hot read path (W1, W6)

    def encrypt_bytes(self, field: str, value: bytes) -> bytes:
        # the field name (e.g. "accounts.email") is associated data: a ciphertext copied
        # into another column fails to decrypt instead of showing up as that column's value
        nonce = os.urandom(_NONCE_BYTES)
        return _VERSION + nonce + self._aead.encrypt(nonce, value, field.encode())

    def decrypt_bytes(self, field: str, blob: bytes) -> bytes:
        if len(blob) < _OVERHEAD or blob[0] != _VERSION_NUMBER:
            raise DecryptionError(f"{field}: not a ciphertext of this format")
        try:
            return self._aead.decrypt(blob[1:13], blob[13:], field.encode())
        except InvalidTag:
            raise DecryptionError(
                f"{field}: wrong key, wrong field or tampered ciphertext"
            ) from None

    def encrypt(self, field: str, value: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return _VERSION + nonce + self._aead.encrypt(nonce, value.encode(), field.encode())

    def decrypt(self, field: str, blob: bytes) -> str:
        if len(blob) < _OVERHEAD or blob[0] != _VERSION_NUMBER:
            raise DecryptionError(f"{field}: not a ciphertext of this format")
        try:
            return self._aead.decrypt(blob[1:13], blob[13:], field.encode()).decode()
        except InvalidTag:
            raise DecryptionError(
                f"{field}: wrong key, wrong field or tampered ciphertext"
            ) from None

    def encrypt_optional(self, field: str, value: str | None) -> bytes | None:
        """Like ``encrypt``, for a nullable column: None stays None."""
        return None if value is None else self.encrypt(field, value)

    def decrypt_optional(self, field: str, blob: bytes | None) -> str | None:
        """Like ``decrypt``, for a nullable column: None stays None."""
        return None if blob is None else self.decrypt(field, blob)

    def __repr__(self) -> str:
        return "SubjectCipher(<data key hidden>)"


class BlindIndex:
    """Keyed hashes for equality look-ups and counting without storing the value in clear."""

    __slots__ = ("_index_key", "_per_kind")

    def __init__(self, index_key: bytes) -> None:
        self._index_key = _check_key(index_key, "a blind-index key")
        self._per_kind: dict[str, HMAC] = {}

    def email(self, address: str) -> bytes:
        """The look-up key of an e-mail address, equal for any spelling in upper/lower case."""
        # RFC 5321 §2.4 lets a server treat the local part case-sensitively, but no mail
        # provider our customers use does, and people type their address in any case at log-in:
        # a case-sensitive index would lock them out or let one mailbox own two accounts.
        return self.value("email", address.strip().lower())

    def value(self, kind: str, text: str) -> bytes:
        """HMAC-SHA256 of ``text`` under a sub-key of its own for ``kind`` (e.g. "ip")."""
        template = self._per_kind.get(kind)
        if template is None:
            template = self._template(kind)
        mac = template.copy()  # copying a keyed HMAC is ~3x cheaper than keying a new one
        mac.update(text.encode())
        return mac.finalize()

    def _template(self, kind: str) -> HMAC:
        if not _KIND.fullmatch(kind):
            raise ValueError(f"blind-index kind {kind!r} must match {_KIND.pattern}")
        # domain separation: one HKDF sub-key per kind (RFC 5869 §3.2, "info"), so an IP
        # hash can never equal an e-mail hash of the same text
        sub_key = HKDF(
            algorithm=hashes.SHA256(),
            length=KEY_BYTES,
            salt=_BLIND_INDEX_SALT,
            info=kind.encode(),
        ).derive(self._index_key)
        template = HMAC(sub_key, hashes.SHA256())
        self._per_kind[kind] = template
        return template

    def __repr__(self) -> str:
        return "BlindIndex(<index key hidden>)"
