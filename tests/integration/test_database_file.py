"""The SQLite database file is its owner's only (issue 7 item 8): created 0600, WAL and SHM
alike, and production refuses to start on one that group or others can open."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from privaat.cli import app
from privaat.cli.serve import DatabaseFileInsecure, refuse_open_database_files
from privaat.store.db import make_engine

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """A umask that would leave files world-readable (0644), as on many servers."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.usefixtures("loose_umask")
def test_a_new_database_and_its_wal_and_shm_are_created_0600(tmp_path: Path) -> None:
    path = tmp_path / "var" / "privaat.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))
            modes = {p.name: _mode(p) for p in path.parent.iterdir()}
    finally:
        engine.dispose()
    assert modes == {"privaat.db": 0o600, "privaat.db-wal": 0o600, "privaat.db-shm": 0o600}


def test_an_existing_database_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "privaat.db"
    path.touch(mode=0o640)
    path.chmod(0o640)
    make_engine(f"sqlite:///{path}").dispose()
    assert _mode(path) == 0o640  # production refuses it below; nothing is changed silently


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"])
@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660])
def test_a_database_file_open_to_group_or_others_is_refused(
    tmp_path: Path, suffix: str, mode: int
) -> None:
    database = tmp_path / "privaat.db"
    database.touch()
    database.chmod(0o600)
    loose = Path(f"{database}{suffix}")
    loose.touch()
    loose.chmod(mode)
    with pytest.raises(
        DatabaseFileInsecure, match=rf"{loose.name} is accessible to group or others"
    ):
        refuse_open_database_files(f"sqlite:///{database}")


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("sqlite://", id="memory"),
        pytest.param("postgresql+psycopg://postgres@127.0.0.1:5432/x", id="postgresql"),
    ],
)
def test_databases_without_a_file_are_not_checked(url: str) -> None:
    refuse_open_database_files(url)


def test_a_private_or_missing_database_file_is_fine(tmp_path: Path) -> None:
    refuse_open_database_files(f"sqlite:///{tmp_path / 'not-yet.db'}")
    private = tmp_path / "private.db"
    private.touch()
    private.chmod(0o600)
    refuse_open_database_files(f"sqlite:///{private}")


def test_production_refuses_to_serve_a_world_readable_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "privaat.db"
    database.touch()
    database.chmod(0o644)
    key = tmp_path / "master.key"
    assert CliRunner().invoke(app, ["keys", "generate", "--output", str(key)]).exit_code == 0
    monkeypatch.delenv("PRIVAAT_MASTER_KEY", raising=False)
    monkeypatch.setenv("PRIVAAT_MODE", "production")
    monkeypatch.setenv("PRIVAAT_MASTER_KEY_FILE", str(key))
    monkeypatch.setenv("PRIVAAT_DATABASE_URL", f"sqlite:///{database}")
    result = CliRunner().invoke(app, ["serve", "--port", "1"])
    assert result.exit_code == 2
    assert "cannot start" in result.output
    assert f"database file {database} is accessible to group or others (mode 0644)" in (
        result.output
    )
    assert "chmod 600" in result.output
