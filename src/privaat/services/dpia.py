"""The DPIA register: the versioned impact assessment of each flagged activity (issue 15
item 9; GDPR art. 35, 36; LEGAL L75, L89).

    screened()                 the activities the policy's screening flags: a criterion of
                               the AP's list met, or a DPIA named all the same (a voluntary
                               one, WP248: "when in doubt, carry one out")
    overview(uow)              each with its latest version and state: none / decided /
                               review due (domain.dpia.review_state)
    history(uow, activity)     every version of one activity, newest first
    record(uow, staff, data)   a new version: parsed and checked whole (domain.dpia), the
                               text rule on every text, numbered after the latest (never
                               overwriting one), audited as ``dpia.recorded``

Only the privacy officer records (art. 35(2): the DPO's advice is part of the assessment;
art. 39(1)(c)). An activity the screening does not flag is refused: its register entry
says "meets no criterion", and a DPIA beside it would contradict the register; the officer
screens it again in the policy file first (criteria, or the DPIA's reference). The register
names no person; the audit trail names the activity, the version and the decision.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.exc import IntegrityError

from privaat.domain.clock import Clock
from privaat.domain.dpia import (
    DECISION_WORDS,
    Assessment,
    Decision,
    DpiaFieldError,
    Level,
    Measure,
    ReviewState,
    Right,
    Risk,
    parse_assessment,
    review_state,
)
from privaat.domain.principal import StaffMember, StaffRole
from privaat.i18n import N_
from privaat.policy.schema import DpiaCriterion, Policy, ProcessingActivity
from privaat.policy.wording import translator
from privaat.services.errors import Conflict, InvalidField, NotPermitted, ServiceError
from privaat.services.text_fields import TextRefused, check_text
from privaat.store.audit import AuditTrail
from privaat.store.tables_dpia import dpia_assessments
from privaat.store.unit_of_work import UnitOfWork

__all__ = [
    "AssessmentVersion",
    "RegisterEntry",
    "DpiaActivityUnknown",
    "DpiaHistory",
    "DpiaRegister",
    "DpiaStatus",
    "ScreenedActivity",
    "register_entries",
]

_OFFICER = StaffRole.PRIVACY_OFFICER


class DpiaActivityUnknown(ServiceError):
    """No activity of the policy by that id is flagged for a DPIA."""

    def __init__(self) -> None:
        super().__init__(N_("The policy's screening flags no activity of this name for a DPIA."))


@dataclass(frozen=True, slots=True)
class ScreenedActivity:
    """An activity the screening flags, with the criteria it meets and the DPIA it names."""

    id: str
    criteria: tuple[DpiaCriterion, ...]
    reference: str | None


@dataclass(frozen=True, slots=True)
class AssessmentVersion:
    """One recorded version: its number, its content, who recorded it and when."""

    version: int
    assessment: Assessment
    recorded_at: datetime
    recorded_by: str  # the staff actor, ``staff:<id>:<role>``
    decided_by_role: StaffRole

    @property
    def decision(self) -> Decision:
        return self.assessment.decision

    @property
    def residual(self) -> Level:
        return self.assessment.residual


@dataclass(frozen=True, slots=True)
class DpiaStatus:
    """A flagged activity with its latest version and where it stands today."""

    activity: ScreenedActivity
    latest: AssessmentVersion | None
    state: ReviewState


@dataclass(frozen=True, slots=True)
class DpiaHistory:
    """Every version of one activity's assessment, newest first."""

    activity: ScreenedActivity
    versions: tuple[AssessmentVersion, ...]
    state: ReviewState

    @property
    def latest(self) -> AssessmentVersion | None:
        return self.versions[0] if self.versions else None


def _flagged(activity: ProcessingActivity) -> bool:
    return activity.dpia.required or activity.dpia.reference is not None


def _text(where: str, value: str) -> str:
    try:
        return check_text(value, multiline=True)
    except TextRefused as error:
        raise InvalidField(where, str(error)) from error


