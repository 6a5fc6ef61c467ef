"""A hosting customer's consent proof, per scope (issue 14 items 7 and 8; GDPR art. 7(1)).

    export(customer, start, end, out)
        ├── the signing key and the audit checkpoints: the provider's own (as ``consent_proofs``)
        ├── the notices: each category's request text, per language, of the scope's site file
        ├── the records: the scope's ledger rows of [start 00:00 UTC, end + 1 day 00:00 UTC),
        │   each subject admitted by the guard under ``consent_records`` once (access-logged,
        │   operation export); a record named by its pseudonym, never more
        ├── render.consent_proof.write: one bundle, signed; ``privaat consent verify`` checks it
        ▼
    the audit trail: which scope, which range, how many records, the manifest's SHA-256

A record of a text the site file no longer holds (a reworded category) is counted as
``untied`` in the signed manifest, so the verifier expects it rather than failing on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import IO, Any

from sqlalchemy import select

from privaat.domain.activities import CONSENT_RECORDS
from privaat.domain.clock import Clock
from privaat.domain.customer_sites import LANGUAGES
from privaat.domain.principal import Principal
from privaat.render import consent_proof
from privaat.render.consent_proof import Notice, ProofCheckpoint, ProofSummary
from privaat.services.errors import InvalidField
from privaat.services.site_registry import SiteRegistry
from privaat.services.subject_access import Operation, SubjectAccess
from privaat.store.audit import AuditTrail
from privaat.store.audit_checkpoints import AuditCheckpoints
from privaat.store.consent_proof_keys import ConsentProofKeys
from privaat.store.key_store import KeyStore
from privaat.store.tables import subjects
from privaat.store.tables_sites import site_consent_events
from privaat.store.unit_of_work import UnitOfWork

__all__ = ["SITE_RECORD_FORMAT", "SiteProofExport", "SiteProofs"]

SITE_RECORD_FORMAT = "privaat-site-consent-record/1"


@dataclass(frozen=True, slots=True)
class SiteProofExport:
    """What an export wrote, and what it left out."""

    summary: ProofSummary
    withheld: int  # records of visitors the guard refused under consent_records
    untied: int  # records of a request text the site file no longer holds


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


class SiteProofs:
    """Signed proof bundles of one customer's scope, read under ``consent_records``."""

    activities = frozenset({CONSENT_RECORDS})

    def __init__(
        self,
        *,
        access: SubjectAccess,
        keys: KeyStore,
        registry: SiteRegistry,
        provider: str,
        clock: Clock,
    ) -> None:
        self._access, self._registry, self._provider, self._clock = (
            access,
            registry,
            provider,
            clock,
        )
        self._keys = ConsentProofKeys(keys)
        self._checkpoints = AuditCheckpoints(keys)

    def export(
        self,
        uow: UnitOfWork,
        principal: Principal,
        customer: str,
        *,
        start: date,
        end: date,
        out: IO[bytes],
    ) -> SiteProofExport:
        """Write the bundle of the scope's records made from ``start`` to ``end`` (UTC days,
        both included); NoSuchSite for an unknown customer, InvalidField for an empty range."""
        if start > end:
            raise InvalidField(
                "from", f"{start.isoformat()} is after --to {end.isoformat()}: nothing between"
            )
        scope = self._registry.scope(uow, customer)
        low, high = _moment(start), _moment(end + timedelta(days=1))
        with uow.writing() as conn:
            key = self._keys.signing_key(conn, at=self._clock.now())
        notices = [
            Notice(category.id, lang, 1, category.request.in_language(lang), ())
            for category in scope.site.categories
            for lang in LANGUAGES
        ]
        tied = {(n.activity, n.sha256) for n in notices}
        records: list[dict[str, Any]] = []
        withheld = untied = 0
        with uow.reading() as conn:
            stored = self._checkpoints.all(conn)
            inside = [c for c in stored if low <= c.entry_at < high]
            after = next((c for c in stored if c.entry_at >= high), None)
            checkpoints = inside + ([after] if after is not None else [])
            rows = conn.execute(
                select(site_consent_events, subjects.c.pseudonym)
                .join(subjects, subjects.c.id == site_consent_events.c.subject_id)
                .where(
                    site_consent_events.c.scope_id == scope.id,
                    site_consent_events.c.at >= low,
                    site_consent_events.c.at < high,
                )
                .order_by(site_consent_events.c.id)
            ).all()
            admitted: dict[int, bool] = {}
            for row in rows:
                if row.subject_id not in admitted:
                    opened = self._access.open_if_allowed(
                        conn, principal, row.subject_id, CONSENT_RECORDS, operation=Operation.EXPORT
                    )
                    admitted[row.subject_id] = opened is not None
                if not admitted[row.subject_id]:
                    withheld += 1
                    continue
                if (row.category, row.text_sha256) not in tied:
                    untied += 1
                records.append(_record(row, customer=customer, controller=scope.site.name))
        extra = {"from": start.isoformat(), "to": end.isoformat(), "untied": untied}
        summary = consent_proof.write(
            out,
            header={
                "controller": scope.site.name,
                "processor": self._provider,
                "scope": customer,
                "from": start.isoformat(),
                "to": end.isoformat(),
                "time_basis": "UTC: from 00:00 of 'from' up to 24:00 of 'to'",
                "record_format": SITE_RECORD_FORMAT,
                "principal_ids": "pseudonyms of the site's visitors; nothing else names them",
            },
            notices=notices,
            checkpoints=[
                ProofCheckpoint(
                    seq=c.seq,
                    entry_hash=c.entry_hash,
                    entry_at=_iso(c.entry_at),
                    made_at=_iso(c.made_at),
                    hmac_sha256=c.signature,
                )
                for c in checkpoints
            ],
            records=records,
            key=key,
            manifest_extra=extra,
        )
        with uow.writing() as conn:
            AuditTrail.append(
                conn,
                at=self._clock.now(),
                actor=principal.actor,
                action="sites.proof_exported",
                subject_pseudonym=None,
                detail={
                    "customer": customer,
                    "from": start.isoformat(),
                    "to": end.isoformat(),
                    "records": summary.records,
                    "withheld": withheld,
                    "manifest_sha256": summary.manifest_sha256,
                },
            )
        return SiteProofExport(summary, withheld, untied)


def _record(row: Any, *, customer: str, controller: str) -> dict[str, Any]:
    """One ledger row as the bundle's record: what the verifier ties to its notice text."""
    if row.given:
        state = "given"
    else:
        state = "refused" if row.lang is not None else "withdrawn"  # a refusal names its text
    return {
        "ledger_id": row.id,
        "record_format": SITE_RECORD_FORMAT,
        "scope": customer,
        "controller": controller,
        "principal_id": row.pseudonym,
        "purposes": [{"purpose_id": row.category}],
        "notice": {
            "text_hash": {"algorithm": "SHA-256", "value": row.text_sha256},
            "language": row.lang,
        },
        "state": state,
        "at": _iso(row.at),
        "method": row.channel,
    }
