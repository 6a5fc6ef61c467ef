"""Answering an access or portability request: the ZIP, its download link, the receipt
(issue 11 item 4; GDPR art. 12(3), 15(3), 20; LEGAL L59, L61).

    answer(reference)  ── the request in progress (or extended), of kind access/portability
        ├── stream the subject's data (services.subject_export), then each store outside privaat
    │   (services.external_stores, as ``<store>/<table>``), portability: art. 20 only,
        │   into the ZIP (render.access_package.AccessZip), sealed in chunks under the data
        │   key as it is written (services.answer_files): memory flat in the rows
        ├── the summary in the requester's language, in the writing transaction
        ├── stored under the subject's data key, reached by a one-person link (7 days)
        ├── COMPLETED through the one status method; the audit entry names the ZIP's SHA-256
        └── the requester is mailed the link (the account's address, or the one they wrote from)
    download(token)     ── the ZIP, while the link lives; a forged or expired link: LinkInvalid

An erasure destroys the data key, and with it every answer still waiting (art. 17). A full
disk while the ZIP is written is StorageFull, nothing kept (issue 16 item 4).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from privaat.domain.activities import RIGHTS
from privaat.domain.clock import Clock
from privaat.domain.principal import Principal, SystemJob
from privaat.domain.request_tasks import Step
from privaat.domain.subject_requests import Action, RequestKind
from privaat.i18n import translations
from privaat.mail.request_letters import complaint
from privaat.mail.transport import OutgoingMail
from privaat.policy.schema import Policy
from privaat.policy.stores import StoresFile
from privaat.render.access_package import AccessZip, portable_parts
from privaat.render.redaction import ibans_in
from privaat.services.answer_files import SealedSpool, SealedWriter, read_sealed, store_sealed
from privaat.services.connectors import StoreError
from privaat.services.email_address import LinkInvalid
from privaat.services.errors import Conflict, StorageFull, no_space
from privaat.services.external_stores import ExternalStores, identity_of
from privaat.services.outbox import queue
from privaat.services.request_tasks import RequestTasks
from privaat.services.request_watchdog import record_store_failure
from privaat.services.subject_access import Operation, SubjectAccess
from privaat.services.subject_export import StreamedPart, SubjectExport
from privaat.services.subject_requests import SubjectRequests
from privaat.store.audit import AuditTrail
from privaat.store.key_store import KeyStore
from privaat.store.tables_requests import request_answers, subject_requests
from privaat.store.unit_of_work import UnitOfWork

__all__ = ["DOWNLOAD_LIFETIME", "Answer", "RequestAnswers"]

DOWNLOAD_LIFETIME = timedelta(days=7)  # L61: an expiring link
DOWNLOAD_HOLDER = SystemJob("answer-download")  # whoever holds the link acts through it
PURGE_JOB = SystemJob("answer-purge")
_DETAILS = "subject_requests.details"
_ANSWERABLE = frozenset({RequestKind.ACCESS, RequestKind.PORTABILITY})


@dataclass(frozen=True, slots=True)
class Answer:
    """A finished answer: where the requester downloads it, and the receipt's hash."""

    reference: str
    url: str
    sha256: str
    size: int


