"""The disclosure register (issue 13 item 5, P12, LEGAL L36) and its transfer check (item 6).

privacy officer ── record(DisclosureRequest)
    ├── problems(): ground and recipient mandatory, every field checked ──▶ DisclosureInvalid
    ├── the ground's activity (domain.disclosures.GROUND_ACTIVITIES; consent: the
    │   consent-based activity that names the recipient) and the scope's categories
    ├── the exporter of issue 9 (SubjectExport.stream) under that activity, operation
    │   SEND: the guard decides, the access log records ──no──▶ AccessDenied
    ├── may_transfer(policy, recipient, country, state) ──no──▶ TransferRefused (L37, L38)
    ├── the export restricted to the scope (categories, time window of each table's clock)
    ├── a disclosures row: the clear log, the released file sealed under the subject's
    │   data key with its SHA-256, who asked, the reference, a legal bar with its end
    └── an audit entry naming the disclosure, ground, recipient, digest (no personal data)
    one unit of work: a refusal anywhere leaves nothing behind

register(): every disclosure, and the shop's carrier handovers (shop_shipments, P11) beside
them, read-only: they are recorded where they happen and not copied here
show(id): one disclosure, its texts opened under the guard (``disclosures``, READ)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from privaat.domain.clock import Clock
from privaat.domain.disclosures import (
    GROUND_ACTIVITIES,
    DisclosureGround,
    DisclosureRequest,
    may_be_told,
    problems,
)
from privaat.domain.guard import Guard
from privaat.domain.principal import StaffMember, StaffRole
from privaat.domain.transfers import TransferRefused, consent_activities_for, may_transfer
from privaat.policy.schema import Policy, ProcessingActivity
from privaat.services.errors import Conflict, InvalidField, NotPermitted, ServiceError
from privaat.services.subject_access import Operation, SubjectAccess
from privaat.services.subject_export import StreamedPart, SubjectExport
from privaat.services.subject_state import load_state
from privaat.store.audit import AuditTrail
from privaat.store.key_errors import SubjectKeyMissing
from privaat.store.registry import ACCOUNT_CLOSURE, subject_tables
from privaat.store.tables import metadata, subjects
from privaat.store.tables_business import subprocessor_notices
from privaat.store.tables_disclosures import DISCLOSURES, disclosures
from privaat.store.tables_opendsr import business_customers
from privaat.store.tables_shop import shop_shipments
from privaat.store.unit_of_work import UnitOfWork

__all__ = [
    "DisclosureInvalid",
    "DisclosureNotFound",
    "DisclosureRegister",
    "DisclosureView",
    "RegisterEntry",
]

_LOG_CATEGORY = "disclosure_records"  # the register itself is never part of what is released
# the column whose time places each table's rows in a scope's window (the registry's clock)
_CLOCKS: Mapping[str, str] = {
    table.name: spec.clock.removesuffix("_enc")
    for table, spec in subject_tables(metadata)
    if spec.clock != ACCOUNT_CLOSURE
}


class DisclosureInvalid(InvalidField):
    """The disclosure cannot be recorded; ``problems`` names every field and its reason."""

    def __init__(self, found: Mapping[str, str]) -> None:
        first = next(iter(found))
        super().__init__(first, found[first])
        self.problems = dict(found)


class DisclosureNotFound(ServiceError):
    """No disclosure with that id."""

    def __init__(self) -> None:
        super().__init__("no such disclosure")


@dataclass(frozen=True, slots=True)
class RegisterEntry:
    """One line of the register: a recorded disclosure, or a carrier handover (read-only)."""

    kind: str  # "disclosure", "carrier_handover" or "subprocessor_notice" (art. 28(2))
    id: int
    at: datetime
    ground: str  # a DisclosureGround, or "processor" for a carrier handover (P11)
    recipient: str
    country: str | None
    pseudonym: str
    handed_fields: tuple[str, ...]
    bar_until: date | None = None


@dataclass(frozen=True, slots=True)
class DisclosureView:
    """One disclosure in full; the texts are None when the guard keeps them shut."""

    entry: RegisterEntry
    activity: str
    categories: tuple[str, ...]
    window_start: datetime | None
    window_end: datetime | None
    released_digest: str
    staff_role: str
    requested_by: str | None
    reference: str | None
    bar_reason: str | None
    released: str | None  # the file handed over (JSON), as sealed
    may_be_told: bool


class DisclosureRegister:
    """Records each disclosure with its ground, scope and release, under the guard (P12)."""

    activities = frozenset({DISCLOSURES})

    def __init__(
        self,
        *,
        access: SubjectAccess,
        guard: Guard,
        policy: Policy,
        clock: Clock,
        export: SubjectExport | None = None,
    ) -> None:
        self._access, self._guard, self._policy, self._clock = access, guard, policy, clock
        self._export = export or SubjectExport(access=access, clock=clock)
        self._activities = {activity.id: activity for activity in policy.activities}

    # --- recording ---------------------------------------------------------------------

    def record(self, uow: UnitOfWork, staff: StaffMember, request: DisclosureRequest) -> int:
        """Record a disclosure and produce its release; the new disclosure's id."""
        _privacy_officer(staff)
        now = self._clock.now()
        found = problems(request, today=now.date())
        recipient = self._policy_recipient(request.recipient, found)
        activity = self._activity(request, found)
        categories = self._categories(request, activity, found)
        country = (request.country or (recipient.country if recipient else None) or "").upper()
        if recipient is not None and not country and "country" not in found:
            found["country"] = f"recipient {recipient.id!r} names no country: give one"
        if found:
            raise DisclosureInvalid(found)
        if activity is None or recipient is None or request.subject_id is None:
            raise DisclosureInvalid({"ground": "a disclosure needs its legal ground (P12, L36)"})
        scope = request.scope
        with uow.writing() as connection:
            stream = self._export.stream(
                connection,
                staff,
                request.subject_id,
                activity=activity.id,
                operation=Operation.SEND,
            )
            opened = stream.opened
            if opened is None:
                raise Conflict("the person's data has been erased: there is nothing to disclose")
            decision = may_transfer(
                self._policy,
                recipient.id,
                country,
                self._state(connection, opened.record, recipient.id, activity.id),
                now=now,
                guard=self._guard,
            )
            if not decision.allowed:
                raise TransferRefused(decision)
            released, handed = _restricted(stream.parts, categories, scope.start, scope.end)
            blob = json.dumps(released, sort_keys=True, ensure_ascii=False, default=str)
            digest = hashlib.sha256(blob.encode("utf-8")).hexdigest()
            cipher = opened.cipher
            bar = request.bar
            disclosure_id: int = connection.execute(
                insert(disclosures)
                .values(
                    subject_id=request.subject_id,
                    disclosed_at=now,
                    staff_id=staff.staff_id,
                    staff_role=staff.role.value,
                    ground=str(request.ground),
                    activity=activity.id,
                    recipient=recipient.id,
                    country=country,
                    categories=",".join(sorted(categories)),
                    window_start=scope.start,
                    window_end=scope.end,
                    handed_fields=",".join(handed),
                    released_digest=digest,
                    bar_until=bar.until if bar else None,
                    requested_by_enc=cipher.encrypt(
                        "disclosures.requested_by", request.requested_by.strip()
                    ),
                    reference_enc=cipher.encrypt_optional(
                        "disclosures.reference", request.reference.strip() or None
                    ),
                    bar_reason_enc=cipher.encrypt_optional(
                        "disclosures.bar_reason", bar.reason.strip() if bar else None
                    ),
                    released_enc=cipher.encrypt("disclosures.released", blob),
                )
                .returning(disclosures.c.id)
            ).scalar_one()
            AuditTrail.append(
                connection,
                at=now,
                actor=staff.actor,
                action="disclosures.recorded",
                subject_pseudonym=opened.pseudonym,
                detail={
                    "disclosure": disclosure_id,
                    "ground": str(request.ground),
                    "recipient": recipient.id,
                    "country": country,
                    "basis": decision.basis or "",
                    "fields": len(handed),
                    "sha256": digest,
                    "barred": bar is not None,
                },
            )
        return disclosure_id

    # --- reading -----------------------------------------------------------------------

    def register(self, uow: UnitOfWork, staff: StaffMember) -> list[RegisterEntry]:
        """Every disclosure and carrier handover, newest first."""
        _privacy_officer(staff)
        with uow.reading() as connection:
            entries = [_entry(row) for row in connection.execute(_LIST).mappings()]
            entries += [_handover(row) for row in connection.execute(_HANDOVERS).mappings()]
            entries += [_notice(row) for row in connection.execute(_NOTICES).mappings()]
        return sorted(entries, key=lambda entry: (entry.at, entry.id), reverse=True)

    def show(self, uow: UnitOfWork, staff: StaffMember, disclosure_id: int) -> DisclosureView:
        """One disclosure; its texts opened under ``disclosures`` when the guard allows."""
        _privacy_officer(staff)
        today = self._clock.now().date()
        with uow.reading() as connection:
            row = (
                connection.execute(_LIST.where(disclosures.c.id == disclosure_id))
                .mappings()
                .first()
            )
            if row is None:
                raise DisclosureNotFound()
            try:
                opened = self._access.open_if_allowed(
                    connection, staff, row["subject_id"], DISCLOSURES, operation=Operation.READ
                )
            except SubjectKeyMissing:  # erased: the log stays, its texts are shredded
                opened = None

            def clear(name: str) -> str | None:
                if opened is None:
                    return None
                return opened.decrypt(f"disclosures.{name}", row[f"{name}_enc"])

            return DisclosureView(
                entry=_entry(row),
                activity=row["activity"],
                categories=tuple(filter(None, row["categories"].split(","))),
                window_start=row["window_start"],
                window_end=row["window_end"],
                released_digest=row["released_digest"],
                staff_role=row["staff_role"],
                requested_by=clear("requested_by"),
                reference=clear("reference"),
                bar_reason=clear("bar_reason"),
                released=clear("released"),
                may_be_told=may_be_told(row["bar_until"], today=today),
            )

    def recipients(self) -> list[tuple[str, str]]:
        """The policy's recipients a disclosure may name: (id, name)."""
        return [(recipient.id, recipient.name) for recipient in self._policy.recipients]

    def categories(self) -> list[str]:
        """Every data category some ground's activity may disclose."""
        found: set[str] = set()
        for activity in self._activities.values():
            if activity.id in GROUND_ACTIVITIES.values():
                found |= set(activity.data_categories)
        return sorted(found - {_LOG_CATEGORY})

    # --- the steps ---------------------------------------------------------------------

    def _policy_recipient(self, recipient_id: str | None, found: dict[str, str]) -> Any:
        if not recipient_id:
            return None
        recipient = next((r for r in self._policy.recipients if r.id == recipient_id), None)
        if recipient is None:
            found["recipient"] = f"recipient {recipient_id!r} is not in the policy's catalogue"
        return recipient

    def _activity(
        self, request: DisclosureRequest, found: dict[str, str]
    ) -> ProcessingActivity | None:
        if "ground" in found or not request.ground or not request.recipient:
            return None
        ground = DisclosureGround(request.ground)
        if ground is DisclosureGround.CONSENT:
            named = consent_activities_for(self._policy, request.recipient)
            if not named:
                found["ground"] = (
                    f"no consent-based activity of the policy names recipient "
                    f"{request.recipient!r}: there is no consent to disclose on"
                )
                return None
            activity_id = named[0]
        else:
            activity_id = GROUND_ACTIVITIES[ground]
        activity = self._activities.get(activity_id)
        if activity is None:
            found["ground"] = f"the policy declares no activity {activity_id!r} for this ground"
        return activity

    def _categories(
        self,
        request: DisclosureRequest,
        activity: ProcessingActivity | None,
        found: dict[str, str],
    ) -> frozenset[str]:
        if activity is None:
            return frozenset()
        allowed = frozenset(activity.data_categories) - {_LOG_CATEGORY}
        asked = request.scope.categories or allowed
        unknown = sorted(asked - allowed)
        if unknown:
            found["categories"] = (
                f"activity {activity.id!r} may not disclose {', '.join(unknown)} "
                f"(it may disclose: {', '.join(sorted(allowed))})"
            )
        return frozenset(asked)

    def _state(
        self, connection: Connection, record: Mapping[str, Any], recipient: str, activity: str
    ) -> Any:
        # a group company's transfer reads the consents of the activities that name it (L38)
        named = consent_activities_for(self._policy, recipient)
        return load_state(connection, self._guard, record, named[0] if named else activity)


