"""Production mode refuses to start without a master key (issue 3 item 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from privaat.cli import app


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
