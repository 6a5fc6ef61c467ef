"""``privaat staff create --email E --role R`` (issue 8 item 4): it prints the one-time
enrolment link, which opens the enrolment once; a second account for the address, an
invalid address or an unknown role exit 1 with one line and no traceback."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner, Result

from privaat.bootstrap import bootstrap
from privaat.cli import app
from privaat.services.staff import EnrolmentInvalid
from privaat.settings import Settings
from privaat.store.tables import staff_members

runner = CliRunner()
LINK = re.compile(r"^(https?://\S+)/console/enrol/(\S+)$", re.MULTILINE)


def _run(*arguments: str) -> Result:
    result = runner.invoke(app, ["staff", "create", *arguments])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


@pytest.mark.usefixtures("shell")
def test_issue8_4_staff_create_prints_a_one_time_enrolment_link(engine: Engine) -> None:
    result = _run("--email", "fg@flexibelt.example", "--role", "privacy_officer")
    assert result.exit_code == 0, result.output
    found = LINK.search(result.output)
    assert found and found.group(1) == "https://privacy.flexibelt.example"
    assert "fg@flexibelt.example" not in result.output  # the scroll-back keeps no address
    context = bootstrap(Settings(), run_migrations=False)
    try:
        with context.unit_of_work() as uow:
            pending = context.staff.pending_enrolment(uow, found.group(2))
        assert pending.role.value == "privacy_officer"
    finally:
        context.close()
    with engine.connect() as connection:
        assert connection.execute(select(staff_members.c.role)).scalars().all() == [
            "privacy_officer"
        ]


@pytest.mark.usefixtures("shell")
@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        pytest.param(("--email", "geen-adres", "--role", "support"), "email", id="address"),
        pytest.param(("--email", "a@flexibelt.example", "--role", "root"), "role", id="role"),
    ],
)
def test_staff_create_refuses_a_bad_address_or_role(arguments: tuple[str, ...], said: str) -> None:
    result = _run(*arguments)
    assert result.exit_code == 1 and said in result.output


@pytest.mark.usefixtures("shell")
def test_staff_create_refuses_a_second_account_for_an_address() -> None:
    assert _run("--email", "twee@flexibelt.example", "--role", "support").exit_code == 0
    again = _run("--email", "Twee@Flexibelt.example", "--role", "marketing")
    assert again.exit_code == 1 and "exists" in again.output
    assert LINK.search(again.output) is None


def test_an_unknown_token_opens_no_enrolment(context: object) -> None:
    from privaat.bootstrap import Context

    assert isinstance(context, Context)
    with context.unit_of_work() as uow, pytest.raises(EnrolmentInvalid):
        context.staff.pending_enrolment(uow, "not-a-token")
