"""The shop's carrier handover passes the transfer seam (P13, LEGAL L37): with the policy's
carrier moved to a country outside the EEA without an art. 45/46 basis, shipping is refused
with a message naming country and recipient, and nothing is handed over or recorded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select
from tests.integration.test_shop_orders import check_out, pay

from privaat.bootstrap import Context, bootstrap
from privaat.domain.clock import FixedClock
from privaat.domain.principal import StaffMember, StaffRole
from privaat.policy.loader import load_policy_file
from privaat.services.errors import Conflict
from privaat.settings import Settings, default_policy_file
from privaat.store.tables_shop import shop_shipments

AGENT = StaffMember(3, StaffRole.SUPPORT)


@pytest.fixture
def offshore(settings: Settings, engine: Engine, clock: FixedClock) -> Iterator[Context]:
    """The shipped policy, its carriers moved to Brazil with no recorded basis."""
    policy = load_policy_file(default_policy_file())
    recipients = tuple(
        r.model_copy(update={"country": "BR", "safeguard": None}) if r.id == "carriers" else r
        for r in policy.recipients
    )
    context = bootstrap(
        settings,
        clock=clock,
        engine=engine,
        policy=policy.model_copy(update={"recipients": recipients}),
        run_migrations=False,
    )
    yield context
    context.access_log.flush()


def _handovers(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(shop_shipments)).scalar_one()
        )


def test_l37_a_carrier_outside_the_eea_without_a_basis_is_refused_and_nothing_is_handed(
    offshore: Context, engine: Engine
) -> None:
    placed = check_out(offshore)
    pay(offshore, placed)
    with pytest.raises(Conflict) as refused, offshore.unit_of_work() as uow:
        offshore.shop.ship(uow, AGENT, placed.reference, "PostNL")
    assert "BR is outside the EEA" in str(refused.value)
    assert "'carriers'" in str(refused.value)
    assert _handovers(engine) == 0


def test_l37_the_shipped_policys_carrier_in_the_netherlands_is_handed_the_order(
    context: Context, engine: Engine
) -> None:
    placed = check_out(context)
    pay(context, placed)
    with context.unit_of_work() as uow:
        context.shop.ship(uow, AGENT, placed.reference, "PostNL")
    assert _handovers(engine) == 1
