"""The console's DPIA register (issue 15 item 9; art. 35, 36; L89) over HTTP, on SQLite and
PostgreSQL: the flagged activities with their state, a version recorded through the form
(CSRF-checked, the privacy officer's alone), the history, refusals that write nothing, and
the register of processing linking each flagged activity to its DPIA with the decision."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.integration.test_console_roles import csrf_token, staff_session
from tests.integration.test_dpia_register import FLAGGED, assessment

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.domain.principal import StaffRole
from privaat.store.tables import audit_log
from privaat.store.tables_dpia import dpia_assessments
from privaat.web.app import create_app
from privaat.web.console.access import STAFF_COOKIE


def _browser(context: Context, clock: FixedClock, role: StaffRole) -> TestClient:
    client = TestClient(create_app(context), client=("145.97.0.1", 50000))
    client.cookies.set(STAFF_COOKIE, staff_session(context, clock, role))
    return client


@pytest.fixture
def officer(context: Context, clock: FixedClock) -> Iterator[TestClient]:
    with _browser(context, clock, StaffRole.PRIVACY_OFFICER) as client:
        yield client


def _post(
    client: TestClient, activity: str, document: Any, *, based_on: str = "0", lang: str = "en"
) -> Any:
    text = document if isinstance(document, str) else yaml.safe_dump(document)
    path = f"/console/dpia/{activity}"
    return client.post(
        f"{path}?lang={lang}",
        data={"csrf_token": csrf_token(client, path), "document": text, "based_on": based_on},
        follow_redirects=False,
    )


def _counts(context: Context) -> tuple[int, int]:
    with context.engine.connect() as connection:
        rows = connection.execute(select(func.count()).select_from(dpia_assessments))
        audited = connection.execute(
            select(func.count()).select_from(audit_log).where(audit_log.c.action == "dpia.recorded")
        )
        return int(rows.scalar_one()), int(audited.scalar_one())


def _text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_l89_the_list_shows_every_flagged_activity_without_an_assessment(
    officer: TestClient,
) -> None:
    page = officer.get("/console/dpia?lang=en")
    assert page.status_code == 200
    states = dict(re.findall(r'<tr id="dpia-row-([a-z_]+)" data-state="([a-z_]+)"', page.text))
    assert tuple(states) == FLAGGED
    assert set(states.values()) == {"none"}
    assert "11 activities have no assessment yet." in page.text
    assert 'href="/console/dpia/fraud_detection"' in page.text


def test_item9_the_officer_records_versions_and_sees_the_history(
    officer: TestClient, context: Context
) -> None:
    form = officer.get("/console/dpia/call_recording?lang=en")
    assert form.status_code == 200
    assert "No assessment is recorded for this activity yet." in form.text
    # the form starts from a skeleton naming the activity, in the command's YAML
    draft = re.search(r'name="document"[^>]*>(.*?)</textarea>', form.text, re.S)
    assert draft and yaml.safe_load(unescape(draft.group(1)))["activity"] == "call_recording"

    done = _post(officer, "call_recording", assessment())
    assert done.status_code == 303
    assert done.headers["location"] == "/console/dpia/call_recording?notice=recorded"
    risks = assessment()["risks"]
    risks[0]["residual"] = {"likelihood": "medium", "severity": "high"}
    again = _post(
        officer, "call_recording", assessment(risks=risks, decision="consult_ap"), based_on="1"
    )
    assert again.status_code == 303
    assert _counts(context) == (2, 2)

    page = officer.get("/console/dpia/call_recording?lang=en&notice=recorded")
    text = _text(page.text)
    assert "The new version is recorded; the earlier versions stay as they were." in text
    assert "2 versions" in text
    assert page.text.index('id="dpia-version-2"') < page.text.index('id="dpia-version-1"')
    assert "prior consultation of the Autoriteit Persoonsgegevens is required" in text
    assert 'data-decision="consult_ap"' in page.text
    assert 'data-decision="proceed_with_measures"' in page.text  # version 1 stays
    assert "on 2026-11-20 by the privacy officer" in text
    assert "medium × high: high" in text and "low × high: medium" in text
    assert "private life and communications (Charter art. 7)" in text
    # the next version starts from the latest: the form holds version 2's decision
    draft = re.search(r'name="document"[^>]*>(.*?)</textarea>', page.text, re.S)
    assert draft and yaml.safe_load(unescape(draft.group(1)))["decision"] == "consult_ap"
    assert 'name="based_on" value="2"' in page.text

    listed = officer.get("/console/dpia?lang=en")
    row = re.search(r'<tr id="dpia-row-call_recording".*?</tr>', listed.text, re.S)
    assert row and 'data-state="decided"' in row.group(0)
    assert 'data-decision="consult_ap"' in row.group(0)


def test_item9_the_page_is_dutch_for_a_dutch_officer(officer: TestClient) -> None:
    _post(officer, "fraud_detection", assessment("fraud_detection"))
    page = _text(officer.get("/console/dpia/fraud_detection?lang=nl").text)
    assert "doorgaan met de maatregelen" in page
    assert "privéleven en communicatie (art. 7 Handvest)" in page
    assert "Versie 1" in page


@pytest.mark.parametrize(
    ("document", "field", "words"),
    [
        pytest.param("risks: [unclosed\n", "document", "not valid YAML (line 2)", id="bad-yaml"),
        pytest.param("- a list\n", "document", "the fields of one assessment", id="a-list"),
        pytest.param(
            assessment("fraud_detection"), "activity", "another activity", id="other-activity"
        ),
        pytest.param(
            assessment(measures=[{"description": "Logs.", "reduces": ["nobody"]}]),
            "measures[1].reduces",
            "names a risk the assessment does not list",
            id="unknown-risk",
        ),
        pytest.param(assessment(risks=[]), "risks", "at least one risk", id="no-risks"),
    ],
)
def test_item9_a_refused_form_is_the_page_again_with_the_reason_and_nothing_written(
    officer: TestClient, context: Context, document: Any, field: str, words: str
) -> None:
    response = _post(officer, "call_recording", document)
    assert response.status_code == 422
    error = re.search(r'<p class="error" id="dpia-record-error".*?</p>', response.text, re.S)
    assert error, response.text[:2000]
    assert f"{field}" in _text(error.group(0)) and words in _text(error.group(0))
    typed = document if isinstance(document, str) else yaml.safe_dump(document)
    assert typed.splitlines()[0] in unescape(response.text)  # the text as typed stays
    assert _counts(context) == (0, 0)


def test_art36_proceeding_on_a_high_residual_risk_is_refused_in_the_officers_language(
    officer: TestClient, context: Context
) -> None:
    risks = assessment()["risks"]
    risks[0]["residual"] = {"likelihood": "medium", "severity": "high"}
    response = _post(officer, "call_recording", assessment(risks=risks), lang="nl")
    assert response.status_code == 422
    assert "voorafgaande raadpleging van de Autoriteit Persoonsgegevens" in _text(response.text)
    assert _counts(context) == (0, 0)


def test_item9_a_form_based_on_an_older_version_is_a_conflict(
    officer: TestClient, context: Context
) -> None:
    assert _post(officer, "call_recording", assessment()).status_code == 303
    stale = _post(officer, "call_recording", assessment(decision="proceed"), based_on="0")
    assert stale.status_code == 409
    assert "recorded meanwhile" in stale.text
    assert _counts(context) == (1, 1)


def test_item9_an_unknown_or_unflagged_activity_is_not_found(officer: TestClient) -> None:
    for activity in ("no_such_activity", "account"):
        assert officer.get(f"/console/dpia/{activity}").status_code == 404
        assert _post(officer, activity, assessment(activity)).status_code == 404


def test_item9_an_administrator_reads_the_register_but_records_nothing(
    context: Context, clock: FixedClock
) -> None:
    with _browser(context, clock, StaffRole.ADMINISTRATOR) as admin:
        page = admin.get("/console/dpia/call_recording?lang=en")
        assert page.status_code == 200
        assert 'id="dpia-record-form"' not in page.text
        refused = admin.post(
            "/console/dpia/call_recording",
            data={"csrf_token": csrf_token(admin, "/console/dpia"), "document": "x: 1"},
            follow_redirects=False,
        )
        assert refused.status_code == 403
    assert _counts(context) == (0, 0)


def test_item9_a_post_without_its_csrf_token_is_refused(
    officer: TestClient, context: Context
) -> None:
    response = officer.post(
        "/console/dpia/call_recording",
        data={"document": yaml.safe_dump(assessment())},
        follow_redirects=False,
    )
    assert response.status_code in (400, 403)
    assert _counts(context) == (0, 0)


def test_l73_the_register_links_each_flagged_activity_to_its_dpia_with_the_decision(
    officer: TestClient,
) -> None:
    _post(officer, "fraud_detection", assessment("fraud_detection"))
    page = officer.get("/console/ropa?lang=en")
    assert page.status_code == 200
    entries = dict(
        re.findall(r'<dd id="ropa-([a-z_]+)-dpia" data-state="[a-z_]+">(.*?)</dd>', page.text)
    )
    assert tuple(entries) == FLAGGED  # every flagged activity, and only those
    assert 'href="/console/dpia/fraud_detection"' in entries["fraud_detection"]
    assert _text(entries["fraud_detection"]).strip() == (
        "version 1, proceed with the measures, decided on 2026-11-20; next review 2027-11-20"
    )
    assert _text(entries["call_recording"]).strip() == "no assessment recorded yet"
    # right after the activity's screening, whose words it completes
    section = page.text[page.text.index('id="ropa-fraud_detection"') :]
    screening = section.index("DPIA screening (GDPR art. 35)")
    assert screening < section.index("DPIA record (GDPR art. 35)") < section.index("Notes")
    dutch = _text(officer.get("/console/ropa?lang=nl").text)
    assert "versie 1, doorgaan met de maatregelen, besloten op 2026-11-20" in dutch
