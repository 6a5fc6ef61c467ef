"""The operator commands ``audit checkpoint``, ``audit prune`` and ``audit verify`` over a
pruned trail (LEGAL L53): real database, real key file, the CLI as an operator runs it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select, update
from typer.testing import CliRunner, Result

from privaat.cli import app
from privaat.store.audit import AuditTrail
from privaat.store.tables import audit_log
from privaat.store.tables_lifecycle import audit_checkpoints

JAN = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
runner = CliRunner()


def _run(*arguments: str) -> Result:
    result = runner.invoke(app, list(arguments))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def _append(engine: Engine, at: datetime, n: int) -> None:
    with engine.begin() as conn:
        for i in range(n):
            AuditTrail.append(
                conn, at=at + timedelta(minutes=i), actor="system:test", action="test.event",
                subject_pseudonym=None, detail={"i": i},
            )  # fmt: skip


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(audit_log)).scalar_one()


def test_l53_checkpoint_prune_then_verify_over_the_cli(shell: None, engine: Engine) -> None:
    _append(engine, JAN, 6)
    made = _run("audit", "checkpoint")
    assert made.exit_code == 0, made.output
    assert made.output.startswith("checkpoint of entry 6, hash ")
    pruned = _run("audit", "prune", "--before", "2026-05-26")
    assert pruned.exit_code == 0, pruned.output
    assert pruned.output.strip() == (
        "deleted 5 audit entries older than 2026-05-26; "
        "the trail now starts at the checkpoint of entry 6"
    )
    assert _count(engine) == 2  # entry 6 and the prune's own entry 7
    verified = _run("audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "audit trail intact: 2 entries" in verified.output


def test_l53_prune_without_a_checkpoint_is_refused(shell: None, engine: Engine) -> None:
    _append(engine, JAN, 3)
    result = _run("audit", "prune", "--before", "2026-05-26")
    assert result.exit_code == 2
    assert "privaat: no signed checkpoint older than 2026-05-26" in result.stderr
    assert "privaat audit checkpoint" in result.stderr
    assert _count(engine) == 3


def test_l53_prune_defaults_to_the_security_log_retention(shell: None, engine: Engine) -> None:
    # January entries are older than six months before today (the policy's P6M) on any day
    # after July 2026, and so is the checkpointed entry 3: entries 1 and 2 go
    _append(engine, JAN, 3)
    assert _run("audit", "checkpoint").exit_code == 0
    result = _run("audit", "prune")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("deleted 2 audit entries older than ")
    assert _count(engine) == 2


def test_l53_verify_after_a_prune_detects_a_forged_signature(shell: None, engine: Engine) -> None:
    _append(engine, JAN, 4)
    assert _run("audit", "checkpoint").exit_code == 0
    assert _run("audit", "prune", "--before", "2026-05-26").exit_code == 0
    with engine.begin() as conn:
        conn.execute(update(audit_checkpoints).values(signature="00" * 32))
    result = _run("audit", "verify")
    assert result.exit_code == 1
    assert "audit trail broken at entry 4: the checkpoint of entry 4" in result.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param(
            ["audit", "prune", "--before", "26-05-2026"],
            "privaat: --before: '26-05-2026' is not a date (YYYY-MM-DD)",
            id="bad-date",
        ),
        pytest.param(
            ["audit", "checkpoint"],
            "privaat: the audit trail is empty: there is no entry to checkpoint",
            id="empty-trail",
        ),
    ],
)
def test_bad_input_is_a_clear_message_and_exit_2(
    shell: None, engine: Engine, arguments: list[str], message: str
) -> None:
    result = _run(*arguments)
    assert result.exit_code == 2
    assert message in result.stderr
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(audit_checkpoints)).scalar_one() == 0
