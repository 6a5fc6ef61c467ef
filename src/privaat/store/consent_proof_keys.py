"""The Ed25519 key that signs consent proof bundles (issue 14 item 8).

A regulator checks a bundle with the public key alone, offline; the private key never
leaves the database unencrypted: it is stored AES-GCM-encrypted under the system key
``consent-proof``, which the master key wraps (``KeyStore.system_cipher``), as the audit
checkpoint key is. A copy of the database alone cannot sign a bundle, and ``keys rotate``
re-wraps the system key without changing the public key a regulator was given.
"""

from __future__ import annotations

from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from sqlalchemy import Connection, insert, select

from privaat.store.key_store import KeyStore
from privaat.store.tables_consent_proofs import consent_proof_keys

__all__ = ["PROOF_KEY", "ConsentProofKeys"]

PROOF_KEY = "consent-proof"  # the system key's name in system_keys
_FIELD = "consent_proof_keys.sealed_private_key"  # what the ciphertext is bound to


class ConsentProofKeys:
    """Reads, and on first use makes, the signing key, inside the caller's transaction."""

    def __init__(self, keys: KeyStore) -> None:
        self._keys = keys

    def public_key(self, conn: Connection) -> bytes | None:
        """The raw public key of the newest signing key, None before the first bundle."""
        row = conn.execute(
            select(consent_proof_keys.c.public_key)
            .order_by(consent_proof_keys.c.id.desc())
            .limit(1)
        ).first()
        return None if row is None else bytes.fromhex(row.public_key)

    def signing_key(self, conn: Connection, *, at: datetime) -> Ed25519PrivateKey:
        """The newest signing key; made and stored (in a writing transaction) when none is."""
        cipher = self._keys.system_cipher(conn, PROOF_KEY)
        row = conn.execute(
            select(consent_proof_keys.c.sealed_private_key)
            .order_by(consent_proof_keys.c.id.desc())
            .limit(1)
        ).first()
        if row is not None:
            seed = bytes.fromhex(cipher.decrypt(_FIELD, row.sealed_private_key))
            return Ed25519PrivateKey.from_private_bytes(seed)
        key = Ed25519PrivateKey.generate()
        seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        conn.execute(
            insert(consent_proof_keys).values(
                created_at=at,
                public_key=public.hex(),
                sealed_private_key=cipher.encrypt(_FIELD, seed.hex()),
            )
        )
        return key
