"""``privaat retention sweep`` on call recordings (issue 12 item 2, issue 13; LEGAL L28):
segments recorded more than the policy's 30 days ago are deleted, a newer one stays, and a
rerun deletes nothing more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from tests.factories import customer
from tests.unit.test_call_rules import wav
from typer.testing import CliRunner

from privaat.bootstrap import bootstrap
from privaat.cli import app
from privaat.domain.clock import FixedClock
from privaat.domain.principal import StaffMember, StaffRole
from privaat.settings import Settings
from privaat.store.tables_calls import call_recording_segments, support_calls

runner = CliRunner()
AGENT = StaffMember(7, StaffRole.SUPPORT)


def _recorded(days_ago: int) -> None:
    when = datetime.now(UTC) - timedelta(days=days_ago)
    context = bootstrap(Settings(), clock=FixedClock(when))
    try:
        me = customer(context)
        with context.unit_of_work() as uow:
            call_id = context.calls.log_call(
                uow, AGENT, subject_id=me.subject_id, language="en", choice="record"
            )
            context.calls.add_segment(uow, AGENT, call_id, start_ms=0, end_ms=1000, audio=wav(1.0))
    finally:
        context.close()


def _counts() -> tuple[int, int]:
    context = bootstrap(Settings(), run_migrations=False)
    try:
        with context.engine.connect() as connection:
            segments = connection.execute(
                select(func.count()).select_from(call_recording_segments)
            ).scalar_one()
            calls = connection.execute(select(func.count()).select_from(support_calls)).scalar_one()
    finally:
        context.close()
    return int(segments), int(calls)


def test_l28_the_retention_sweep_deletes_segments_older_than_30_days(shell: None) -> None:
    _recorded(31)
    _recorded(29)
    assert _counts() == (2, 2)
    result = runner.invoke(app, ["retention", "sweep"])
    assert result.exit_code == 0, result.output
    assert "call_recording\tcall_recording_segments\tdeleted\t1\n" in result.output
    assert _counts() == (1, 2)  # the newer segment, and both calls, stay
    again = runner.invoke(app, ["retention", "sweep"])
    assert again.exit_code == 0 and "call_recording_segments" not in again.output