def _privacy_officer(staff: StaffMember) -> None:
    # the console's role table keeps others out; this is the backstop (P12: the DPO approves)
    if staff.role is not StaffRole.PRIVACY_OFFICER:
        raise NotPermitted("only the privacy officer keeps the disclosure register")


def _restricted(
    parts: Sequence[StreamedPart] | Any,
    categories: frozenset[str],
    start: datetime | None,
    end: datetime | None,
) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """The export cut to the scope: only fields of its categories, only rows in its window."""
    released: dict[str, list[dict[str, Any]]] = {}
    handed: set[str] = set()
    for part in parts:
        kept = [f.name for f in part.fields if f.category in categories]
        clock = _CLOCKS.get(part.table)
        rows: list[dict[str, Any]] = []
        for values, _files in part.rows:
            if not kept:
                continue  # read through all the same: the stream is one cursor per table
            if not _in_window(values.get(clock) if clock else None, start, end):
                continue
            row = {name: values[name] for name in kept if values.get(name) is not None}
            if row:
                rows.append(row)
                handed |= {f"{part.table}.{name}" for name in row}
        if rows:
            released[part.table] = rows
    return released, sorted(handed)


def _in_window(value: Any, start: datetime | None, end: datetime | None) -> bool:
    if start is None and end is None:
        return True
    if not isinstance(value, str):
        return False  # a row without a time cannot be shown to fall inside the window
    moment = datetime.fromisoformat(value)
    return (start is None or moment >= start) and (end is None or moment < end)


