"""Consent proof bundles for a regulator (issue 14 item 8; GDPR art. 7(1), 5(2); L7, L86).

    export(uow, principal, start, end, out)
        ├── the signing key: read, or made on first use (``store.consent_proof_keys``)
        ├── the notices: every consent text of every archived policy version, per language
        ├── the checkpoints: the signed audit checkpoints of the range and the first after it
        ├── the records: the ledger rows of [start 00:00 UTC, end + 1 day 00:00 UTC), in
        │   ledger order, read in one streamed statement; each subject admitted by the guard
        │   under ``consent_records`` once (access-logged, operation export), each record
        │   rendered as an ISO/IEC TS 27560 record under the policy version it was made in
        ├── render.consent_proof.write: the bundle, signed
        ▼
    the audit trail: who exported which range, how many records, the manifest's SHA-256

The records name the subject by pseudonym, never by e-mail or name, and carry no evidence
(the truncated IP and user agent stay encrypted in the ledger): docs/consent-proof.md.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import IO, Any

from sqlalchemy import Connection, func, select

from privaat.domain.activities import CONSENT_RECORDS
from privaat.domain.clock import Clock
from privaat.domain.consent_ledger import Stage
from privaat.domain.principal import Principal
from privaat.domain.subject import SubjectState
from privaat.policy.schema import Policy
from privaat.render import consent_proof
from privaat.render.consent_proof import Notice, ProofCheckpoint, ProofSummary
from privaat.services.access_log import AccessLog
from privaat.services.consent_receipts import ISO_27560_VERSION, iso_27560
from privaat.services.consents import ConsentMethod, ConsentRecord
from privaat.services.errors import Conflict, InvalidField
from privaat.services.policy_versions import PolicyVersions, StoredVersion, canonical_text
from privaat.services.subject_access import Operation, SubjectAccess
from privaat.services.subject_state import scoped_restrictions, state_from_row
from privaat.store.audit import AuditTrail
from privaat.store.audit_checkpoints import AuditCheckpoints, Checkpoint
from privaat.store.consent_proof_keys import ConsentProofKeys
from privaat.store.key_store import KeyStore
from privaat.store.tables import accounts, consent_events, subjects
from privaat.store.unit_of_work import UnitOfWork

__all__ = ["ConsentProofs", "ProofExport"]

CHUNK = 1_000  # rows per streamed partition: one guard batch, one access-log flush
LOG_BATCH = 5_000


@dataclass(frozen=True, slots=True)
class ProofExport:
    """What an export wrote: the bundle's summary and what it left out, and why."""

    summary: ProofSummary
    withheld: int  # records of subjects the guard refused under consent_records
    uncovered: int  # records later than the newest checkpoint in the bundle
    untied: int  # records naming a notice text the archive does not hold


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _iso(at: datetime) -> str:
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return at.isoformat(timespec="microseconds")


def _checkpoint(checkpoint: Checkpoint) -> ProofCheckpoint:
    return ProofCheckpoint(
        seq=checkpoint.seq,
        entry_hash=checkpoint.entry_hash,
        entry_at=_iso(checkpoint.entry_at),
        made_at=_iso(checkpoint.made_at),
        hmac_sha256=checkpoint.signature,
    )


_ROWS = (
    select(
        consent_events.c.id,
        consent_events.c.subject_id,
        consent_events.c.activity,
        consent_events.c.given,
        consent_events.c.consent_version,
        consent_events.c.text_sha256,
        consent_events.c.policy_version,
        consent_events.c.lang,
        consent_events.c.channel,
        consent_events.c.at,
        consent_events.c.expires_at,
        consent_events.c.stage,
        subjects.c.pseudonym,
        subjects.c.minor,
        subjects.c.restricted,
        subjects.c.restriction_scoped,
        subjects.c.legal_hold,
        accounts.c.status,
    )
    .select_from(consent_events)
    .join(subjects, subjects.c.id == consent_events.c.subject_id)
    .outerjoin(accounts, accounts.c.subject_id == subjects.c.id)
    .order_by(consent_events.c.id)
)


