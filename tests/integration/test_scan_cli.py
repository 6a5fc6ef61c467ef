"""``privaat scan`` refuses bad input before anything starts (issue 14 item 3, "bad input"): a
scheme that is not http(s), a malformed URL, no URL at all or both a URL and --check: a clear
message naming the problem, exit 2, and no scan stored. ``--check`` without a stored scan says
so. (An unreachable host and a page that times out need chromium:
tests/e2e/test_scanner_browser.py.)"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from privaat.cli import app
from privaat.store.tables_scans import tracker_scans

runner = CliRunner()


def stored(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(tracker_scans)).scalar_one()


@pytest.mark.usefixtures("shell")
@pytest.mark.parametrize(
    ("args", "said"),
    [
        pytest.param(["ftp://example.com/"], "the scheme must be http or https, not ftp", id="ftp"),
        pytest.param(["javascript:alert(1)"], "not javascript", id="javascript"),
        pytest.param(["example.com"], "not (none)", id="no-scheme"),
        pytest.param(["http://"], "names no host", id="no-host"),
        pytest.param(["http://[::1"], "malformed URL", id="bad-ipv6"),
        pytest.param(["http://example.com:port/"], "malformed URL", id="bad-port"),
        pytest.param([], "give a URL to scan, or --check", id="nothing"),
        pytest.param(["http://example.com/", "--check"], "not both", id="url-and-check"),
        pytest.param(
            ["http://example.com/", "--pages", "201"], "less than or equal", id="too-many-pages"
        ),
        pytest.param(["http://example.com/", "--lang", "de"], "--lang must be", id="language"),
    ],
)
def test_bad_input_exits_2_naming_the_problem_and_stores_nothing(
    engine: Engine, args: list[str], said: str
) -> None:
    result = runner.invoke(app, ["scan", *args])
    assert result.exit_code == 2, result.output
    assert said in result.output
    assert "Traceback" not in result.output
    assert stored(engine) == 0


@pytest.mark.usefixtures("shell")
def test_check_without_a_stored_scan_says_so(engine: Engine) -> None:
    result = runner.invoke(app, ["scan", "--check"])
    assert result.exit_code == 2
    assert "no scan is stored yet" in result.output
