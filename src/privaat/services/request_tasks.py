"""Manual tasks and four-eyes approval of data-subject requests (issue 15 items 3 and 4).

    request started ──▶ one task per manual system of its kind (stores file ``manual:``),
                        if its condition holds; a processor's task mails a single-use link
    task done / waived ──▶ the request may complete once none is open (the one gate in
                           SubjectRequests.apply_in, and before an erasure or an answer)
    erase / answer ──▶ under PRIVAAT_FOUR_EYES: the first officer's attempt asks, a second
                       officer approves, then the step runs

The rules are domain.request_tasks; this module stores and audits them.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import Connection, exists, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from privaat.domain.activities import RIGHTS
from privaat.domain.clock import Clock
from privaat.domain.principal import Principal, StaffMember, StaffRole, SystemJob
from privaat.domain.processor_events import SIGNATURE_HEADER, sign
from privaat.domain.request_tasks import (
    Evidence,
    EvidenceMissing,
    FourEyes,
    SameOfficer,
    Step,
    TaskDone,
    TaskStatus,
    check_evidence,
    task_due,
    waiver_reason,
)
from privaat.domain.subject_requests import RequestKind, RequestStatus, SubjectRequest
from privaat.mail.processor_letters import task_letter
from privaat.policy.schema import Policy, Text
from privaat.policy.stores import ManualSystem, StoresFile
from privaat.services.errors import Conflict, InvalidField, NotPermitted, ServiceError
from privaat.services.opendsr_delivery import CallbackRefused, exchange
from privaat.services.outbox import queue
from privaat.services.processor_notices import MIN_SECRET_BYTES
from privaat.services.subject_access import Operation, SubjectAccess
from privaat.services.subject_requests import RequestNotFound
from privaat.settings import Mode
from privaat.store.audit import AuditTrail
from privaat.store.registry import personal_columns, subject_tables
from privaat.store.tables import metadata, subjects
from privaat.store.tables_calls import call_recording_segments
from privaat.store.tables_requests import subject_requests
from privaat.store.tables_tasks import request_approvals, request_tasks
from privaat.store.unit_of_work import UnitOfWork

_DETAILS = "subject_requests.details"  # as services.subject_requests binds them

__all__ = [
    "ApprovalDenied",
    "ApprovalPending",
    "PreApprovalWebhook",
    "LinkSpent",
    "RequestTasks",
    "RoleTask",
    "TaskView",
    "TasksOpen",
]

# an external processor's link: long enough for a few days' work, spent when used
LINK_DAYS = 14
# what an evidence file may be: a scan, a screenshot, a letter, an export (size in bytes)
MAX_FILE_BYTES = 5 * 1024 * 1024
FILE_TYPES = {
    "application/pdf": b"%PDF-",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
    "text/plain": b"",
    "text/csv": b"",
}


class ApprovalPending(Conflict):
    """The step waits for a second privacy officer (four-eyes); it was asked for now or
    before, and nothing was done."""

    def __init__(self, reference: str, step: Step) -> None:
        super().__init__(
            f"request {reference}: the {step.value} step waits for a second privacy officer's "
            "approval (four-eyes); nothing was done"
        )
        self.reference, self.step = reference, step


class TasksOpen(Conflict):
    """A request whose manual tasks are not all done or waived: it cannot complete, and its
    erasure or answer does not start."""

    def __init__(self, reference: str, systems: list[str]) -> None:
        super().__init__(
            f"request {reference} has open manual tasks ({', '.join(systems)}): "
            "each must be done or waived with a reason first"
        )
        self.systems = tuple(systems)


class ApprovalDenied(Conflict):
    """The pre-approval webhook said no, or gave no clear answer: nothing was asked."""


class PreApprovalWebhook:
    """An outside system asked before a four-eyes step is asked for (e.g. a ticketing or legal
    hold system): privaat POSTs what is asked, signed as processor webhooks are
    (``X-Privaat-Signature``, HMAC-SHA256), and only a 2xx JSON ``{"decision": "allow"}``
    lets the ask go ahead; ``deny`` (with a ``reason``), any other answer, a timeout or an
    unreachable URL refuses it (fail closed). The body names no person: the request's
    reference, its kind, the step, the asking role and the time."""

    def __init__(self, url: str, secret: bytes, *, mode: Mode, timeout: float = 5.0) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(
                f"the pre-approval webhook secret needs at least {MIN_SECRET_BYTES} bytes"
            )
        self._url, self._secret, self._mode, self._timeout = url, secret, mode, timeout

    def check(
        self, row: Any, kind: RequestKind, step: Step, staff: StaffMember, now: datetime
    ) -> None:
        body = json.dumps(
            {
                "reference": row.reference,
                "kind": kind.value,
                "step": step.value,
                "asked_by_role": staff.role.value,
                "asked_at": now.isoformat(),
            },
            sort_keys=True,
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "privaat-pre-approval/1",
            SIGNATURE_HEADER: sign(self._secret, int(now.timestamp()), body),
        }
        try:
            answer = exchange(self._url, body, headers, mode=self._mode, timeout=self._timeout)
        except CallbackRefused as refused:
            raise ApprovalDenied(f"the pre-approval webhook may not be called: {refused}") from None
        except (TimeoutError, OSError):
            raise ApprovalDenied(
                "the pre-approval webhook did not answer: nothing was asked; try again later"
            ) from None
        try:
            decision = json.loads(answer.body) if 200 <= answer.status < 300 else {}
        except ValueError:
            decision = {}
        if not isinstance(decision, dict) or decision.get("decision") not in ("allow", "deny"):
            raise ApprovalDenied(
                f"the pre-approval webhook gave no decision (HTTP {answer.status}): "
                "nothing was asked"
            )
        if decision["decision"] == "deny":
            reason = str(decision.get("reason") or "no reason given")[:300]
            raise ApprovalDenied(f"the pre-approval webhook denied the {step.value} step: {reason}")


class LinkSpent(ServiceError):
    """A processor's link that was used, has expired, or never existed: one message for all."""

    def __init__(self) -> None:
        super().__init__("this link was used already or has expired")


