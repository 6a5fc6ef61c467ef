"""Fixtures of the command-line tests: an operator's environment around the test database."""

from __future__ import annotations

from pathlib import Path

import pytest

from privaat.store.crypto import MasterKey
from privaat.store.master_key import write_master_key_file


@pytest.fixture
def shell(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> None:
    """An operator's environment: database, production mode, a key file, a public URL."""
    key_file = tmp_path / "master.key"
    write_master_key_file(key_file, MasterKey.generate())
    monkeypatch.setenv("PRIVAAT_DATABASE_URL", database_url)
    monkeypatch.setenv("PRIVAAT_MODE", "production")
    monkeypatch.setenv("PRIVAAT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PRIVAAT_MASTER_KEY_FILE", str(key_file))
    monkeypatch.setenv("PRIVAAT_BASE_URL", "https://privacy.flexibelt.example/")
    monkeypatch.delenv("PRIVAAT_MASTER_KEY", raising=False)