_LIST = select(
    disclosures.c.id,
    disclosures.c.subject_id,
    disclosures.c.disclosed_at,
    disclosures.c.ground,
    disclosures.c.activity,
    disclosures.c.recipient,
    disclosures.c.country,
    disclosures.c.categories,
    disclosures.c.window_start,
    disclosures.c.window_end,
    disclosures.c.handed_fields,
    disclosures.c.released_digest,
    disclosures.c.bar_until,
    disclosures.c.staff_role,
    disclosures.c.requested_by_enc,
    disclosures.c.reference_enc,
    disclosures.c.bar_reason_enc,
    disclosures.c.released_enc,
    subjects.c.pseudonym,
).select_from(disclosures.join(subjects, subjects.c.id == disclosures.c.subject_id))
_HANDOVERS = select(
    shop_shipments.c.id,
    shop_shipments.c.handed_at,
    shop_shipments.c.recipient,
    shop_shipments.c.carrier,
    shop_shipments.c.handed_fields,
    subjects.c.pseudonym,
).select_from(shop_shipments.join(subjects, subjects.c.id == shop_shipments.c.subject_id))


# art. 28(2): each sub-processor change told to a business customer (no data subject: a
# company is told which recipients its processor service adds or removes)
_NOTICES = select(
    subprocessor_notices.c.id,
    subprocessor_notices.c.created_at,
    subprocessor_notices.c.service,
    subprocessor_notices.c.changes,
    subprocessor_notices.c.objected_at,
    business_customers.c.name,
).select_from(
    subprocessor_notices.join(
        business_customers, business_customers.c.id == subprocessor_notices.c.customer_id
    )
)


