"""``privaat policy diff OLD NEW``: the listing, the JSON, and the exit statuses scripts use
(0 no material change, 1 invalid policy, 2 usage or file error, 3 material change; L49;
4 NEW does not raise the versions its changes need; L48, L86)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from privaat.cli import app
from privaat.settings import Settings

FIXTURE = Path(__file__).parents[1] / "unit" / "policy" / "fixtures" / "minimal_policy.yaml"
runner = CliRunner()


def _write(
    tmp_path: Path, name: str, change: Callable[[dict[str, Any]], None] | None = None
) -> Path:
    """The smallest valid policy (shared fixture), changed by ``change``, as a file."""
    data = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    if change is not None:
        change(data)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _activity(data: dict[str, Any], activity_id: str) -> dict[str, Any]:
    return next(a for a in data["activities"] if a["id"] == activity_id)


def _diff(*args: str | Path) -> Any:
    return runner.invoke(app, ["policy", "diff", *map(str, args)])


def _next_version(data: dict[str, Any]) -> None:
    """What every material change needs: a higher policy version and a later date (L48)."""
    data["policy"]["version"] += 1
    data["policy"]["last_updated"] = "2026-12-24"


def _longer_retention(data: dict[str, Any]) -> None:
    _activity(data, "account")["retention"]["period"] = "P60D"
    _next_version(data)


def _new_consent_version(data: dict[str, Any]) -> None:
    _activity(data, "newsletter")["consent"]["version"] = 2
    _next_version(data)


# the English request stays; the Dutch one now also covers SMS and partners' offers
WIDER = "Ja, stuur mij de nieuwsbrief en sms, ook met aanbiedingen van onze partners."


def _dutch_only_widening(data: dict[str, Any]) -> None:
    _activity(data, "newsletter")["consent"]["request"]["nl"] = WIDER
    _next_version(data)


def _line(path: Path, snippet: str) -> int:
    return next(
        n for n, line in enumerate(path.read_text("utf-8").splitlines(), 1) if snippet in line
    )


def _reworded(data: dict[str, Any]) -> None:
    data["policy"]["version"] = 2
    _activity(data, "account")["name"] = {"nl": "Uw account", "en": "Your account"}


def test_p19_identical_policies_exit_0_with_no_changes(tmp_path: Path) -> None:
    old, new = _write(tmp_path, "old.yaml"), _write(tmp_path, "new.yaml")
    result = _diff(old, new)
    assert result.exit_code == 0, result.output
    assert "No changes." in result.stdout


def test_p19_editorial_changes_only_exit_0_and_are_tagged(tmp_path: Path) -> None:
    result = _diff(_write(tmp_path, "old.yaml"), _write(tmp_path, "new.yaml", _reworded))
    assert result.exit_code == 0, result.output
    assert "~ policy.version: 1 → 2  [editorial]" in result.stdout
    assert (
        '~ name: [nl] "Account" → "Uw account"; [en] "Account" → "Your account"  [editorial]'
        in (result.stdout)
    )
    assert "Editorial only" in result.stdout


def test_l49_material_change_exits_3_and_is_listed_by_activity(tmp_path: Path) -> None:
    result = _diff(_write(tmp_path, "old.yaml"), _write(tmp_path, "new.yaml", _longer_retention))
    assert result.exit_code == 3, result.output
    lines = result.stdout.splitlines()
    heading = lines.index("~ account (Account)")
    assert lines[heading + 1].startswith(
        "    ~ retention.period: P30D → P60D  [material] data kept"
    )
    assert "changes 1 material (0 needing fresh consent), 2 editorial" in result.stdout
    assert "announce by e-mail and site notice" in result.stdout


def test_l50_raised_consent_version_is_marked_for_reconsent(tmp_path: Path) -> None:
    new = _write(tmp_path, "new.yaml", _new_consent_version)
    result = _diff(_write(tmp_path, "old.yaml"), new)
    assert result.exit_code == 3, result.output
    assert "~ consent.version: 1 → 2  [material, re-consent]" in result.stdout
    assert "Ask consent again, old consents do not carry over (L50): newsletter." in result.stdout


def test_l48_a_material_change_without_a_new_version_and_date_exits_4(tmp_path: Path) -> None:
    def same_version(data: dict[str, Any]) -> None:
        _activity(data, "account")["retention"]["period"] = "P60D"

    new = _write(tmp_path, "new.yaml", same_version)
    result = _diff(_write(tmp_path, "old.yaml"), new)
    assert result.exit_code == 4, result.output
    assert "~ retention.period: P30D → P60D  [material]" in result.stdout  # still listed
    assert result.stderr.splitlines() == [
        f"privaat: {new} does not say it is a new version (2 problems):",
        f"  {new}:{_line(new, 'version: 1')}: policy.version: material changes need a new "
        "policy version: raise it above 1 (art. 13(3); L48, L49)",
        f"  {new}:{_line(new, 'last_updated:')}: policy.last_updated: material changes need a "
        "later 'last updated' date than 2026-11-26 (art. 13(3); L48)",
    ]


def test_l86_a_dutch_only_widening_of_a_consent_request_is_material(tmp_path: Path) -> None:
    def also_new_consent_version(data: dict[str, Any]) -> None:
        _dutch_only_widening(data)
        _activity(data, "newsletter")["consent"]["version"] = 2

    new = _write(tmp_path, "new.yaml", also_new_consent_version)
    result = _diff(_write(tmp_path, "old.yaml"), new)
    assert result.exit_code == 3, result.output
    # only the Dutch text changed: the listing shows it whole, and not the English one
    shown = f'~ consent.request: [nl] "Ja, stuur mij de nieuwsbrief." → "{WIDER}"'
    assert f"{shown}  [material, re-consent]" in result.stdout
    assert "[en]" not in result.stdout
    assert "Ask consent again, old consents do not carry over (L50): newsletter." in result.stdout


def test_l86_a_consent_request_changed_without_a_new_consent_version_exits_4(
    tmp_path: Path,
) -> None:
    new = _write(tmp_path, "new.yaml", _dutch_only_widening)
    result = _diff(_write(tmp_path, "old.yaml"), new)
    assert result.exit_code == 4, result.output
    # the fixture's consent block has no version key: the problem points at the block
    assert result.stderr.splitlines() == [
        f"privaat: {new} does not say it is a new version (1 problem):",
        f"  {new}:{_line(new, 'consent:')}: activity 'newsletter': consent.version: the "
        "consent request changed (nl) but consent.version is still 1: raise it, consent given "
        "to the old text does not cover the new one (art. 7(1); L50, L86)",
    ]


def test_l48_version_problems_are_in_the_json_too(tmp_path: Path) -> None:
    new = _write(tmp_path, "new.yaml", _dutch_only_widening)
    result = _diff(_write(tmp_path, "old.yaml"), new, "--format", "json")
    assert result.exit_code == 4, result.output
    document = json.loads(result.stdout)
    (problem,) = document["version_problems"]
    assert (problem["activity_id"], problem["field"]) == ("newsletter", "consent.version")
    assert problem["line"] == _line(new, "consent:")
    request = next(c for c in document["changes"] if c["field"] == "consent.request")
    assert (request["kind"], request["languages"]) == ("material", ["nl"])


def test_l49_added_and_removed_activities_have_their_own_lines(tmp_path: Path) -> None:
    def swap(data: dict[str, Any]) -> None:
        selection = _activity(data, "newsletter_selection")
        data["activities"].remove(selection)
        data["activities"].append({**selection, "id": "newsletter_targeting"})
        _next_version(data)

    result = _diff(_write(tmp_path, "old.yaml"), _write(tmp_path, "new.yaml", swap))
    assert result.exit_code == 3, result.output
    assert "+ newsletter_targeting (Newsletter selection)  [material]" in result.stdout
    assert "- newsletter_selection (Newsletter selection)  [editorial]" in result.stdout
    assert "activities 1 added, 1 removed, 0 changed" in result.stdout


def test_l49_json_output_lists_every_change_with_its_kind(tmp_path: Path) -> None:
    def both(data: dict[str, Any]) -> None:
        _new_consent_version(data)
        _reworded(data)

    new = _write(tmp_path, "new.yaml", both)
    result = _diff(_write(tmp_path, "old.yaml"), new, "--format", "json")
    assert result.exit_code == 3, result.output
    document = json.loads(result.stdout)
    assert document["material"] is True
    assert document["requires_reconsent"] is True
    assert document["reconsent_activities"] == ["newsletter"]
    assert (document["old"]["version"], document["new"]["version"]) == (1, 2)
    assert document["activities"] == {
        "added": [],
        "removed": [],
        "changed": ["account", "newsletter"],
    }
    assert document["summary"] == {"material": 1, "editorial": 3}  # version, date, name
    assert document["version_problems"] == []
    version = next(c for c in document["changes"] if c["field"] == "consent.version")
    assert version == {
        "activity_id": "newsletter",
        "field": "consent.version",
        "kind": "material",
        "old": 1,
        "new": 2,
        "reason": version["reason"],
        "requires_reconsent": True,
        "languages": [],
    }
    assert "L50" in version["reason"]
    name = next(c for c in document["changes"] if c["field"] == "name")
    assert name["new"] == {"nl": "Uw account", "en": "Your account"}


def test_p19_json_output_without_changes_exits_0(tmp_path: Path) -> None:
    result = _diff(_write(tmp_path, "a.yaml"), _write(tmp_path, "b.yaml"), "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (document["material"], document["changes"]) == (False, [])


def test_invalid_policy_exits_1_listing_every_problem(tmp_path: Path) -> None:
    def broken(data: dict[str, Any]) -> None:
        del _activity(data, "account")["legal_basis"]
        _activity(data, "newsletter")["retention"]["period"] = "30 days"

    bad = _write(tmp_path, "bad.yaml", broken)
    result = _diff(_write(tmp_path, "good.yaml"), bad)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"privaat: {bad} is not a valid policy (2 problems):" in result.stderr
    assert "activity 'account': legal_basis: field required" in result.stderr
    assert "activity 'newsletter': retention.period: '30 days' is not an ISO 8601" in result.stderr
    assert "Traceback" not in result.output


def test_both_invalid_policies_are_reported_at_once(tmp_path: Path) -> None:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text("policy: [unclosed\n", encoding="utf-8")
    new.write_bytes(b"\xff\xfe not utf-8")
    result = _diff(old, new)
    assert result.exit_code == 1
    assert f"{old} is not a valid policy (1 problem)" in result.stderr
    assert "YAML syntax error" in result.stderr
    assert "not UTF-8 text" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["missing.yaml", "good.yaml"], "missing.yaml: no such file", id="missing"),
        pytest.param([".", "good.yaml"], "is a directory", id="directory"),
        pytest.param(["good.yaml"], "Missing argument", id="one-file"),
        pytest.param(["good.yaml", "good.yaml", "--format", "xml"], "'xml'", id="bad-format"),
    ],
)
def test_usage_and_file_errors_exit_2_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    _write(tmp_path, "good.yaml")
    monkeypatch.chdir(tmp_path)
    result = _diff(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_help_documents_every_exit_status() -> None:
    result = runner.invoke(app, ["policy", "diff", "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0
    for status in (
        "0  no change",
        "1  a policy file is invalid",
        "2  usage error",
        "3  at least",
        "4  NEW does not say it is a new version",
    ):
        assert status in result.stdout


def test_p19_shipped_policy_diffed_with_itself_has_no_changes() -> None:
    shipped = Settings().policy_file
    result = _diff(shipped, shipped)
    assert result.exit_code == 0, result.output
    assert "No changes." in result.stdout


def test_a_policy_too_large_to_read_is_unreadable_exit_2(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("x: " + "a" * (3 * 1024 * 1024), encoding="utf-8")
    result = CliRunner().invoke(app, ["policy", "diff", str(Settings().policy_file), str(big)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