def _checked_texts(assessment: Assessment) -> Assessment:
    """The assessment with every text through the one text rule (no card numbers, no
    control characters), or InvalidField naming the text refused."""
    return replace(
        assessment,
        necessity=_text("necessity", assessment.necessity),
        risks=tuple(
            replace(risk, description=_text(f"risks[{number}].description", risk.description))
            for number, risk in enumerate(assessment.risks, start=1)
        ),
        measures=tuple(
            replace(m, description=_text(f"measures[{number}].description", m.description))
            for number, m in enumerate(assessment.measures, start=1)
        ),
    )


class DpiaRegister:
    """The privacy officer's register of impact assessments (art. 35, 36)."""

    activities: frozenset[str] = frozenset()  # it holds no personal data

    def __init__(self, *, policy: Policy, clock: Clock, **_unused: object) -> None:
        self._policy, self._clock = policy, clock

    def today(self) -> date:
        """The register's day: UTC, as every stored time."""
        return self._clock.now().date()

    def screened(self) -> tuple[ScreenedActivity, ...]:
        """The activities the screening flags, in the policy's order."""
        return tuple(
            ScreenedActivity(a.id, a.dpia.criteria, a.dpia.reference)
            for a in self._policy.activities
            if _flagged(a)
        )

    def _screened(self, activity_id: str) -> ScreenedActivity:
        for activity in self.screened():
            if activity.id == activity_id:
                return activity
        raise DpiaActivityUnknown()

    def overview(self, uow: UnitOfWork) -> tuple[DpiaStatus, ...]:
        """Each flagged activity with its latest version (or none) and its state today."""
        with uow.reading() as connection:
            latest = self._latest(connection)
        today = self.today()
        return tuple(
            DpiaStatus(
                activity,
                latest.get(activity.id),
                review_state(
                    latest[activity.id].assessment if activity.id in latest else None, today
                ),
            )
            for activity in self.screened()
        )

    def latest(self, uow: UnitOfWork) -> dict[str, AssessmentVersion]:
        """The latest version of every activity that has one, by activity id."""
        with uow.reading() as connection:
            return self._latest(connection)

    def history(self, uow: UnitOfWork, activity_id: str) -> DpiaHistory:
        """Every version of the activity, newest first; DpiaActivityUnknown when not flagged."""
        activity = self._screened(activity_id)
        with uow.reading() as connection:
            rows = connection.execute(
                select(dpia_assessments)
                .where(dpia_assessments.c.activity_id == activity_id)
                .order_by(dpia_assessments.c.version.desc())
            ).all()
        versions = tuple(_version(row) for row in rows)
        latest = versions[0].assessment if versions else None
        return DpiaHistory(activity, versions, review_state(latest, self.today()))

    def record(
        self,
        uow: UnitOfWork,
        staff: StaffMember,
        data: Mapping[str, object],
        *,
        based_on: int | None = None,
    ) -> AssessmentVersion:
        """Record ``data`` as the activity's next version; ``based_on``: the version the
        officer saw (0 for none), refused as a Conflict when another came meanwhile."""
        if staff.role is not _OFFICER:  # the console's role table keeps others out first
            raise NotPermitted(N_("The DPIA register is the privacy officer's."))
        now = self._clock.now()
        try:
            parsed = parse_assessment(data, today=now.date())
        except DpiaFieldError as error:
            raise InvalidField(error.field, error.message) from error
        if parsed.activity_id not in self._policy.activity_ids:
            raise InvalidField("activity", N_("The policy has no activity of this name."))
        if not _flagged(self._policy.activity(parsed.activity_id)):
            raise InvalidField(
                "activity",
                N_(
                    "The policy's screening finds no DPIA needed for this activity: record "
                    "the criteria it meets (or the DPIA's reference) in the policy file first."
                ),
            )
        assessment = _checked_texts(parsed)
        try:
            with uow.writing() as connection:
                number = self._next(connection, assessment.activity_id, based_on)
                document = assessment.as_document()
                connection.execute(
                    insert(dpia_assessments).values(
                        activity_id=assessment.activity_id,
                        version=number,
                        recorded_at=now,
                        recorded_by=staff.actor,
                        decided_by_role=staff.role.value,
                        decision=assessment.decision.value,
                        residual=assessment.residual.value,
                        decided_on=assessment.decided_on,
                        next_review=assessment.next_review,
                        necessity=assessment.necessity,
                        risks=json.dumps(document["risks"], ensure_ascii=False),
                        measures=json.dumps(document["measures"], ensure_ascii=False),
                    )
                )
                AuditTrail.append(
                    connection,
                    at=now,
                    actor=staff.actor,
                    action="dpia.recorded",
                    subject_pseudonym=None,
                    detail={
                        "activity": assessment.activity_id,
                        "version": number,
                        "decision": assessment.decision.value,
                        "residual": assessment.residual.value,
                    },
                )
        except IntegrityError as error:  # two officers recorded the same number at once
            raise Conflict(_MEANWHILE) from error
        return AssessmentVersion(number, assessment, now, staff.actor, staff.role)

    @staticmethod
    def _next(connection: Connection, activity_id: str, based_on: int | None) -> int:
        current = connection.execute(
            select(func.coalesce(func.max(dpia_assessments.c.version), 0)).where(
                dpia_assessments.c.activity_id == activity_id
            )
        ).scalar_one()
        if based_on is not None and based_on != int(current):
            raise Conflict(_MEANWHILE)
        return int(current) + 1

    @staticmethod
    def _latest(connection: Connection) -> dict[str, AssessmentVersion]:
        newest = (
            select(
                dpia_assessments.c.activity_id,
                func.max(dpia_assessments.c.version).label("version"),
            )
            .group_by(dpia_assessments.c.activity_id)
            .subquery()
        )
        rows = connection.execute(
            select(dpia_assessments).join(
                newest,
                (newest.c.activity_id == dpia_assessments.c.activity_id)
                & (newest.c.version == dpia_assessments.c.version),
            )
        ).all()
        return {row.activity_id: _version(row) for row in rows}


