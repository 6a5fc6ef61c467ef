"""``privaat marketing audience`` (issue 10 item 4; P4, L13): the count and ids, or JSON; a bad
filter is a clear message, a non-zero exit and nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.factories import confirm_consents, customer
from typer.testing import CliRunner

from privaat.bootstrap import Context
from privaat.cli import app
from privaat.services.consents import ConsentMethod, Evidence
from privaat.store.tables import access_log

runner = CliRunner()


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> None:
    # the same database and master key as the ``context`` fixture
    monkeypatch.setenv("PRIVAAT_DATABASE_URL", database_url)
    monkeypatch.setenv("PRIVAAT_MODE", "test")
    monkeypatch.setenv("PRIVAAT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("PRIVAAT_MASTER_KEY", raising=False)


def opted_in(context: Context) -> int:
    person = customer(context)
    with context.unit_of_work() as uow:
        context.consents.give(
            uow,
            person.principal,
            person.subject_id,
            "marketing_email",
            lang=None,
            method=ConsentMethod.API,
            evidence=Evidence.none(),
        )
    confirm_consents(context, person.email)  # a double opt-in (issue 14 item 5): the link opened
    with context.unit_of_work() as uow:
        context.preferences.update(
            uow, person.principal, person.subject_id, topics=["voip"], language="nl", channels=[]
        )
    return person.subject_id


def test_p4_l13_the_audience_lists_only_the_opted_in_as_count_and_ids(
    context: Context, cli_env: None
) -> None:
    member = opted_in(context)
    customer(context)  # never asked: never in
    result = runner.invoke(app, ["marketing", "audience"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["1 subjects", str(member)]


def test_p4_the_audience_as_json_with_a_topic_filter(context: Context, cli_env: None) -> None:
    member = opted_in(context)
    result = runner.invoke(
        app,
        ["marketing", "audience", "--filter", "topic=voip", "--filter", "language=nl", "--json"],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document == {
        "count": 1,
        "filter": {"language": ["nl"], "topic": ["voip"]},
        "subject_ids": [member],
    }
    other = runner.invoke(app, ["marketing", "audience", "--filter", "topic=apps", "--json"])
    assert json.loads(other.output)["count"] == 0


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        pytest.param("colour=red", "unknown filter 'colour'", id="unknown-key"),
        pytest.param("topic=golf", "unknown topic 'golf'", id="unknown-topic"),
        pytest.param("country=Netherlands", "not a two-letter country code", id="country"),
        pytest.param("topic", "is not key=value", id="no-equals"),
    ],
)
def test_p4_a_bad_filter_is_a_clear_error_and_writes_nothing(
    context: Context, cli_env: None, argument: str, message: str
) -> None:
    opted_in(context)
    context.access_log.flush()
    with context.engine.connect() as connection:
        before = connection.execute(select(func.count()).select_from(access_log)).scalar_one()
    result = runner.invoke(app, ["marketing", "audience", "--filter", argument])
    assert result.exit_code == 2
    assert message in result.output
    with context.engine.connect() as connection:
        after = connection.execute(select(func.count()).select_from(access_log)).scalar_one()
    assert after == before


def test_p4_the_demo_accounts_hold_services_that_a_selection_can_target(context: Context) -> None:
    from privaat.cli.serve import DEMO_SERVICES, seed_demo
    from privaat.store.tables_marketing import customer_services

    assert seed_demo(context) == 2
    with context.engine.connect() as connection:
        rows = connection.execute(select(func.count()).select_from(customer_services)).scalar()
    assert rows == sum(len(services) for services in DEMO_SERVICES) == 4


def test_p4_ids_only_prints_one_id_a_line_for_a_campaign_send(
    context: Context, cli_env: None
) -> None:
    member = opted_in(context)
    result = runner.invoke(app, ["marketing", "audience", "--ids-only"])
    assert result.exit_code == 0 and result.output.split() == [str(member)]
