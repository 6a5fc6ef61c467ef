"""The DPIA register (issue 15 item 9; GDPR art. 35, 36; LEGAL L75, L89) on SQLite and
PostgreSQL: versions numbered and never overwritten, the state per flagged activity, every
version in the audit trail without personal data, and a refused version leaving nothing."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.domain.dpia import Decision, Level, ReviewState
from privaat.domain.principal import StaffMember, StaffRole
from privaat.services.dpia import DpiaActivityUnknown, register_entries
from privaat.services.errors import Conflict, InvalidField, NotPermitted
from privaat.store.audit import AuditTrail
from privaat.store.tables import audit_log
from privaat.store.tables_dpia import dpia_assessments

OFFICER = StaffMember(7, StaffRole.PRIVACY_OFFICER)
# the flagged activities of the shipped policy (flexibelt.yaml, dpia.criteria), in its order
FLAGGED = (
    "security_logging",
    "marketing_selection",
    "voip_sync_telemetry",
    "device_precise_location",
    "call_recording",
    "call_detail_records",
    "fraud_detection",
    "datacenter_login_location",
    "website_analytics",
    "app_hosting_analytics",
    "staff_accounts",
)


def assessment(activity: str = "call_recording", **overrides: Any) -> dict[str, Any]:
    """A valid assessment of call recording (the conftest clock's day is 2026-11-26)."""
    document: dict[str, Any] = {
        "activity": activity,
        "necessity": "Recording only calls the caller agreed to; notes alone miss the wording.",
        "risks": [
            {
                "id": "overheard",
                "description": "Colleagues listen to a recording without a reason.",
                "likelihood": "medium",
                "severity": "high",
                "rights": ["private_life"],
                "residual": {"likelihood": "low", "severity": "high"},
            }
        ],
        "measures": [
            {
                "description": "Only team leaders play a recording; every playback is logged.",
                "reduces": ["overheard"],
            }
        ],
        "decision": "proceed_with_measures",
        "decided_on": "2026-11-20",
        "next_review": "2027-11-20",
    }
    document.update(overrides)
    return document


def _rows(context: Context) -> list[Any]:
    with context.engine.connect() as connection:
        return list(connection.execute(select(dpia_assessments).order_by(dpia_assessments.c.id)))


def _audit(context: Context) -> list[Any]:
    with context.engine.connect() as connection:
        return list(
            connection.execute(select(audit_log).where(audit_log.c.action == "dpia.recorded"))
        )


def test_l89_the_overview_lists_every_flagged_activity_without_an_assessment(
    context: Context,
) -> None:
    with context.unit_of_work() as uow:
        rows = context.dpia.overview(uow)
    assert tuple(row.activity.id for row in rows) == FLAGGED
    assert {row.state for row in rows} == {ReviewState.NONE}
    assert all(row.latest is None for row in rows)


def test_item9_a_new_version_never_overwrites_the_old_one(context: Context) -> None:
    with context.unit_of_work() as uow:
        first = context.dpia.record(uow, OFFICER, assessment())
        second = context.dpia.record(
            uow, OFFICER, assessment(decision="proceed", measures=None, risks=_unreduced())
        )
    assert (first.version, second.version) == (1, 2)
    rows = _rows(context)
    assert [(r.version, r.decision) for r in rows] == [
        (1, "proceed_with_measures"),
        (2, "proceed"),
    ]
    assert json.loads(rows[0].measures)[0]["reduces"] == ["overheard"]  # version 1 as it was
    with context.unit_of_work() as uow:
        history = context.dpia.history(uow, "call_recording")
    assert [v.version for v in history.versions] == [2, 1]
    assert history.versions[1].assessment == first.assessment  # read back whole
    assert history.versions[0].decided_by_role is StaffRole.PRIVACY_OFFICER
    assert history.versions[0].recorded_by == "staff:7:privacy_officer"
    assert history.state is ReviewState.DECIDED


def _unreduced() -> list[dict[str, Any]]:
    return [
        {
            "id": "overheard",
            "description": "A recording is kept longer than needed.",
            "likelihood": "low",
            "severity": "medium",
            "rights": ["private_life", "data_protection"],
        }
    ]


def test_item9_the_state_turns_review_due_on_the_review_day(
    context: Context, clock: FixedClock
) -> None:
    with context.unit_of_work() as uow:
        context.dpia.record(uow, OFFICER, assessment("fraud_detection"))
        states = {row.activity.id: row for row in context.dpia.overview(uow)}
    fraud = states["fraud_detection"]
    assert fraud.state is ReviewState.DECIDED
    assert fraud.latest is not None and fraud.latest.decision is Decision.PROCEED_WITH_MEASURES
    assert fraud.latest.residual is Level.MEDIUM  # low × high
    assert states["call_recording"].state is ReviewState.NONE
    clock.advance(timedelta(days=359))  # 2027-11-20, the review day
    with context.unit_of_work() as uow:
        due = {row.activity.id: row.state for row in context.dpia.overview(uow)}
        latest = context.dpia.latest(uow)
    assert due["fraud_detection"] is ReviewState.REVIEW_DUE
    assert set(latest) == {"fraud_detection"}


def test_item9_every_version_is_audited_by_activity_version_and_decision_only(
    context: Context,
) -> None:
    with context.unit_of_work() as uow:
        context.dpia.record(uow, OFFICER, assessment())
    (entry,) = _audit(context)
    assert entry.actor == "staff:7:privacy_officer"
    assert entry.subject_pseudonym is None
    assert json.loads(entry.detail) == {
        "activity": "call_recording",
        "version": 1,
        "decision": "proceed_with_measures",
        "residual": "medium",
    }
    with context.engine.connect() as connection:
        assert AuditTrail.verify(connection).ok


def test_art36_a_high_residual_risk_with_proceed_is_refused_and_nothing_written(
    context: Context,
) -> None:
    risks = assessment()["risks"]
    risks[0]["residual"] = {"likelihood": "medium", "severity": "high"}
    with context.unit_of_work() as uow, pytest.raises(InvalidField) as caught:
        context.dpia.record(uow, OFFICER, assessment(risks=risks))
    assert caught.value.field == "decision"
    assert _rows(context) == [] and _audit(context) == []
    with context.unit_of_work() as uow:
        version = context.dpia.record(uow, OFFICER, assessment(risks=risks, decision="consult_ap"))
    assert version.assessment.consultation_required and version.residual is Level.HIGH


@pytest.mark.parametrize(
    ("activity", "words"),
    [
        pytest.param("no_such_activity", "no activity of this name", id="unknown-activity"),
        # account's screening meets no criterion and names no DPIA
        pytest.param("account", "finds no DPIA needed", id="not-flagged"),
    ],
)
def test_l89_an_activity_the_screening_does_not_flag_is_refused(
    context: Context, activity: str, words: str
) -> None:
    assert activity not in FLAGGED
    with context.unit_of_work() as uow, pytest.raises(InvalidField) as caught:
        context.dpia.record(uow, OFFICER, assessment(activity))
    assert caught.value.field == "activity" and words in caught.value.message
    with context.unit_of_work() as uow, pytest.raises(DpiaActivityUnknown):
        context.dpia.history(uow, activity)
    assert _rows(context) == []


def test_item9_a_card_number_in_a_text_is_refused_by_the_text_rule(context: Context) -> None:
    measures = [{"description": "Refund to card 4111 1111 1111 1111.", "reduces": ["overheard"]}]
    with context.unit_of_work() as uow, pytest.raises(InvalidField) as caught:
        context.dpia.record(uow, OFFICER, assessment(measures=measures))
    assert caught.value.field == "measures[1].description"
    assert _rows(context) == []


def test_item9_only_the_privacy_officer_records(context: Context) -> None:
    with context.unit_of_work() as uow, pytest.raises(NotPermitted):
        context.dpia.record(uow, StaffMember(8, StaffRole.ADMINISTRATOR), assessment())
    assert _rows(context) == []


def test_item9_a_version_based_on_an_old_one_is_a_conflict(context: Context) -> None:
    with context.unit_of_work() as uow:
        context.dpia.record(uow, OFFICER, assessment(), based_on=0)
        with pytest.raises(Conflict):
            context.dpia.record(uow, OFFICER, assessment(), based_on=0)  # someone saw none
        context.dpia.record(uow, OFFICER, assessment(), based_on=1)
    assert [r.version for r in _rows(context)] == [1, 2]
    with context.engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(audit_log)).scalar_one()
    assert count >= 2 and len(_audit(context)) == 2