_MEANWHILE = N_("Another version of this assessment was recorded meanwhile: read it first.")


def _version(row: Any) -> AssessmentVersion:
    """A stored version as it was recorded (not checked again: the rules may have moved)."""
    risks = tuple(
        Risk(
            id=r["id"],
            description=r["description"],
            likelihood=Level(r["likelihood"]),
            severity=Level(r["severity"]),
            rights=tuple(Right(right) for right in r["rights"]),
            residual_likelihood=Level(r["residual"]["likelihood"]),
            residual_severity=Level(r["residual"]["severity"]),
        )
        for r in json.loads(row.risks)
    )
    measures = tuple(
        Measure(m["description"], tuple(m["reduces"])) for m in json.loads(row.measures)
    )
    assessment = Assessment(
        activity_id=row.activity_id,
        necessity=row.necessity,
        risks=risks,
        measures=measures,
        decision=Decision(row.decision),
        decided_on=row.decided_on,
        next_review=row.next_review,
    )
    return AssessmentVersion(
        version=int(row.version),
        assessment=assessment,
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
        decided_by_role=StaffRole(row.decided_by_role),
    )


@dataclass(frozen=True, slots=True)
class RegisterEntry:
    """What the register of processing says of an activity's DPIA: its page and its state."""

    url: str
    words: str  # the latest decision in the register's language, or that there is none
    state: ReviewState
    sentence: str  # the same as a sentence of its own, for the exported register's DPIA field


def register_entries(
    overview: tuple[DpiaStatus, ...], lang: str, base_url: str = ""
) -> dict[str, RegisterEntry]:
    """Each flagged activity's entry for the register, linking to its console page under
    ``base_url`` (empty: a path on the console itself)."""
    t = translator(lang)
    entries = {}
    for status in overview:
        latest = status.latest
        if latest is None:
            words = t.gettext("no assessment recorded yet")
        else:
            template = (
                t.gettext(
                    "version {version}, {decision}, decided on {decided_on}; "
                    "its review was due on {next_review}"
                )
                if status.state is ReviewState.REVIEW_DUE
                else t.gettext(
                    "version {version}, {decision}, decided on {decided_on}; "
                    "next review {next_review}"
                )
            )
            words = template.format(
                version=latest.version,
                decision=t.gettext(DECISION_WORDS[latest.decision]),
                decided_on=latest.assessment.decided_on.isoformat(),
                next_review=latest.assessment.next_review.isoformat(),
            )
        url = f"{base_url.rstrip('/')}/console/dpia/{status.activity.id}"
        sentence = t.gettext("DPIA record: {words}").format(words=words)
        entries[status.activity.id] = RegisterEntry(url, words, status.state, sentence)
    return entries
