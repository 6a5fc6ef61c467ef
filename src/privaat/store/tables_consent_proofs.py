"""The consent proof signing key (issue 14 item 8).

``consent_proof_keys``: the Ed25519 key that signs consent proof bundles. Its private half
is encrypted under the system key ``consent-proof`` (wrapped by the master key like every
key, so ``keys rotate`` re-wraps it and the public key stays the same); its public half is
what a regulator compares with the fingerprint the provider publishes. It names no subject.
"""

from __future__ import annotations

from sqlalchemy import Integer, LargeBinary, String, Table

from privaat.store.registry import Unlinked, technical
from privaat.store.tables import UTC_TIME, metadata

__all__ = ["consent_proof_keys"]

consent_proof_keys = Table(
    "consent_proof_keys",
    metadata,
    technical("id", Integer, primary_key=True),
    technical("created_at", UTC_TIME, nullable=False),
    technical("public_key", String(64), nullable=False, unique=True),  # raw, hex
    # AES-GCM under the system key; not "_enc": that suffix marks a subject's personal data
    technical("sealed_private_key", LargeBinary, nullable=False),
    info={"subject": Unlinked("a signing key belongs to no subject")},
)