class RequestAnswers:
    """Builds, stores and hands over the answers to access and portability requests."""

    activities = frozenset({RIGHTS})

    def __init__(
        self,
        *,
        access: SubjectAccess,
        requests: SubjectRequests,
        policy: Policy,
        clock: Clock,
        base_url: str = "",
        stores: ExternalStores | None = None,
        tasks: RequestTasks | None = None,
        keys: KeyStore | None = None,
    ) -> None:
        self._access, self._requests, self._policy, self._clock = access, requests, policy, clock
        self._tasks = tasks
        self._stores = stores or ExternalStores(StoresFile(), policy)
        self._export = SubjectExport(
            access=access, mailboxes=[policy.privacy_contact.email], clock=clock, keys=keys
        )
        self._base_url = base_url.rstrip("/")

    def answer(self, uow: UnitOfWork, staff: Principal, reference: str) -> Answer:
        """Answer an access or portability request in progress, and mail its link; a store
        outside privaat that fails it is recorded for the watchdog (issue 15 item 7). No space
        left for the ZIP's temporary files (TMPDIR) is StorageFull: the request stays as it
        was, no answer, link or letter is stored, the temporary files are gone."""
        try:
            return self._answer(uow, staff, reference)
        except OSError as error:
            if no_space(error):
                raise StorageFull(f"the answer to {reference}") from None
            raise
        except StoreError as error:
            now = self._clock.now()
            record_store_failure(
                uow, self._access, staff, reference, error, operation="access", at=now
            )
            raise

    def _answer(self, uow: UnitOfWork, staff: Principal, reference: str) -> Answer:
        now = self._clock.now()
        with uow.reading() as connection:
            row = self._requests.row_in(connection, reference)
        kind = RequestKind(row.kind)
        if kind not in _ANSWERABLE:
            raise Conflict(f"a request for {kind.value} is not answered with a copy of the data")
        if self._tasks is not None:  # its manual tasks done, a second officer's approval
            self._tasks.before(uow, staff, reference, Step.ANSWER)
        # the data as it stands, read before the answer is written (art. 15(3): a copy),
        # streamed into the ZIP as it is read and sealed under the data key as it is written
        with uow.reading() as connection:
            stream = self._export.stream(connection, staff, row.subject_id)
            opened = stream.opened or self._access.open(
                connection, staff, row.subject_id, RIGHTS, operation=Operation.EXPORT
            )
            # the stores outside privaat, read before a byte is written: a store that fails
            # fails the answer (art. 15(3): a full copy), StoreUnavailable names it
            outside = self._stores.parts(identity_of(opened)) if self._stores else []
            # their IBANs in those stores are their own: the redaction keeps them (L62)
            read = [(part, list(part.rows)) for part in outside]
            stream.also_own(
                ibans=ibans_in(
                    value for _part, rows in read for row, _f in rows for value in row.values()
                )
            )
            outside = [StreamedPart(part.table, part.fields, iter(rows)) for part, rows in read]
            sealed = SealedWriter(opened.cipher)
            try:
                package = AccessZip(
                    sealed,
                    self._policy,
                    generated_at=now,
                    kind=kind.value,
                    spool=lambda: SealedSpool(opened.cipher),
                )
                parts: Iterator[StreamedPart] = itertools.chain(stream.parts, outside)
                if kind is RequestKind.PORTABILITY:
                    parts = portable_parts(parts, self._policy)
                package.add(parts)
            except BaseException:
                sealed.discard()
                raise
        try:
            return self._store(uow, staff, reference, now, package, sealed, stream.notes)
        finally:
            sealed.discard()

    def _store(
        self,
        uow: UnitOfWork,
        staff: Principal,
        reference: str,
        now: datetime,
        package: AccessZip,
        sealed: SealedWriter,
        notes: Mapping[str, str],
    ) -> Answer:
        with uow.writing() as connection:
            row = self._requests.row_in(connection, reference)  # again, under the write lock
            sending = self._access.open(
                connection, staff, row.subject_id, RIGHTS, operation=Operation.SEND
            )
            held = self._access.open_held(
                connection, staff, row.subject_id, RIGHTS, operation=Operation.READ
            )
            details = json.loads(held.cipher.decrypt(_DETAILS, row.details_enc))
            languages = self._policy.policy.languages
            lang = sending.record.get("language") or details.get("language") or languages[0]
            # the summary in the requester's language; the manifest, with what the redaction
            # says of a file (a muted channel, a mono recording to review: L62)
            package.finish(lang=lang, notes=notes)
            sealed.close()
            digest = sealed.sha256
            token = secrets.token_urlsafe(32)
            store_sealed(
                connection,
                sealed,
                request_id=row.id,
                subject_id=row.subject_id,
                token_hash=_hash(token),
                sha256=digest,
                created_at=now,
                expires_at=now + DOWNLOAD_LIFETIME,
            )
            self._requests.apply_in(connection, held, row, Action.COMPLETE, staff, now)
            # the completion receipt: which file answered which request (art. 5(2))
            AuditTrail.append(
                connection,
                at=now,
                actor=staff.actor,
                action="request.answered",
                subject_pseudonym=sending.pseudonym,
                detail={"reference": reference, "sha256": digest, "bytes": sealed.size},
            )
            url = f"{self._base_url}/requests/download?token={token}"
            to = details.get("email") or sending.decrypt(
                "accounts.email", sending.record.get("email_enc")
            )
            if to:
                queue(
                    connection,
                    sending,
                    template="request_answered",
                    mail=_answer_mail(self._policy, to=to, lang=lang, reference=reference, url=url),
                    at=now,
                )
        return Answer(reference, url, digest, sealed.size)

    def purge_expired(self, uow: UnitOfWork) -> int:
        """Delete the answers whose link has expired (issue 11 item 4: the file goes after its
        retention); the request and its receipt, the ZIP's SHA-256, stay. Returns how many."""
        now = self._clock.now()
        with uow.writing() as connection:
            gone = connection.execute(
                delete(request_answers)
                .where(request_answers.c.expires_at <= now)
                .returning(request_answers.c.id)
            ).all()
            if gone:
                AuditTrail.append(
                    connection,
                    at=now,
                    actor=PURGE_JOB.actor,
                    action="request.answers_purged",
                    subject_pseudonym=None,
                    detail={"answers": len(gone)},
                )
        return len(gone)

    def download(self, uow: UnitOfWork, token: str) -> tuple[str, bytes]:
        """The answer a link names, with its file name; LinkInvalid when unknown or expired."""
        name, chunks = self._download(uow, token)
        return name, b"".join(chunks)

    def download_chunks(self, uow: UnitOfWork, token: str) -> tuple[str, list[bytes]]:
        """Like ``download``, the file in its stored chunks (a response can send them one by
        one instead of joining them)."""
        return self._download(uow, token)

    def _download(self, uow: UnitOfWork, token: str) -> tuple[str, list[bytes]]:
        if not token or len(token) > 128:
            raise LinkInvalid()
        now = self._clock.now()
        with uow.writing() as connection:
            row = connection.execute(
                select(
                    request_answers.c.id,
                    request_answers.c.subject_id,
                    request_answers.c.expires_at,
                    subject_requests.c.reference,
                )
                .join(subject_requests, subject_requests.c.id == request_answers.c.request_id)
                .where(request_answers.c.token_hash == _hash(token))
            ).first()
            if row is None or row.expires_at <= now:
                raise LinkInvalid()
            opened = self._access.open(
                connection, DOWNLOAD_HOLDER, row.subject_id, RIGHTS, operation=Operation.EXPORT
            )
            chunks = list(read_sealed(connection, opened.cipher, row.id))
            connection.execute(
                update(request_answers)
                .where(request_answers.c.id == row.id)
                .values(downloaded_at=now)
            )
        return f"{row.reference}.zip", chunks


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _answer_mail(policy: Policy, *, to: str, lang: str, reference: str, url: str) -> OutgoingMail:
    _ = translations(lang).gettext
    body = "\n\n".join(
        (
            _("The answer to your request {reference} is ready.").format(reference=reference),
            _("Download it with this link. It works for {days} days:").format(
                days=DOWNLOAD_LIFETIME.days
            )
            + f"\n{url}",
            _(
                "The file holds your data as JSON and CSV, and a summary that explains why we "
                "hold it, who receives it and how long we keep it."
            ),
            complaint(policy, lang),  # item 9: every answer names the authority
            policy.controller.name,
        )
    )
    subject = _("Your privacy request {reference}: the answer").format(reference=reference)
    return OutgoingMail(to=to, subject=subject, body=body)