class ConsentProofs:
    """Writes signed consent proof bundles of a date range, read under ``consent_records``."""

    activities = frozenset({CONSENT_RECORDS})

    def __init__(
        self,
        *,
        access: SubjectAccess,
        access_log: AccessLog,
        keys: KeyStore,
        policy: Policy,
        versions: PolicyVersions,
        clock: Clock,
        base_url: str = "",
    ) -> None:
        self._access, self._log, self._policy = access, access_log, policy
        self._versions, self._clock = versions, clock
        self._keys = ConsentProofKeys(keys)
        self._checkpoints = AuditCheckpoints(keys)
        self._base_url = base_url.rstrip("/")
        self._describing: dict[tuple[int, str], Policy | None] = {}

    def public_key(self, uow: UnitOfWork) -> bytes:
        """The raw Ed25519 public key bundles are signed with (made on first use)."""
        with uow.writing() as conn:
            key = self._keys.signing_key(conn, at=self._clock.now())
        return key.public_key().public_bytes_raw()

    def export(
        self,
        uow: UnitOfWork,
        principal: Principal,
        *,
        start: date,
        end: date,
        out: IO[bytes],
        progress: Callable[[int], None] | None = None,
        total: Callable[[int], None] | None = None,
    ) -> ProofExport:
        """Write the bundle of the records made from ``start`` to ``end`` (UTC days, both
        included) to ``out``; InvalidField("from") when ``start`` is after ``end``."""
        if start > end:
            raise InvalidField(
                "from", f"{start.isoformat()} is after --to {end.isoformat()}: nothing between"
            )
        low, high = _moment(start), _moment(end + timedelta(days=1))
        with uow.writing() as conn:
            key = self._keys.signing_key(conn, at=self._clock.now())
        stored = self._versions.all()
        policies = self._archived_policies(stored)
        self._describing = {}  # per export: the archive may have grown since the last
        notices = _notices(stored, self._policy)
        tied = {(n.activity, n.sha256) for n in notices}
        extra: dict[str, Any] = {"from": start.isoformat(), "to": end.isoformat()}
        with uow.reading() as conn:
            checkpoints = self._covering(conn, low, high)
            newest = checkpoints[-1].entry_at if checkpoints else None
            if total is not None:
                total(self._count(conn, low, high))
            records = self._records(conn, principal, low, high, policies, newest, tied, extra)
            try:
                summary = consent_proof.write(
                    out,
                    header={
                        "controller": self._policy.controller.name,
                        "policy_id": self._policy.policy.id,
                        "from": start.isoformat(),
                        "to": end.isoformat(),
                        "time_basis": "UTC: from 00:00 of 'from' up to 24:00 of 'to'",
                        "record_format": ISO_27560_VERSION,
                        "principal_ids": "pseudonyms; no e-mail address or name is in this file",
                    },
                    notices=notices,
                    checkpoints=[_checkpoint(c) for c in checkpoints],
                    records=records,
                    key=key,
                    manifest_extra=extra,  # read after the records: the counts are filled in
                    progress=progress,
                )
            finally:
                records.close()
        self._log.flush(batch_size=LOG_BATCH)  # a bulk export: logged before it is handed on
        with uow.writing() as conn:
            AuditTrail.append(
                conn,
                at=self._clock.now(),
                actor=principal.actor,
                action="consent.proof_exported",
                subject_pseudonym=None,
                detail={
                    "from": start.isoformat(),
                    "to": end.isoformat(),
                    "records": summary.records,
                    "withheld": extra["withheld"],
                    "manifest_sha256": summary.manifest_sha256,
                },
            )
        return ProofExport(summary, extra["withheld"], extra["uncovered"], extra["untied"])

    # --- the steps ---------------------------------------------------------------------

    def _archived_policies(self, versions: list[StoredVersion]) -> dict[int, Policy]:
        """Every archived version that still loads, by number; the running one always."""
        loaded: dict[int, Policy] = {}
        for stored in versions:
            policy = self._versions.policy(stored)
            if policy is not None:
                loaded[stored.number] = policy
        loaded.setdefault(self._policy.policy.version, self._policy)
        return loaded

    def _covering(self, conn: Connection, low: datetime, high: datetime) -> list[Checkpoint]:
        # the checkpoints inside the range and the first after it, which covers every record
        stored = self._checkpoints.all(conn)
        inside = [c for c in stored if low <= c.entry_at < high]
        after = next((c for c in stored if c.entry_at >= high), None)
        return inside + ([after] if after is not None else [])

    @staticmethod
    def _count(conn: Connection, low: datetime, high: datetime) -> int:
        return int(
            conn.execute(
                select(func.count())
                .select_from(consent_events)
                .where(consent_events.c.at >= low, consent_events.c.at < high)
            ).scalar_one()
        )

    def _records(
        self,
        conn: Connection,
        principal: Principal,
        low: datetime,
        high: datetime,
        policies: dict[int, Policy],
        newest_checkpoint: datetime | None,
        tied: set[tuple[str, str]],
        extra: dict[str, Any],
    ) -> Generator[dict[str, object], None, None]:
        # withheld: refused by the guard; uncovered: later than the newest checkpoint;
        # untied: naming a text no archived version holds (stated, so verify expects them)
        extra["withheld"], extra["uncovered"], extra["untied"] = 0, 0, 0
        admitted: dict[int, bool] = {}  # subject id → the guard's answer, asked once
        # a statement option, not the connection's: only this read streams (server-side
        # cursor on PostgreSQL), one partition of CHUNK rows in memory at a time
        result = conn.execute(
            _ROWS.where(consent_events.c.at >= low, consent_events.c.at < high).execution_options(
                yield_per=CHUNK
            )
        )
        try:
            for rows in result.partitions():
                self._admit(conn, principal, rows, admitted)
                for row in rows:
                    if not admitted[row.subject_id]:
                        extra["withheld"] += 1
                        continue
                    if newest_checkpoint is None or row.at > newest_checkpoint:
                        extra["uncovered"] += 1
                    if (row.activity, row.text_sha256) not in tied:
                        extra["untied"] += 1
                    yield self._render(row, policies)
                self._log.flush(batch_size=LOG_BATCH)  # the log's buffer is bounded
        finally:
            result.close()  # a failed export closes its server-side cursor at once

    def _admit(
        self, conn: Connection, principal: Principal, rows: Any, admitted: dict[int, bool]
    ) -> None:
        fresh: dict[int, Any] = {}
        for row in rows:
            if row.subject_id not in admitted:
                fresh.setdefault(row.subject_id, row)
        if not fresh:
            return
        scoped = scoped_restrictions(
            conn, [i for i, row in fresh.items() if row.restriction_scoped]
        )
        candidates = [
            (subject_id, row.pseudonym, _state(row._mapping, scoped.get(subject_id)))
            for subject_id, row in fresh.items()
        ]
        allowed = set(
            self._access.admit(principal, CONSENT_RECORDS, candidates, operation=Operation.EXPORT)
        )
        for subject_id in fresh:
            admitted[subject_id] = subject_id in allowed

    def _render(self, row: Any, policies: dict[int, Policy]) -> dict[str, object]:
        try:
            method = ConsentMethod(row.channel)
        except ValueError:
            raise Conflict(
                f"ledger record {row.id}: its method '{row.channel}' is not one this version "
                "knows, so it cannot be described as an ISO 27560 record"
            ) from None
        record = ConsentRecord(
            id=row.id,
            activity=row.activity,
            given=bool(row.given),
            at=row.at,
            method=method,
            # rows from before migration 0005 sealed these with their evidence: version 0
            policy_version=row.policy_version or 0,
            consent_version=row.consent_version,
            text_sha256=row.text_sha256,
            lang=row.lang,
            expires_at=row.expires_at,
            stage=None if row.stage is None else Stage(row.stage),
        )
        key = (record.policy_version, record.activity)
        if key not in self._describing:  # a handful of pairs across a million records
            self._describing[key] = _describing(policies, *key)
        policy = self._describing[key]
        if policy is None:
            raise Conflict(
                f"ledger record {record.id}: no archived policy version declares "
                f"'{record.activity}', so it cannot be described as an ISO 27560 record"
            )
        try:
            return iso_27560(
                record, policy=policy, principal_id=row.pseudonym, base_url=self._base_url
            )
        except KeyError:  # a method the receipts have no wording for yet
            raise Conflict(
                f"ledger record {record.id}: its method '{record.method.value}' has no ISO "
                "27560 wording (services.consent_receipts), so it cannot be described"
            ) from None


