"""STYLE 12 and the README's promise: every command and every setting is documented."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.main import get_command

from privaat.cli import app
from privaat.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = README + "".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md"))


def _commands(group: object, prefix: str) -> list[str]:
    found = []
    for name, command in getattr(group, "commands", {}).items():
        path = f"{prefix} {name}"
        found.extend(_commands(command, path) if hasattr(command, "commands") else [path])
    return found


COMMANDS = _commands(get_command(app), "privaat")


def test_the_cli_has_commands() -> None:
    assert isinstance(app, typer.Typer) and len(COMMANDS) >= 10


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_readme(command: str) -> None:
    assert f"`{command}" in README, f"{command} is not documented in README.md"


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented(name: str) -> None:
    assert f"PRIVAAT_{name.upper()}" in DOCS, f"PRIVAAT_{name.upper()} is not documented"


def test_the_readme_starts_with_the_two_commands() -> None:
    start = README.index("## Start")
    block = README[start : README.index("```", README.index("```", start) + 3)]
    assert "make demo" in block and "make test" in block


def test_ci_runs_the_readmes_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