@dataclass(frozen=True, slots=True)
class TaskView:
    system: str
    name: Text
    role: str
    status: TaskStatus
    due_on: date
    done_at: datetime | None
    done_by: str | None  # staff:<role>, system:operator or system:task-link: never who
    note: str
    checked: bool
    file_name: str | None
    waiver: str | None
    evidence: tuple[str, ...]
    instructions: Text


@dataclass(frozen=True, slots=True)
class RoleTask:
    """An open task on a role's list: its request, the task, whom it is about."""

    reference: str
    task: TaskView
    email: str | None


@dataclass(frozen=True, slots=True)
class LinkView:
    """What the external processor's link page shows: the task and whom it is about."""

    reference: str
    system: str
    name: Text
    instructions: Text
    due_on: date
    email: str | None
    evidence: tuple[str, ...]


class RequestTasks:
    """The manual tasks and four-eyes approvals of every request."""

    def __init__(
        self,
        *,
        access: SubjectAccess,
        stores: StoresFile,
        policy: Policy,
        clock: Clock,
        four_eyes: FourEyes,
        base_url: str,
        webhook: PreApprovalWebhook | None = None,
        time_zone: tzinfo = UTC,
    ) -> None:
        self._access, self._systems, self._policy = access, stores.manual, policy
        self._zone = time_zone
        self._clock, self._four_eyes, self._base_url = clock, four_eyes, base_url.rstrip("/")
        self._webhook = webhook

    # --- tasks made when a request starts (a SubjectRequests listener) ----------------

    def request_changed(
        self, connection: Connection, row: Any, after: SubjectRequest, now: datetime
    ) -> None:
        """On a request's start: one task per manual system of its kind whose condition
        holds for the person (the stores file declares them)."""
        if after.status is not RequestStatus.IN_PROGRESS or row.status == after.status.value:
            return
        for system in self._systems:
            if not system.applies(row.kind) or not self._condition(connection, system, row):
                continue
            made = connection.execute(
                select(request_tasks.c.id).where(
                    request_tasks.c.request_id == row.id, request_tasks.c.system == system.id
                )
            ).first()
            if made is not None:
                continue
            token = secrets.token_urlsafe(32) if system.processor_email else None
            started = now.astimezone(self._zone).date()  # the controller's calendar date
            due = task_due(started, system.due_days, row.due_on)
            connection.execute(
                insert(request_tasks).values(
                    request_id=row.id,
                    subject_id=row.subject_id,
                    system=system.id,
                    role=system.role,
                    status=TaskStatus.OPEN.value,
                    created_at=now,
                    due_on=due,
                    link_hash=None if token is None else _hash(token),
                    link_expires_at=None if token is None else now + timedelta(days=LINK_DAYS),
                )
            )
            AuditTrail.append(
                connection,
                at=now,
                actor="system:requests",
                action="request.task_made",
                subject_pseudonym=_pseudonym(connection, row.subject_id),
                detail={"reference": row.reference, "system": system.id, "due_on": str(due)},
            )
            if token is not None:
                self._mail_processor(connection, row, system, token, due, now)

    def _condition(self, connection: Connection, system: ManualSystem, row: Any) -> bool:
        """Whether privaat holds any data of the condition's activity of the person (an
        existence test, no value read)."""
        if system.when is None:
            return True
        pseudonym = _pseudonym(connection, row.subject_id)
        for table, spec in subject_tables(metadata):
            if not any(p.activity == system.when.activity for _, p in personal_columns(table)):
                continue
            key = pseudonym if spec.by_pseudonym else row.subject_id
            column = table.c[spec.subject_column]
            if connection.execute(select(exists().where(column == key))).scalar():
                return True
        return False

    def _mail_processor(
        self,
        connection: Connection,
        row: Any,
        system: ManualSystem,
        token: str,
        due: date,
        now: datetime,
    ) -> None:
        sending = self._access.open(
            connection, _SYSTEM, row.subject_id, RIGHTS, operation=Operation.SEND
        )
        lang = self._policy.policy.languages[0]  # the controller's own language
        mail = task_letter(
            self._policy,
            lang=lang,
            reference=row.reference,
            system=system.name.in_language(lang),
            instructions=system.instructions.in_language(lang),
            due_on=due,
            link=f"{self._base_url}/requests/task?token={token}",
            to=system.processor_email or "",
        )
        queue(connection, sending, template="request_task_processor", mail=mail, at=now)

    # --- the tasks of a request ---------------------------------------------------------

    def tasks(self, uow: UnitOfWork, staff: Principal, reference: str) -> list[TaskView]:
        with uow.reading() as connection:
            row = _request(connection, reference)
            return self._views(connection, staff, row)

    def _views(self, connection: Connection, staff: Principal, row: Any) -> list[TaskView]:
        rows = connection.execute(
            select(request_tasks)
            .where(request_tasks.c.request_id == row.id)
            .order_by(request_tasks.c.id)
        ).all()
        if not rows:
            return []
        held = self._access.open_held(connection, staff, row.subject_id, RIGHTS)
        return [self._view(task, held.cipher) for task in rows]

    def open_for(self, uow: UnitOfWork, staff: StaffMember) -> list[RoleTask]:
        """The open tasks of open requests that ``staff``'s role does (the privacy officer:
        all), soonest due first, each with the person's address to find them by."""
        query = (
            select(request_tasks, subject_requests.c.reference, subject_requests.c.details_enc)
            .join(subject_requests, subject_requests.c.id == request_tasks.c.request_id)
            .where(
                request_tasks.c.status == TaskStatus.OPEN.value,
                subject_requests.c.status.in_([s.value for s in RequestStatus if s.open]),
            )
            .order_by(request_tasks.c.due_on, request_tasks.c.id)
        )
        if staff.role is not StaffRole.PRIVACY_OFFICER:
            query = query.where(request_tasks.c.role == staff.role.value)
        listed = []
        with uow.reading() as connection:
            for task in connection.execute(query).all():
                held = self._access.open_held(connection, staff, task.subject_id, RIGHTS)
                details = json.loads(held.cipher.decrypt(_DETAILS, task.details_enc))
                email = details.get("email") or self._email_of(connection, staff, task.subject_id)
                listed.append(RoleTask(task.reference, self._view(task, held.cipher), email))
        return listed

    def _email_of(
        self,
        connection: Connection,
        staff: Principal,
        subject_id: int,
        operation: Operation = Operation.READ,
    ) -> str | None:
        try:
            opened = self._access.open(connection, staff, subject_id, RIGHTS, operation=operation)
        except ServiceError:
            return None
        return opened.decrypt("accounts.email", opened.record.get("email_enc"))

    def evidence(self, connection: Connection, staff: Principal, row: Any) -> list[dict[str, Any]]:
        """The request's tasks as an erasure certificate lists them: per system what was
        done, when, by which role, and the evidence (a file by its SHA-256)."""
        rows = connection.execute(
            select(request_tasks)
            .where(request_tasks.c.request_id == row.id)
            .order_by(request_tasks.c.system)
        ).all()
        if not rows:
            return []
        held = self._access.open_held(connection, staff, row.subject_id, RIGHTS)
        listed = []
        for task in rows:
            view = self._view(task, held.cipher)
            item: dict[str, Any] = {
                "system": view.system,
                "status": view.status.value,
                "done_at": view.done_at.isoformat() if view.done_at else None,
                "by": view.done_by,
            }
            if view.status is TaskStatus.WAIVED:
                item["waived_because"] = view.waiver
            else:
                item["note"] = view.note
                item["checked"] = view.checked
            if task.file_enc is not None:
                data = held.cipher.decrypt_bytes("request_tasks.file_enc", task.file_enc)
                item["file"] = {"name": view.file_name, "sha256": hashlib.sha256(data).hexdigest()}
            listed.append(item)
        return listed

    def _view(self, task: Any, cipher: Any) -> TaskView:
        system = self._system(task.system)
        evidence = (
            json.loads(cipher.decrypt("request_tasks.evidence_enc", task.evidence_enc))
            if task.evidence_enc is not None
            else {}
        )
        done_by = task.done_by
        if done_by and done_by.startswith("staff:"):
            done_by = f"staff:{done_by.rsplit(':', 1)[-1]}"
        return TaskView(
            system=task.system,
            name=system.name if system else Text(nl=task.system, en=task.system),
            role=task.role,
            status=TaskStatus(task.status),
            due_on=task.due_on,
            done_at=task.done_at,
            done_by=done_by,
            note=evidence.get("note", ""),
            checked=bool(evidence.get("checked")),
            file_name=evidence.get("file_name"),
            waiver=evidence.get("waiver"),
            evidence=tuple(e.value for e in system.evidence) if system else (),
            instructions=system.instructions if system else Text(nl="-", en="-"),
        )

    def done(
        self,
        uow: UnitOfWork,
        staff: Principal,
        reference: str,
        system_id: str,
        evidence: TaskDone,
        file: bytes | None = None,
    ) -> TaskView:
        """Mark a task done with the evidence its system asks for (EvidenceMissing else)."""
        _check_file(evidence.file_name, file)
        now = self._clock.now()
        with uow.writing() as connection:
            row = _request(connection, reference)
            task = self._open_task(connection, row, system_id)
            _may_do(staff, task.role)
            system = self._system(system_id)
            try:
                check_evidence(system.evidence if system else (), evidence)
            except EvidenceMissing as error:
                raise InvalidField(_field(error), str(error)) from None
            document = {
                "note": evidence.note.strip(),
                "checked": evidence.checked,
                "file_name": evidence.file_name,
            }
            self._finish(connection, staff, row, task, TaskStatus.DONE, document, file, now)
            return self._one(connection, staff, row, system_id)

    def waive(
        self, uow: UnitOfWork, staff: Principal, reference: str, system_id: str, reason: str
    ) -> TaskView:
        """Waive a task that is not needed after all, with the reason (privacy officer)."""
        now = self._clock.now()
        with uow.writing() as connection:
            row = _request(connection, reference)
            task = self._open_task(connection, row, system_id)
            _may_do(staff, StaffRole.PRIVACY_OFFICER.value)
            try:
                text = waiver_reason(reason)
            except EvidenceMissing as error:
                raise InvalidField("reason", str(error)) from None
            document = {"waiver": text}
            self._finish(connection, staff, row, task, TaskStatus.WAIVED, document, None, now)
            return self._one(connection, staff, row, system_id)

    def _one(self, connection: Connection, staff: Principal, row: Any, system_id: str) -> TaskView:
        return next(v for v in self._views(connection, staff, row) if v.system == system_id)

    def _open_task(self, connection: Connection, row: Any, system_id: str) -> Any:
        task = connection.execute(
            select(request_tasks).where(
                request_tasks.c.request_id == row.id, request_tasks.c.system == system_id
            )
        ).first()
        if task is None:
            raise InvalidField("system", f"request {row.reference} has no task for {system_id!r}")
        if task.status != TaskStatus.OPEN.value:
            raise Conflict(f"the {system_id} task of request {row.reference} is {task.status}")
        if not RequestStatus(row.status).open:
            raise Conflict(f"request {row.reference} is {row.status}: its tasks are closed")
        return task

    def _finish(
        self,
        connection: Connection,
        actor: Principal,
        row: Any,
        task: Any,
        status: TaskStatus,
        document: Mapping[str, Any],
        file: bytes | None,
        now: datetime,
    ) -> None:
        held = self._access.open_held(
            connection, actor, row.subject_id, RIGHTS, operation=Operation.WRITE
        )
        changed = connection.execute(
            update(request_tasks)
            .where(
                request_tasks.c.id == task.id,
                request_tasks.c.status == TaskStatus.OPEN.value,  # once: a race loses here
            )
            .values(
                status=status.value,
                done_at=now,
                done_by=actor.actor,
                evidence_enc=held.cipher.encrypt(
                    "request_tasks.evidence_enc", json.dumps(dict(document))
                ),
                file_enc=None
                if file is None
                else held.cipher.encrypt_bytes("request_tasks.file_enc", file),
                link_hash=None,  # a processor's link is spent whoever finished the task
            )
        ).rowcount
        if changed != 1:
            raise Conflict(f"the {task.system} task of request {row.reference} changed meanwhile")
        AuditTrail.append(
            connection,
            at=now,
            actor=actor.actor,
            action=f"request.task_{status.value}",
            subject_pseudonym=held.pseudonym,
            detail={"reference": row.reference, "system": task.system},
        )

    # --- the external processor's single-use link -----------------------------------------

    def link(self, uow: UnitOfWork, token: str) -> LinkView:
        """What the link shows; opening it spends nothing (a mail scanner may open it)."""
        with uow.reading() as connection:
            task, row = self._by_link(connection, token)
            opened = self._access.open_held(
                connection, _PROCESSOR, row.subject_id, RIGHTS, operation=Operation.SEND
            )
            details = json.loads(opened.cipher.decrypt(_DETAILS, row.details_enc))
            email = details.get("email") or self._account_email(connection, row)
        system = self._system(task.system)
        if system is None:  # the stores file no longer names it
            raise LinkSpent()
        return LinkView(
            reference=row.reference,
            system=system.id,
            name=system.name,
            instructions=system.instructions,
            due_on=task.due_on,
            email=email,
            evidence=tuple(e.value for e in system.evidence if e.value != "file"),
        )

    def _account_email(self, connection: Connection, row: Any) -> str | None:
        return self._email_of(connection, _PROCESSOR, row.subject_id, Operation.SEND)

    def confirm(self, uow: UnitOfWork, token: str, evidence: TaskDone) -> None:
        """The processor confirms the task: done with its evidence, the link spent."""
        now = self._clock.now()
        with uow.writing() as connection:
            task, row = self._by_link(connection, token)
            system = self._system(task.system)
            required = [e for e in (system.evidence if system else ()) if e.value != "file"]
            try:
                check_evidence(required, evidence)
            except EvidenceMissing as error:
                raise InvalidField(_field(error), str(error)) from None
            document = {"note": evidence.note.strip(), "checked": evidence.checked}
            self._finish(connection, _PROCESSOR, row, task, TaskStatus.DONE, document, None, now)

    def _by_link(self, connection: Connection, token: str) -> tuple[Any, Any]:
        if not token or len(token) > 100:
            raise LinkSpent()
        task = connection.execute(
            select(request_tasks).where(request_tasks.c.link_hash == _hash(token))
        ).first()
        if (
            task is None
            or task.status != TaskStatus.OPEN.value
            or task.link_expires_at is None
            or _aware(task.link_expires_at) <= self._clock.now()
        ):
            raise LinkSpent()
        row = connection.execute(
            select(subject_requests).where(subject_requests.c.id == task.request_id)
        ).one()
        if not RequestStatus(row.status).open:
            raise LinkSpent()
        return task, row

    # --- the gates before a step --------------------------------------------------------

    def gate(self, connection: Connection, row: Any) -> None:
        """Conflict while a task of the request is open: it completes only when every task
        is done or waived (SubjectRequests calls this before COMPLETE)."""
        open_ = connection.execute(
            select(request_tasks.c.system)
            .where(
                request_tasks.c.request_id == row.id,
                request_tasks.c.status == TaskStatus.OPEN.value,
            )
            .order_by(request_tasks.c.system)
        ).scalars()
        names = list(open_)
        if names:
            raise TasksOpen(row.reference, names)

    def before(self, uow: UnitOfWork, staff: Principal, reference: str, step: Step) -> None:
        """Before an erasure or an answer: its tasks done, and under four-eyes a second
        officer's approval. Without it the first attempt records the ask (after the
        pre-approval webhook, if one is set, allowed it), and ApprovalPending says it waits;
        nothing else is changed."""
        with uow.reading() as connection:
            row = _request(connection, reference)
            self.gate(connection, row)
            kind = RequestKind(row.kind)
            calls = step is Step.ANSWER and self._has_recordings(connection, row.subject_id)
            if not self._four_eyes.applies(kind, step, with_recordings=calls):
                return
            approval = self._approval(connection, row, step)
        if approval is not None and approval.approved_by is not None:
            return
        if not isinstance(staff, StaffMember):
            raise Conflict(
                f"request {reference}: the {step.value} step needs two privacy officers "
                "(four-eyes): one asks and another approves, in the console"
            )
        if approval is None:
            now = self._clock.now()
            if self._webhook is not None:  # outside any transaction: an HTTP call may wait
                self._webhook.check(row, kind, step, staff, now)
            with uow.writing() as connection:
                dialect = sqlite_insert if connection.dialect.name == "sqlite" else pg_insert
                asked = connection.execute(
                    dialect(request_approvals)
                    .values(
                        request_id=row.id,
                        subject_id=row.subject_id,
                        step=step.value,
                        asked_by=_staff_id(staff),
                        asked_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=["request_id", "step"])
                ).rowcount
                if asked:  # another officer's ask at the same moment stands instead
                    self._audit(connection, staff, row, "request.approval_asked", step, now)
        raise ApprovalPending(reference, step)

    def approve(self, uow: UnitOfWork, staff: Principal, reference: str, step: Step) -> None:
        """A second privacy officer approves the step another one asked for."""
        _may_do(staff, StaffRole.PRIVACY_OFFICER.value)
        now = self._clock.now()
        with uow.writing() as connection:
            row = _request(connection, reference)
            approval = self._approval(connection, row, step)
            if approval is None:
                raise Conflict(f"request {reference}: nobody asked for the {step.value} step yet")
            if approval.approved_by is not None:
                raise Conflict(f"request {reference}: the {step.value} step is approved already")
            if not RequestStatus(row.status).open:
                raise Conflict(f"request {reference} is {row.status}: nothing is left to approve")
            try:
                FourEyes.check_approver(approval.asked_by, _staff_id(staff))
            except SameOfficer as error:
                raise Conflict(str(error)) from None
            connection.execute(
                update(request_approvals)
                .where(request_approvals.c.id == approval.id)
                .values(approved_by=_staff_id(staff), approved_at=now)
            )
            self._audit(connection, staff, row, "request.approved", step, now)

    def approvals(self, uow: UnitOfWork, reference: str) -> dict[str, Any]:
        """The request's four-eyes asks by step (its console page shows who may approve)."""
        with uow.reading() as connection:
            row = _request(connection, reference)
            rows = connection.execute(
                select(request_approvals).where(request_approvals.c.request_id == row.id)
            ).all()
        return {approval.step: approval for approval in rows}

    def approval_of(self, uow: UnitOfWork, reference: str, step: Step) -> Any:
        with uow.reading() as connection:
            return self._approval(connection, _request(connection, reference), step)

    @staticmethod
    def _approval(connection: Connection, row: Any, step: Step) -> Any:
        return connection.execute(
            select(request_approvals).where(
                request_approvals.c.request_id == row.id,
                request_approvals.c.step == step.value,
            )
        ).first()

    @staticmethod
    def _has_recordings(connection: Connection, subject_id: int) -> bool:
        column = call_recording_segments.c.subject_id
        return bool(connection.execute(select(exists().where(column == subject_id))).scalar())

    @staticmethod
    def _audit(
        connection: Connection,
        staff: Principal,
        row: Any,
        action: str,
        step: Step,
        now: datetime,
    ) -> None:
        AuditTrail.append(
            connection,
            at=now,
            actor=staff.actor,
            action=action,
            subject_pseudonym=_pseudonym(connection, row.subject_id),
            detail={"reference": row.reference, "step": step.value},
        )

    def _system(self, system_id: str) -> ManualSystem | None:
        return next((s for s in self._systems if s.id == system_id), None)