def _notice(row: Any) -> RegisterEntry:
    change = json.loads(row["changes"])
    told = [f"+{r}" for r in change["added"]] + [f"-{r}" for r in change["removed"]]
    objected = " (objected)" if row["objected_at"] else ""
    return RegisterEntry(
        kind="subprocessor_notice",
        id=row["id"],
        at=row["created_at"],
        ground="subprocessor_change",
        recipient=f"{row['name']}{objected}",
        country=None,
        pseudonym="",
        handed_fields=(row["service"], *told),
    )


def _entry(row: Any) -> RegisterEntry:
    return RegisterEntry(
        kind="disclosure",
        id=row["id"],
        at=row["disclosed_at"],
        ground=row["ground"],
        recipient=row["recipient"],
        country=row["country"],
        pseudonym=row["pseudonym"],
        handed_fields=tuple(filter(None, row["handed_fields"].split(","))),
        bar_until=row["bar_until"],
    )


def _handover(row: Any) -> RegisterEntry:
    return RegisterEntry(
        kind="carrier_handover",
        id=row["id"],
        at=row["handed_at"],
        ground="processor",
        recipient=f"{row['recipient']} ({row['carrier']})",
        country=None,
        pseudonym=row["pseudonym"],
        handed_fields=tuple(filter(None, row["handed_fields"].split(","))),
    )
