"""``privaat policy publish FILE [--effective DATE]`` (issue 13 item 3; P19, L48-L50): a
refused file, date or version says why, exits 2 and changes nothing; a valid one is stored."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine, Table, func, select
from tests.integration.test_policy_publish import _v2
from typer.testing import CliRunner

from privaat.cli import app
from privaat.policy.loader import load_policy_file
from privaat.settings import default_policy_file
from privaat.store.tables import policy_versions
from privaat.store.tables_policy_notices import policy_publications

runner = CliRunner()


def _count(engine: Engine, table: Table) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def _written(tmp_path: Path) -> Path:
    v2 = _v2(load_policy_file(default_policy_file()))
    path = tmp_path / "v2.yaml"
    path.write_text(yaml.safe_dump(v2.model_dump(mode="json", exclude_none=True)), "utf-8")
    return path


def test_p19_an_invalid_file_is_refused_with_exit_2_and_nothing_is_stored(
    shell: None, engine: Engine, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("policy:\n  id: flexibelt\n  version: two\n", "utf-8")
    result = runner.invoke(app, ["policy", "publish", str(broken)])
    assert result.exit_code == 2
    assert "invalid" in result.stderr and "nothing published" in result.stderr
    missing = runner.invoke(app, ["policy", "publish", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 2 and "cannot read the policy file" in missing.stderr
    bad_date = runner.invoke(
        app, ["policy", "publish", str(_written(tmp_path)), "--effective", "soon"]
    )
    assert bad_date.exit_code == 2
    assert "privaat: --effective: 'soon' is not a date (YYYY-MM-DD)" in bad_date.stderr
    with engine.connect() as connection:
        names = engine.dialect.get_table_names(connection)
    assert "policy_publications" not in names or _count(engine, policy_publications) == 0


@pytest.mark.parametrize(
    ("days", "message"), [(-1, "lies in the past"), (29, "at least 30 days before")]
)
def test_l49_a_past_or_too_early_date_is_refused_with_exit_2(
    shell: None, engine: Engine, tmp_path: Path, days: int, message: str
) -> None:
    day = (date.today() + timedelta(days=days)).isoformat()
    result = runner.invoke(app, ["policy", "publish", str(_written(tmp_path)), "--effective", day])
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "nothing published" in result.stderr
    assert _count(engine, policy_publications) == 0
    assert _count(engine, policy_versions) == 1  # the running version, stored at start


def test_p19_l48_a_valid_next_version_is_published_and_a_repeat_refused(
    shell: None, engine: Engine, tmp_path: Path
) -> None:
    path = _written(tmp_path)
    day = (date.today() + timedelta(days=31)).isoformat()
    result = runner.invoke(app, ["policy", "publish", str(path), "--effective", day])
    assert result.exit_code == 0, result.output
    assert (
        f"published version 2 (last updated {date.today()}), in force from {day}" in result.stdout
    )
    assert "material changes (3):" in result.stdout
    assert "queued 0 change e-mail(s) to active accounts" in result.stdout
    again = runner.invoke(app, ["policy", "publish", str(path), "--effective", day])
    assert again.exit_code == 2
    assert "version 2 is published already; the next version is 3" in again.stderr
    assert _count(engine, policy_publications) == 1
    assert _count(engine, policy_versions) == 2