# the two that act without a staff session: the listener that mails a processor its link,
# and the processor using it (the holder of a link acts through it)
_SYSTEM = SystemJob("request-tasks")
OPERATOR = SystemJob("operator")  # as privaat.cli.requests names the command line
_PROCESSOR = SystemJob("task-link")


def _request(connection: Connection, reference: str) -> Any:
    row = connection.execute(
        select(subject_requests).where(subject_requests.c.reference == reference)
    ).first()
    if row is None:
        raise RequestNotFound()
    return row


def _field(error: EvidenceMissing) -> str:
    """The form field a missing piece of evidence is: note, file or checked."""
    if error.evidence is None:
        return "reason"
    return "checked" if error.evidence is Evidence.CHECKBOX else error.evidence.value


def _may_do(staff: Principal, role: str) -> None:
    if staff == OPERATOR:  # the command line's operator acts as the privacy officer
        return
    if not isinstance(staff, StaffMember):
        raise NotPermitted("only staff do a request's tasks")
    if staff.role.value not in (role, StaffRole.PRIVACY_OFFICER.value):
        raise NotPermitted(f"this task is for the {role} role or the privacy officer")


def _staff_id(staff: Principal) -> int:
    if not isinstance(staff, StaffMember):
        raise NotPermitted("only a privacy officer asks for or approves a step")
    return staff.staff_id


def _check_file(name: str | None, data: bytes | None) -> None:
    if data is None:
        return
    if not name:
        raise InvalidField("file", "a file needs its name")
    if len(data) > MAX_FILE_BYTES:
        raise InvalidField("file", f"the file is larger than {MAX_FILE_BYTES // 1024 // 1024} MB")
    if not any(data.startswith(magic) for magic in FILE_TYPES.values() if magic) and not _text(
        data
    ):
        raise InvalidField("file", "evidence is a PDF, PNG, JPEG or plain text/CSV file")


def _text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in data


def _pseudonym(connection: Connection, subject_id: int) -> str:
    return str(
        connection.execute(
            select(subjects.c.pseudonym).where(subjects.c.id == subject_id)
        ).scalar_one()
    )


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
