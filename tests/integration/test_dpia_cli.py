"""``privaat dpia list|show|record`` (issue 15 item 9; art. 35, 36; L89): the register from the
shell; a bad file, an unknown or unflagged activity or a refused value is one
``privaat: …`` line, exit 2, nothing recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from tests.integration.test_console_roles import enrolled_staff
from tests.integration.test_dpia_register import assessment
from typer.testing import CliRunner, Result

from privaat.bootstrap import bootstrap
from privaat.cli import app
from privaat.domain.principal import StaffRole
from privaat.settings import Settings
from privaat.store.tables import audit_log
from privaat.store.tables_dpia import dpia_assessments

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("shell")


def _run(*arguments: str) -> Result:
    result = runner.invoke(app, list(arguments))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def _staff(role: StaffRole) -> str:
    context = bootstrap(Settings())
    try:
        return str(enrolled_staff(context, role).staff_id)
    finally:
        context.close()


def _counts() -> tuple[int, int]:
    context = bootstrap(Settings(), run_migrations=False)
    try:
        with context.engine.connect() as connection:
            rows = connection.execute(select(func.count()).select_from(dpia_assessments))
            audited = connection.execute(
                select(func.count())
                .select_from(audit_log)
                .where(audit_log.c.action == "dpia.recorded")
            )
            return int(rows.scalar_one()), int(audited.scalar_one())
    finally:
        context.close()


def _file(tmp_path: Path, content: object, name: str = "dpia.yaml") -> str:
    path = tmp_path / name
    path.write_text(
        content if isinstance(content, str) else yaml.safe_dump(content, allow_unicode=True),
        encoding="utf-8",
    )
    return str(path)


def _today_assessment(activity: str = "call_recording", **overrides: object) -> dict[str, object]:
    # the shell runs on the system clock: decide yesterday, review within a year
    from datetime import UTC, datetime, timedelta

    today = datetime.now(UTC).date()
    return assessment(
        activity,
        decided_on=(today - timedelta(days=1)).isoformat(),
        next_review=(today + timedelta(days=300)).isoformat(),
        **overrides,
    )


def test_item9_record_then_list_and_show_the_versions(tmp_path: Path) -> None:
    officer = _staff(StaffRole.PRIVACY_OFFICER)
    first = _run("dpia", "record", _file(tmp_path, _today_assessment()), "--officer", officer)
    assert first.exit_code == 0, first.output
    assert "call_recording: version 1: proceed_with_measures, residual risk medium" in first.output
    assert "by the privacy_officer" in first.output
    risks = _today_assessment()["risks"]
    risks[0]["residual"] = {"likelihood": "medium", "severity": "high"}  # type: ignore[index]
    second = _run(
        "dpia",
        "record",
        _file(tmp_path, _today_assessment(risks=risks, decision="consult_ap"), "v2.yaml"),
        "--officer",
        officer,
    )
    assert second.exit_code == 0, second.output
    assert "version 2: consult_ap, residual risk high" in second.output
    assert "consult the Autoriteit Persoonsgegevens first" in second.output

    listed = _run("dpia", "list", "--json")
    rows = {row["activity"]: row for row in map(json.loads, listed.output.splitlines())}
    assert rows["call_recording"]["state"] == "decided"
    assert rows["call_recording"]["version"] == 2
    assert rows["call_recording"]["decision"] == "consult_ap"
    assert rows["fraud_detection"]["state"] == "none"
    assert rows["fraud_detection"]["criteria"] == ["fraud_prevention", "profiling"]
    text = _run("dpia", "list").output
    assert "11 activities flagged for a DPIA" in text

    shown = _run("dpia", "show", "call_recording", "--json")
    versions = json.loads(shown.output)
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[1]["decision"] == "proceed_with_measures"  # version 1 unchanged
    assert versions[1]["risks"][0]["residual"] == {"likelihood": "low", "severity": "high"}
    plain = _run("dpia", "show", "call_recording").output
    assert "risk overheard: high -> high (private_life)" in plain
    assert "measure (overheard): Only team leaders play a recording" in plain
    assert _counts() == (2, 2)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param("risks: [unclosed\n", "not a YAML file", id="broken-yaml"),
        pytest.param("- just\n- a list\n", "expected the fields of one assessment", id="a-list"),
        pytest.param("", "expected the fields of one assessment", id="empty-file"),
    ],
)
def test_item9_a_bad_yaml_file_exits_2_and_records_nothing(
    tmp_path: Path, content: str, expected: str
) -> None:
    officer = _staff(StaffRole.PRIVACY_OFFICER)
    result = _run("dpia", "record", _file(tmp_path, content), "--officer", officer)
    assert result.exit_code == 2
    assert expected in result.output
    assert _counts() == (0, 0)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        pytest.param(
            _today_assessment(measures=[{"description": "Logs.", "reduces": ["nobody"]}]),
            "privaat: measures[1].reduces: This measure names a risk the assessment does not list.",
            id="unknown-risk",
        ),
        pytest.param(
            _today_assessment(risks=[]),
            "privaat: risks: An assessment needs at least one risk (art. 35(7)(c)).",
            id="no-risks",
        ),
        pytest.param(
            _today_assessment("no_such_activity"),
            "privaat: activity: The policy has no activity of this name.",
            id="unknown-activity",
        ),
        pytest.param(
            _today_assessment("account"),
            "privaat: activity: The policy's screening finds no DPIA needed",
            id="not-flagged",
        ),
    ],
)
def test_item9_a_refused_assessment_exits_2_with_its_field_and_records_nothing(
    tmp_path: Path, document: dict[str, object], expected: str
) -> None:
    officer = _staff(StaffRole.PRIVACY_OFFICER)
    result = _run("dpia", "record", _file(tmp_path, document), "--officer", officer)
    assert result.exit_code == 2
    assert expected in result.output
    assert _counts() == (0, 0)


def test_item9_record_needs_a_privacy_officer_and_a_readable_file(tmp_path: Path) -> None:
    admin = _staff(StaffRole.ADMINISTRATOR)
    refused = _run("dpia", "record", _file(tmp_path, _today_assessment()), "--officer", admin)
    assert refused.exit_code == 2
    assert "privacy officer" in refused.output
    missing = _run("dpia", "record", str(tmp_path / "nowhere.yaml"), "--officer", admin)
    assert missing.exit_code == 2 and "nowhere.yaml" in missing.output
    assert _counts() == (0, 0)


def test_item9_show_an_unknown_activity_exits_2() -> None:
    result = _run("dpia", "show", "no_such_activity")
    assert result.exit_code == 2
    assert "privaat: activity: The policy's screening flags no activity" in result.output


def test_l73_ropa_dpia_writes_each_flagged_activitys_latest_decision_and_link(
    tmp_path: Path,
) -> None:
    officer = _staff(StaffRole.PRIVACY_OFFICER)
    document = _today_assessment("fraud_detection")
    assert _run("dpia", "record", _file(tmp_path, document), "--officer", officer).exit_code == 0
    rows = {
        row["activity_id"]: row
        for row in json.loads(_run("ropa", "--dpia", "--format", "json").output)
    }
    assert rows["fraud_detection"]["dpia"].endswith(
        f"DPIA record: version 1, proceed with the measures, decided on {document['decided_on']}; "
        f"next review {document['next_review']}: "
        "https://privacy.flexibelt.example/console/dpia/fraud_detection"
    )
    assert rows["call_recording"]["dpia"].endswith(
        "DPIA record: no assessment recorded yet: "
        "https://privacy.flexibelt.example/console/dpia/call_recording"
    )
    assert "DPIA record" not in rows["account"]["dpia"]  # not flagged: the screening only
    html = _run("ropa", "--dpia", "--format", "html", "--lang", "nl").output
    assert '<a href="https://privacy.flexibelt.example/console/dpia/fraud_detection"' in html
    assert "doorgaan met de maatregelen" in html
    plain = json.loads(_run("ropa", "--format", "json").output)  # without --dpia: no database
    assert all("DPIA record" not in row["dpia"] for row in plain)
    refused = _run("ropa", "--dpia", "--vendors")
    assert refused.exit_code == 2
