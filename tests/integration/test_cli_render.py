"""The operator commands ``privaat policy render`` and ``privaat ropa``, through the real CLI."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from privaat.cli import app
from privaat.policy.loader import load_policy_file
from privaat.policy.ropa import ART_30_1_FIELDS
from privaat.settings import default_policy_file

runner = CliRunner()
SHIPPED = default_policy_file()


def _run(*arguments: str) -> Result:
    result = runner.invoke(app, list(arguments))
    # a clear message, never a traceback: the only exception may be the exit itself
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def _message(stream: str) -> str:
    """A usage error as one line: without the box Typer draws around it."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", stream).split())


@pytest.fixture
def broken_policy(tmp_path: Path) -> Path:
    """The shipped policy with its first activity's legal basis misspelt."""
    text = SHIPPED.read_text("utf-8").replace("legal_basis: contract", "legal_basis: contrakt", 1)
    path = tmp_path / "broken.yaml"
    path.write_text(text, "utf-8")
    return path


# --- policy render ------------------------------------------------------------------------------


def test_p19_render_writes_the_dutch_html_policy_to_the_output_file(tmp_path: Path) -> None:
    output = tmp_path / "privacy.nl.html"
    result = _run(
        "policy",
        "render",
        "--policy",
        str(SHIPPED),
        "--lang",
        "nl",
        "--format",
        "html",
        "--output",
        str(output),
    )
    assert result.exit_code == 0, result.output
    html = output.read_text("utf-8")
    assert html.startswith("<!DOCTYPE html>") and '<html lang="nl">' in html
    assert 'Laatst bijgewerkt: <time datetime="2026-11-26">26 november 2026</time>' in html
    assert result.stdout == ""
    assert f"wrote {output}" in result.stderr


def test_p19_render_prints_english_markdown_on_standard_output() -> None:
    result = _run("policy", "render", "--policy", str(SHIPPED), "--lang", "en", "--format", "md")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# Privacy statement of Flexibelt\n")
    assert "Last updated: 26 November 2026" in result.stdout
    for activity in load_policy_file(SHIPPED).activities:
        assert f"<!-- {' '.join(activity.promises)} -->" in result.stdout


def test_render_defaults_to_the_configured_policy_in_dutch_html(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    copy = tmp_path / "configured.yaml"
    copy.write_text(SHIPPED.read_text("utf-8").replace("name: Flexibelt\n", "name: Flexi\n", 1))
    monkeypatch.setenv("PRIVAAT_POLICY_FILE", str(copy))
    result = _run("policy", "render")
    assert result.exit_code == 0, result.output
    assert "<h1>Privacyverklaring van Flexi</h1>" in result.stdout


def test_render_reports_policy_problems_with_their_line_and_no_traceback(
    broken_policy: Path,
) -> None:
    result = _run("policy", "render", "--policy", str(broken_policy))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"privaat: {broken_policy}: 1 problem:\n")
    assert "contrakt" in result.stderr and f"{broken_policy}:" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param(["--policy", "{tmp}/missing.yaml"], "cannot read", id="missing-policy"),
        pytest.param(
            ["--policy", str(SHIPPED), "--output", "{tmp}/no/such/dir/out.html"],
            "cannot write",
            id="unwritable-output",
        ),
    ],
)
def test_render_file_problems_are_one_clear_line(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    result = _run("policy", "render", *(a.format(tmp=tmp_path) for a in arguments))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"privaat: {message} {tmp_path}/")
    assert "No such file or directory" in result.stderr


def test_render_refuses_an_unpublished_language() -> None:
    result = _run("policy", "render", "--policy", str(SHIPPED), "--lang", "de")
    assert result.exit_code == 2
    assert "'de' is not one of 'nl', 'en'" in _message(result.stderr)


# --- ropa ---------------------------------------------------------------------------------------


def _rows(fmt: str, text: str) -> list[dict[str, object]]:
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(text, newline="")))
    loaded = json.loads(text)
    assert isinstance(loaded, list)
    return loaded


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_l73_ropa_writes_a_row_per_activity_with_every_art_30_field(
    tmp_path: Path, fmt: str
) -> None:
    output = tmp_path / f"ropa.{fmt}"
    result = _run("ropa", "--policy", str(SHIPPED), "--format", fmt, "--output", str(output))
    assert result.exit_code == 0, result.output
    rows = _rows(fmt, output.read_text("utf-8"))
    assert [row["activity_id"] for row in rows] == [
        a.id for a in load_policy_file(SHIPPED).activities
    ]
    for row in rows:
        assert all(str(row[name]).strip() for name, _ in ART_30_1_FIELDS), row["activity_id"]


def test_l73_ropa_csv_keeps_its_crlf_line_ends_in_the_file(tmp_path: Path) -> None:
    output = tmp_path / "ropa.csv"
    _run("ropa", "--policy", str(SHIPPED), "--format", "csv", "--output", str(output))
    raw = output.read_bytes()
    assert raw.count(b"\r\n") == len(load_policy_file(SHIPPED).activities) + 1
    assert b"\r\r\n" not in raw


def test_l73_ropa_prints_json_on_standard_output_in_dutch() -> None:
    result = _run("ropa", "--policy", str(SHIPPED), "--format", "json", "--lang", "nl")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows[0]["legal_basis"] == "uitvoering van een overeenkomst (art. 6 lid 1 onder b AVG)"


def test_l73_ropa_html_is_a_table_page_for_the_ap(tmp_path: Path) -> None:
    output = tmp_path / "ropa.html"
    result = _run(
        "ropa",
        "--policy",
        str(SHIPPED),
        "--format",
        "html",
        "--lang",
        "nl",
        "--output",
        str(output),
    )
    assert result.exit_code == 0, result.output
    html = output.read_text("utf-8")
    assert "<h1>Register van verwerkingsactiviteiten van Flexibelt (art. 30 AVG)</h1>" in html
    assert html.count("<tr>") == len(load_policy_file(SHIPPED).activities) + 1


def test_ropa_reports_policy_problems_with_no_traceback(broken_policy: Path) -> None:
    result = _run("ropa", "--policy", str(broken_policy), "--format", "json")
    assert result.exit_code == 1
    assert result.stderr.startswith("privaat: ") and result.stdout == ""


def test_ropa_refuses_an_unknown_format() -> None:
    result = _run("ropa", "--policy", str(SHIPPED), "--format", "xlsx")
    assert result.exit_code == 2
    assert "'xlsx' is not one of 'csv', 'json', 'html'" in _message(result.stderr)


def test_render_names_the_channels_the_app_serves_and_no_others() -> None:
    result = _run("policy", "render", "--policy", str(SHIPPED), "--lang", "en")
    assert result.exit_code == 0, result.output
    # the app's own routes, read without a server: rectification and closing are live pages
    assert 'href="/account/edit"' in result.stdout and 'href="/account/close"' in result.stdout
    # the cookie settings page (issue 10 item 7) is served, so the text links it
    assert "cookie settings" in result.stdout.lower()
    assert 'href="/cookies"' in result.stdout
    # the support-access page (issue 12, L29) is served now, so the consent's channel links it
    assert 'href="/account/support-access"' in result.stdout
