"""The demo's data (issue 12): Jan Jansen has an order in the web shop and a question to
customer service (Emma, without an address, only the question), so the privacy centre and
the console show them from a clean clone."""

from __future__ import annotations

from sqlalchemy import func, select

from privaat.bootstrap import Context
from privaat.cli.serve import seed_demo
from privaat.domain.principal import DataSubject
from privaat.store.tables_shop import shop_orders
from privaat.store.tables_support import support_cases


def test_the_demo_customer_has_an_order_and_a_support_case(context: Context) -> None:
    assert seed_demo(context) == 2
    with context.engine.connect() as connection:
        [(jan, orders)] = connection.execute(
            select(shop_orders.c.subject_id, func.count()).group_by(shop_orders.c.subject_id)
        ).all()
        cases = connection.execute(select(support_cases.c.subject_id)).scalars().all()
    assert orders == 1 and jan in cases and len(cases) == 2  # Emma has no address: no order
    with context.unit_of_work() as uow:
        [case] = context.support.mine(uow, DataSubject(jan))
        [order] = context.shop.orders_of(uow, DataSubject(jan))
    assert case.reference.startswith("SC-") and order.reference
    assert seed_demo(context) == 0  # a second start adds nothing
