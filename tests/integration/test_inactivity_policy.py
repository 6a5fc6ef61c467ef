"""The policy's ``account_activity`` (P20, LEGAL L52): its validation, and a second provider
(the web shop, P18M and P14D) running the inactivity job on its own periods."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from tests.integration.test_outbox_smtp import create_account

from privaat.bootstrap import Context, bootstrap
from privaat.domain.clock import FixedClock
from privaat.policy.loader import PolicyError, load_policy
from privaat.settings import Mode, Settings
from privaat.store.tables import accounts, outbox

POLICIES = Path(__file__).resolve().parents[2] / "policies"
SHOP = POLICIES / "webwinkel-voorbeeld.yaml"


@pytest.fixture
def shop(database_url: str, engine: Engine, clock: FixedClock, tmp_path: Path) -> Iterator[Context]:
    settings = Settings(
        mode=Mode.TEST, database_url=database_url, var_dir=tmp_path / "var", policy_file=SHOP
    )
    ctx = bootstrap(settings, clock=clock, engine=engine, run_migrations=False)
    yield ctx
    ctx.access_log.flush()


def _with_activity(block: str) -> str:
    text = (POLICIES / "flexibelt.yaml").read_text(encoding="utf-8")
    start = text.index("account_activity:\n")
    end = text.index("\n\n", start)
    return text[:start] + block + text[end:]


@pytest.mark.parametrize(
    ("block", "message"),
    [
        pytest.param(
            "account_activity:\n  inactive_after: P24M\n  notice: P0D",
            "account_activity.notice must be at least one day",
            id="no-grace-period",
        ),
        pytest.param(
            "account_activity:\n  inactive_after: two years\n  notice: P30D",
            "account_activity.inactive_after: 'two years' is not an ISO 8601 period",
            id="not-a-period",
        ),
        pytest.param(
            "account_activity:\n  inactive_after: P24M",
            "account_activity.notice: field required",
            id="notice-missing",
        ),
    ],
)
def test_l52_a_broken_account_activity_is_refused_naming_the_field(
    block: str, message: str
) -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy(_with_activity(block), source="flexibelt.yaml")
    assert message in str(caught.value)


def test_p20_account_activity_is_optional(clock: FixedClock) -> None:
    policy = load_policy(_with_activity("# no definition of an active account"))
    assert policy.account_activity is None


def test_p20_the_second_provider_closes_after_its_own_18_months_and_14_days(
    shop: Context, clock: FixedClock
) -> None:
    assert shop.policy.controller.name != "Flexibelt"
    subject_id = create_account(shop, "thea@example.nl", "nl")
    # 26 November 2026 + 18 months = 26 May 2028; a day later the account is inactive
    clock.current = datetime(2028, 5, 27, 9, 30, tzinfo=UTC)
    with shop.unit_of_work() as uow:
        assert shop.inactivity.run(uow).noticed == 1
    (notice,) = [
        mail for _id, template, mail in shop.outbox.pending() if template == "account_inactive"
    ]
    assert shop.policy.controller.name in notice.body
    assert "10 juni 2028" in notice.body  # 14 days after the notice
    clock.advance(timedelta(days=14))
    with shop.unit_of_work() as uow:
        assert shop.inactivity.run(uow).closed == 1
    with shop.engine.connect() as connection:
        status = connection.execute(
            select(accounts.c.status).where(accounts.c.subject_id == subject_id)
        ).scalar_one()
        templates = list(
            connection.execute(
                select(outbox.c.template).where(outbox.c.subject_id == subject_id)
            ).scalars()
        )
    assert status == "closed"
    assert templates[-1] == "account_closed"