def test_item9_dates_are_stored_as_days(context: Context) -> None:
    with context.unit_of_work() as uow:
        context.dpia.record(uow, OFFICER, assessment())
    (row,) = _rows(context)
    assert (row.decided_on, row.next_review) == (date(2026, 11, 20), date(2027, 11, 20))
    assert row.residual == "medium"


@pytest.mark.database("postgresql")  # SQLite's writer holds the lock from its first read
def test_item9_two_officers_at_once_the_second_is_a_conflict_and_nothing_overwritten(
    context: Context,
) -> None:
    """PostgreSQL: both read "no version yet"; the one that commits first is version 1, the
    other's insert meets the unique pair and is a Conflict, rolled back with its audit entry."""
    other_officer = StaffMember(9, StaffRole.PRIVACY_OFFICER)
    fired: list[bool] = []

    def meanwhile(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # just before our INSERT, another officer's whole version commits on its own connection
        if statement.startswith("INSERT INTO dpia_assessments") and not fired:
            fired.append(True)
            with context.unit_of_work() as other:
                context.dpia.record(other, other_officer, assessment())

    event.listen(context.engine, "before_cursor_execute", meanwhile)
    try:
        with context.unit_of_work() as uow, pytest.raises(Conflict):
            context.dpia.record(uow, OFFICER, assessment())
    finally:
        event.remove(context.engine, "before_cursor_execute", meanwhile)
    (row,) = _rows(context)
    assert (row.version, row.recorded_by) == (1, "staff:9:privacy_officer")
    assert [entry.actor for entry in _audit(context)] == ["staff:9:privacy_officer"]


def test_l73_the_registers_entry_names_the_latest_decision_and_a_review_due(
    context: Context, clock: FixedClock
) -> None:
    with context.unit_of_work() as uow:
        context.dpia.record(uow, OFFICER, assessment())
        before = register_entries(context.dpia.overview(uow), "en", "https://p.example/")
    entry = before["call_recording"]
    assert entry.url == "https://p.example/console/dpia/call_recording"
    assert entry.words == (
        "version 1, proceed with the measures, decided on 2026-11-20; next review 2027-11-20"
    )
    assert entry.sentence == f"DPIA record: {entry.words}"
    assert before["fraud_detection"].words == "no assessment recorded yet"
    assert set(before) == set(FLAGGED)
    clock.advance(timedelta(days=400))
    with context.unit_of_work() as uow:
        after = register_entries(context.dpia.overview(uow), "nl")
    assert after["call_recording"].state is ReviewState.REVIEW_DUE
    assert after["call_recording"].url == "/console/dpia/call_recording"
    assert after["call_recording"].words == (
        "versie 1, doorgaan met de maatregelen, besloten op 2026-11-20; "
        "de herziening was nodig op 2027-11-20"
    )
