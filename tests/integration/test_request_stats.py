"""Request figures (issue 11 item 11): requests per kind per ISO week and the days from
receipt to completion, on a hand-built set of requests with hand-computed answers; read in
aggregate by the privacy officer only, the reading in the audit trail, and the console page
showing the same figures with its definitions."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.message import EmailMessage
from fractions import Fraction

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.factories import customer
from tests.integration.test_console_roles import staff_session

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.domain.consent_weeks import IsoWeek, WeekRange
from privaat.domain.principal import StaffMember, StaffRole
from privaat.domain.subject_requests import Action, RequestKind
from privaat.services.errors import NotPermitted
from privaat.services.subject_requests import RequestChannel
from privaat.store.tables import audit_log
from privaat.web.app import create_app
from privaat.web.console.access import STAFF_COOKIE

OFFICER = StaffMember(1, StaffRole.PRIVACY_OFFICER)
WEEKS = WeekRange(IsoWeek(2026, 48), 3)  # W46 (9-15 Nov), W47 (16-22 Nov), W48 (23-29 Nov)


def _at(clock: FixedClock, day: int, month: int = 11) -> None:
    clock.advance(datetime(2026, month, day, 9, 30, tzinfo=UTC) - clock.now())


def _file(context: Context, kind: RequestKind) -> str:
    person = customer(context)
    with context.unit_of_work() as uow:
        row, _new = context.requests.file_for(
            uow, person.principal, kind, channel=RequestChannel.WEB
        )
    return row.reference


def _complete(context: Context, reference: str) -> None:
    with context.unit_of_work() as uow:
        context.requests.act(uow, OFFICER, reference, Action.START)
        context.requests.act(uow, OFFICER, reference, Action.COMPLETE)


@pytest.fixture
def history(context: Context, clock: FixedClock) -> None:
    """The requests of W45-W48 of 2026; the comments give each one's days to answer."""
    _at(clock, 3)  # W45, outside the range: counted only where it is completed
    early = _file(context, RequestKind.RECTIFICATION)
    _at(clock, 10)  # Tuesday of W46
    a1 = _file(context, RequestKind.ACCESS)
    a2 = _file(context, RequestKind.ACCESS)
    e1 = _file(context, RequestKind.ERASURE)
    _at(clock, 12)
    _complete(context, early)  # 3 → 12 November: 9 days, completed in W46
    _at(clock, 17)  # Tuesday of W47
    o1 = _file(context, RequestKind.OBJECTION)
    refused = _file(context, RequestKind.ACCESS)
    _complete(context, a1)  # 10 → 17: 7 days
    _at(clock, 19)
    _complete(context, a2)  # 10 → 19: 9 days
    _at(clock, 24)  # Tuesday of W48
    p1 = _file(context, RequestKind.PORTABILITY)
    _complete(context, e1)  # 10 → 24: 14 days
    _complete(context, o1)  # 17 → 24: 7 days
    with context.unit_of_work() as uow:  # a refusal is no answer: not in the days
        context.requests.act(uow, OFFICER, refused, Action.REFUSE, reason="Ongegrond")
    _at(clock, 25)
    message = EmailMessage()
    message["From"], message["To"] = "iemand@example.nl", "privacy@flexibelt.example"
    message["Subject"] = "Vraag"
    message.set_content("Hallo, ik heb een vraag.")
    with context.unit_of_work() as uow:  # a mail that names no right: UNCLEAR
        context.requests.receive_mail(uow, message.as_bytes())
    _at(clock, 26)  # Thursday of W48 (the fixture's day)
    _complete(context, p1)  # 24 → 26: 2 days


@pytest.mark.usefixtures("history")
def test_issue11_11_requests_per_kind_per_week_are_counted_by_week_of_receipt(
    context: Context,
) -> None:
    with context.unit_of_work() as uow:
        report = context.request_stats.weekly(uow, OFFICER, WEEKS)
    counts = {
        str(week.week): {kind: n for kind, n in week.by_method if n} for week in report.received
    }
    assert counts == {
        "2026-W46": {"access": 2, "erasure": 1},
        "2026-W47": {"access": 1, "objection": 1},
        "2026-W48": {"portability": 1, "unclear": 1},
    }
    assert [week.total for week in report.received] == [3, 2, 2]


@pytest.mark.usefixtures("history")
def test_issue11_11_days_to_answer_are_the_median_and_90th_percentile_per_week_of_completion(
    context: Context,
) -> None:
    with context.unit_of_work() as uow:
        report = context.request_stats.weekly(uow, OFFICER, WEEKS)
    figures = [(str(w.week), w.count, w.median, w.p90) for w in report.answered]
    assert figures == [
        ("2026-W46", 1, Fraction(9), 9),  # [9]
        ("2026-W47", 2, Fraction(8), 9),  # [7, 9]: the mean of the two; rank ⌈1.8⌉ = 2
        ("2026-W48", 3, Fraction(7), 14),  # [2, 7, 14]: the middle; rank ⌈2.7⌉ = 3
    ]


def test_issue11_11_only_the_privacy_officer_reads_the_figures_and_the_trail_records_it(
    context: Context,
) -> None:
    with context.unit_of_work() as uow:
        with pytest.raises(NotPermitted):
            context.request_stats.weekly(uow, StaffMember(2, StaffRole.SUPPORT), WEEKS)
        context.request_stats.weekly(uow, OFFICER, WEEKS)
    with context.engine.connect() as connection:
        rows = connection.execute(
            select(audit_log.c.actor, audit_log.c.detail, audit_log.c.subject_pseudonym).where(
                audit_log.c.action == "request.figures_read"
            )
        ).all()
    assert [(r.actor, json.loads(r.detail), r.subject_pseudonym) for r in rows] == [
        ("staff:1:privacy_officer", {"until": "2026-W48", "weeks": 3}, None)
    ]


@pytest.mark.usefixtures("history")
def test_issue11_11_the_figures_page_shows_the_same_figures_with_their_definitions(
    context: Context, clock: FixedClock
) -> None:
    with TestClient(create_app(context), client=("145.97.0.1", 50000)) as console:
        console.cookies.set(STAFF_COOKIE, staff_session(context, clock, StaffRole.PRIVACY_OFFICER))
        page = console.get("/console/requests/figures?weeks=3&until=2026-W48&lang=en")
        assert page.status_code == 200
        text = page.text
        assert "Nine in ten requests" in text and "the mean of the two middle values" in text
        w47 = text.split('id="request-answer-table"', 1)[1].split('data-week="2026-W47"', 1)[1]
        row = w47.split("</tr>", 1)[0]
        assert '<td data-column="count">2</td>' in row
        assert '<td data-column="median">8</td>' in row and '<td data-column="p90">9</td>' in row
        w46 = text.split('id="request-kind-table"', 1)[1].split('data-week="2026-W46"', 1)[1]
        row = w46.split("</tr>", 1)[0]
        assert '<td data-kind="access">2</td>' in row and '<td data-kind="total">3</td>' in row
        assert 'role="img"' in text and 'id="request-kind-chart"' in text
        assert 'id="request-answer-chart"' in text
        bad = console.get("/console/requests/figures?weeks=0")
        assert bad.status_code == 422 and 'id="figures-range-weeks-error"' in bad.text
        future = console.get("/console/requests/figures?until=2027-W10")
        assert future.status_code == 422 and 'id="figures-range-until-error"' in future.text