def _describing(policies: dict[int, Policy], version: int, activity: str) -> Policy | None:
    """The version the record was made under, else the newest that declares the activity."""
    order = [version] if version in policies else []
    order += sorted((v for v in policies if v != version), reverse=True)
    for number in order:
        try:
            policies[number].activity(activity)
        except KeyError:
            continue
        return policies[number]
    return None


def _notices(stored: list[StoredVersion], running: Policy) -> list[Notice]:
    """Each consent text of each archived version, per language, once per (activity, text).

    Read from the archived JSON itself, not through the policy schema, so a version that no
    longer loads as a Policy still gives the texts its people were shown."""
    versions = [(v.number, v.sha256, _json(v.text)) for v in stored]
    if running.policy.version not in {v.number for v in stored}:
        text = canonical_text(running)
        versions.append((running.policy.version, _sha256(text), _json(text)))
    found: dict[tuple[str, str, str], tuple[int, list[tuple[int, str]]]] = {}
    for number, digest, document in sorted(versions, key=lambda v: v[0]):
        for activity in document.get("activities") or ():
            consent = activity.get("consent") if isinstance(activity, dict) else None
            if not isinstance(consent, dict) or not isinstance(consent.get("request"), dict):
                continue
            for language, text in sorted(consent["request"].items()):
                if not isinstance(text, str):
                    continue
                key = (str(activity.get("id")), language, text)
                entry = found.setdefault(key, (int(consent.get("version") or 1), []))
                entry[1].append((number, digest))
    return [
        Notice(activity, language, version, text, tuple(versions))
        for (activity, language, text), (version, versions) in found.items()
    ]


def _json(text: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _state(row: Any, scoped: tuple[frozenset[str], frozenset[str]] | None) -> SubjectState:
    acts, cats = scoped or (frozenset(), frozenset())
    return state_from_row(row, restricted_activities=acts, restricted_categories=cats)
