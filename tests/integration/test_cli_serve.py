"""Production mode refuses to start without a master key (issue 3 item 2); a refused start
leaves no connection open."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from privaat.cli import app
from privaat.policy.loader import load_policy_file
from privaat.settings import default_policy_file


def test_production_refuses_to_serve_without_a_master_key(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PRIVAAT_MASTER_KEY", "PRIVAAT_MASTER_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PRIVAAT_MODE", "production")
    monkeypatch.setenv("PRIVAAT_DATABASE_URL", database_url)
    monkeypatch.setenv("PRIVAAT_VAR_DIR", str(tmp_path / "var"))
    result = CliRunner().invoke(app, ["serve", "--port", "1"])
    assert result.exit_code == 2
    assert "cannot start" in result.output and "master key" in result.output.lower()
    assert not (tmp_path / "var" / "master.key").exists()


def test_a_policy_without_the_activities_the_services_need_is_refused_clearly(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = Path(default_policy_file()).read_text(encoding="utf-8")
    # another provider's policy that calls its account activity something else
    renamed = tmp_path / "other.yaml"
    renamed.write_text(shipped.replace("- id: account\n", "- id: customer_account\n"), "utf-8")
    assert load_policy_file(renamed).activity("customer_account")  # valid as a policy file
    monkeypatch.setenv("PRIVAAT_MODE", "test")
    monkeypatch.setenv("PRIVAAT_DATABASE_URL", database_url)
    monkeypatch.setenv("PRIVAAT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PRIVAAT_POLICY_FILE", str(renamed))
    before = _connections(database_url)
    result = CliRunner().invoke(app, ["serve", "--port", "1"])
    assert result.exit_code == 2
    assert "declares no activity 'account'" in result.output
    # the refusal came after the first connection (the policy version in force is read
    # first): the start closed it, none is left for the garbage collector to find
    assert _connections(database_url) == before


def _connections(database_url: str) -> int:
    """PostgreSQL: the sessions open on the database besides this one (SQLite: 0)."""
    if not database_url.startswith("postgresql"):
        return 0
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).scalar_one()
            )
    finally:
        engine.dispose()
