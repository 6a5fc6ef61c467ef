"""``privaat mail campaign create|send`` (issue 10 item 5): a campaign from the command line,
queued through the guard; bad input is a message and an exit code, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.factories import customer
from tests.integration.campaign_support import NL_BODY, PRICES, SHOP, subscriber
from typer.testing import CliRunner, Result

from privaat.bootstrap import Context
from privaat.cli import app
from privaat.store.tables import outbox
from privaat.store.tables_campaigns import campaigns

runner = CliRunner()


def run(monkeypatch: pytest.MonkeyPatch, context: Context, *args: str) -> Result:
    settings = context.settings
    monkeypatch.setenv("PRIVAAT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PRIVAAT_MODE", "test")
    monkeypatch.setenv("PRIVAAT_VAR_DIR", str(Path(settings.var_dir)))
    context.access_log.flush()
    result = runner.invoke(app, ["mail", "campaign", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def count(context: Context, table: object) -> int:
    with context.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_P4_a_campaign_is_created_and_sent_from_the_command_line(
    monkeypatch: pytest.MonkeyPatch, context: Context, tmp_path: Path
) -> None:
    body = tmp_path / "nl.txt"
    body.write_text(NL_BODY, encoding="utf-8")
    yes, no = subscriber(context), customer(context)
    created = run(
        monkeypatch, context, "create", "cli", "--subject", "nl=Nieuws", "--body", f"nl={body}"
    )
    assert created.exit_code == 0, created.output
    assert "2 link(s)" in created.output
    ids = tmp_path / "ids.txt"
    ids.write_text(f"{yes.subject_id}\n{no.subject_id}\n")
    sent = run(monkeypatch, context, "send", "cli", "--ids-file", str(ids))
    assert sent.exit_code == 0, sent.output
    assert (
        "queued 1; skipped: no consent 1, suppressed 0, sent before 0, not found 0" in sent.output
    )
    (mail,) = [m for _i, t, m in context.outbox.pending() if t == "campaign"]
    assert mail.to == yes.email and SHOP in mail.body and PRICES in mail.body


@pytest.mark.parametrize(
    ("args", "says"),
    [
        pytest.param(["--subject", "nl=X"], "Missing option", id="no-body"),
        pytest.param(["--subject", "X", "--body", "nl=B"], "LANG=VALUE", id="no-language"),
        pytest.param(
            ["--subject", "de=X", "--body", "de=B"], "needs a text in 'nl'", id="no-dutch"
        ),
        pytest.param(
            ["--subject", "nl=X", "--subject", "fr=Y", "--body", "nl=B", "--body", "fr=B"],
            "not published in 'fr'",
            id="unknown-language",
        ),
        pytest.param(
            ["--subject", "nl=X", "--body", "nl=/no/such/file"], "cannot read", id="no-file"
        ),
    ],
)
def test_bad_campaign_input_is_refused_and_nothing_created(
    monkeypatch: pytest.MonkeyPatch,
    context: Context,
    tmp_path: Path,
    args: list[str],
    says: str,
) -> None:
    body = tmp_path / "b.txt"
    body.write_text("Tekst.", encoding="utf-8")
    args = [a.replace("=B", f"={body}") for a in args]
    result = run(monkeypatch, context, "create", "slecht", *args)
    assert result.exit_code in (1, 2)
    assert says in result.output
    assert count(context, campaigns) == 0


def test_sending_an_unknown_campaign_or_to_nobody_is_refused(
    monkeypatch: pytest.MonkeyPatch, context: Context
) -> None:
    person = subscriber(context)
    unknown = run(
        monkeypatch, context, "send", "bestaat-niet", "--subject-id", str(person.subject_id)
    )
    assert unknown.exit_code == 1 and "no campaign named 'bestaat-niet'" in unknown.output
    nobody = run(monkeypatch, context, "send", "bestaat-niet")
    assert nobody.exit_code == 2 and "name the recipients" in nobody.output
    assert count(context, outbox) == 0
