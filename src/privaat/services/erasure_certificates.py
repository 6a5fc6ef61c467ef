"""The erasure certificate (issue 15 item 6): a completed erasure request's receipt, signed.

    certificate(reference)  {"certificate": the receipt (per privaat table and per store
                             outside: deleted, masked, held until when and why, the data key
                             destroyed), "signature": Ed25519 over its canonical JSON,
                             "public_key", "algorithm"}
    verify(document)        offline, with nothing but the document (and, to be sure whose
                            key it is, the fingerprint the controller published:
                            ``render.consent_proof.fingerprint``, the same key as the
                            consent proof bundles)

The receipt is kept under the request's hold key, so it is read through the guard
(``rights_handling``); the signature and the public key are stored beside it.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from privaat.domain.activities import RIGHTS
from privaat.domain.principal import Principal
from privaat.services.errors import Conflict
from privaat.services.request_erasure import canonical
from privaat.services.subject_access import SubjectAccess
from privaat.services.subject_requests import SubjectRequests
from privaat.store.tables_rights import request_receipts
from privaat.store.tables_stores import erasure_certificates
from privaat.store.unit_of_work import UnitOfWork

__all__ = ["ALGORITHM", "ErasureCertificates", "verify"]

ALGORITHM = "Ed25519"


class ErasureCertificates:
    def __init__(self, *, access: SubjectAccess, requests: SubjectRequests) -> None:
        self._access, self._requests = access, requests

    def certificate(self, uow: UnitOfWork, staff: Principal, reference: str) -> dict[str, Any]:
        """The signed certificate of a completed erasure request; Conflict when it has none."""
        with uow.reading() as connection:
            row = self._requests.row_in(connection, reference)
            signed = connection.execute(
                select(erasure_certificates).where(erasure_certificates.c.request_id == row.id)
            ).first()
            receipt = connection.execute(
                select(request_receipts.c.document_enc).where(
                    request_receipts.c.request_id == row.id
                )
            ).scalar()
            if signed is None or receipt is None:
                raise Conflict(f"request {reference} has no erasure certificate")
            held = self._access.open_held(connection, staff, row.subject_id, RIGHTS)
            text = held.cipher.decrypt("request_receipts.document", receipt)
        return {
            "certificate": json.loads(text),
            "signature": signed.signature,
            "public_key": signed.public_key,
            "algorithm": ALGORITHM,
        }


def verify(document: Any) -> bool:
    """Whether the certificate's signature holds for its content under its public key."""
    if not isinstance(document, dict) or document.get("algorithm") != ALGORITHM:
        return False
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(document["public_key"]))
        signature = bytes.fromhex(document["signature"])
        content = canonical(document["certificate"]).encode()
        key.verify(signature, content)
    except (KeyError, TypeError, ValueError, InvalidSignature):
        return False
    return True
