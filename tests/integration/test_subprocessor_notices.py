"""Sub-processor changes reach every affected business customer with an objection window,
and are recorded in the disclosure register (issue 15 item 10; GDPR art. 28(2))."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.integration.test_outbox_smtp import Collector, body_of, server_at, smtp  # noqa: F401
from tests.integration.test_policy_publish import _start

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.domain.principal import StaffMember, StaffRole
from privaat.domain.subprocessor_changes import sub_processor_changes
from privaat.policy.loader import load_policy_file
from privaat.policy.schema import Policy
from privaat.services.errors import Conflict, InvalidField
from privaat.services.policy_publishing import PublishRefused
from privaat.settings import Settings
from privaat.web.app import create_app

PUBLISHED_ON = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
EFFECTIVE = date(2026, 12, 27)
OFFICER = StaffMember(staff_id=7, role=StaffRole.PRIVACY_OFFICER)


def _with_sub_processor(v1: Policy, recipient: str = "email_service") -> Policy:
    services = tuple(
        s.model_copy(update={"sub_processors": (*s.sub_processors, recipient)})
        if s.id == "hosting"
        else s
        for s in v1.processor_services
    )
    meta = v1.policy.model_copy(update={"version": 2})
    return v1.model_copy(update={"processor_services": services, "policy": meta})


@pytest.fixture
def started(
    settings: Settings, engine: Engine, clock: FixedClock
) -> Iterator[tuple[Context, Policy, dict[str, str]]]:
    v1 = load_policy_file(settings.policy_file)
    context = _start(settings, engine, clock, v1)
    keys = {}
    with context.unit_of_work() as uow:
        for name in ("Bakkerij A", "Fietsen B", "Voip C"):
            _info, keys[name] = context.opendsr.add_customer(uow, name)
    with context.unit_of_work() as uow:
        context.business_notices.set_services(
            uow, "Bakkerij A", ["hosting"], contact="privacy@bakkerij-a.nl"
        )
        context.business_notices.set_services(
            uow, "Fietsen B", ["hosting", "email"], contact="it@fietsen-b.nl", language="en"
        )
        # takes no hosting: a change of hosting's sub-processors is not theirs to judge
        context.business_notices.set_services(uow, "Voip C", ["pbx"], contact="c@voip-c.nl")
    yield context, v1, keys
    context.close()


def test_the_pure_diff_names_the_service_and_the_recipients_added_and_removed() -> None:
    v1 = load_policy_file(Settings().policy_file)
    v2 = _with_sub_processor(v1)
    [change] = sub_processor_changes(v1, v2)
    assert (change.service, change.added, change.removed) == ("hosting", ("email_service",), ())
    [back] = sub_processor_changes(v2, v1)
    assert back.removed == ("email_service",) and back.added == ()
    assert sub_processor_changes(v1, v1) == ()


def test_art28_2_a_sub_processor_change_is_told_to_each_customer_of_the_service(
    started: tuple[Context, Policy, dict[str, str]],
    clock: FixedClock,
    smtp: tuple[Collector, int],  # noqa: F811
) -> None:
    context, v1, _keys = started
    clock.current = PUBLISHED_ON
    v2 = _with_sub_processor(v1)
    # too early: the customers must have time to object (the notice period)
    with context.unit_of_work() as uow, pytest.raises(PublishRefused, match="too early"):
        context.publishing.publish(uow, v2, effective=date(2026, 12, 1))
    with context.unit_of_work() as uow:
        done = context.publishing.publish(uow, v2, effective=EFFECTIVE)
    assert done.business_notices == 2
    with context.unit_of_work() as uow:
        notices = context.business_notices.notices(uow)
    assert sorted((n.customer, n.service, n.added) for n in notices) == [
        ("Bakkerij A", "hosting", ("email_service",)),
        ("Fietsen B", "hosting", ("email_service",)),
    ]
    assert all(n.objection_until == EFFECTIVE and n.sent_at is None for n in notices)
    # mailed over real SMTP, each in the customer's language, once
    collector, port = smtp
    with context.unit_of_work() as uow:
        assert context.business_notices.deliver(uow, server_at(port)) == (2, 0)
    with context.unit_of_work() as uow:
        assert context.business_notices.deliver(uow, server_at(port)) == (0, 0)
    by_to = {r.rcpt_tos[0]: r.message for r in collector.received}
    dutch, english = by_to["privacy@bakkerij-a.nl"], by_to["it@fietsen-b.nl"]
    assert dutch["Subject"] == "Wijziging van subverwerkers voor Webhosting en servers"
    assert "27 december 2026" in body_of(dutch) and "bezwaar" in body_of(dutch)
    assert english["Subject"] == "Change of sub-processors for Web hosting and servers"
    assert "December 27, 2026" in body_of(english)
    assert "/api/v1/business/notices/" in body_of(english)
    # the register lists each notice (art. 28(2)), beside disclosures and handovers
    with context.unit_of_work() as uow:
        register = context.disclosures.register(uow, OFFICER)
    told = [e for e in register if e.kind == "subprocessor_notice"]
    assert sorted(e.recipient for e in told) == ["Bakkerij A", "Fietsen B"]
    assert all(e.handed_fields == ("hosting", "+email_service") for e in told)


def test_art28_2_the_customer_objects_once_with_its_key_and_only_before_the_day(
    started: tuple[Context, Policy, dict[str, str]], clock: FixedClock
) -> None:
    context, v1, keys = started
    clock.current = PUBLISHED_ON
    with context.unit_of_work() as uow:
        context.publishing.publish(uow, _with_sub_processor(v1), effective=EFFECTIVE)
    client = TestClient(create_app(context))

    def auth(name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {keys[name]}"}

    [mine] = client.get("/api/v1/business/notices", headers=auth("Bakkerij A")).json()
    assert mine["added"] == ["email_service"] and mine["objection_until"] == "2026-12-27"
    assert client.get("/api/v1/business/notices", headers=auth("Voip C")).json() == []
    url = f"/api/v1/business/notices/{mine['id']}/objection"
    # another customer's notice is a 404, as an unknown one; no key is a 401
    other = client.post(url, headers=auth("Voip C"), json={"reason": "nee"})
    assert other.status_code == 404 and other.json()["type"].endswith("no-such-notice")
    assert client.post(url, json={"reason": "nee"}).status_code == 401
    empty = client.post(url, headers=auth("Bakkerij A"), json={"reason": ""})
    assert empty.status_code == 422
    done = client.post(url, headers=auth("Bakkerij A"), json={"reason": "Geen doorgifte naar VS"})
    assert done.status_code == 201 and done.json()["objected_at"]
    again = client.post(url, headers=auth("Bakkerij A"), json={"reason": "nogmaals"})
    assert again.status_code == 409 and "recorded already" in again.json()["detail"]
    # the other customer's window closes on the effective day
    fietsen = next(n for n in _all(context) if n.customer == "Fietsen B")
    clock.current = datetime(2026, 12, 27, 0, 30, tzinfo=UTC)
    with context.unit_of_work() as uow, pytest.raises(Conflict, match="window closed"):
        context.business_notices.object(uow, fietsen.id, "te laat")
    with context.unit_of_work() as uow:
        register = context.disclosures.register(uow, OFFICER)
    assert "Bakkerij A (objected)" in {e.recipient for e in register}


def test_services_and_contacts_are_checked(started: tuple[Context, Policy, Any]) -> None:
    context, _v1, _keys = started
    with context.unit_of_work() as uow, pytest.raises(InvalidField, match="not a processor"):
        context.business_notices.set_services(uow, "Bakkerij A", ["teleportation"])
    with context.unit_of_work() as uow, pytest.raises(InvalidField, match="contact"):
        context.business_notices.set_services(uow, "Bakkerij A", ["hosting"], contact="geen")
    with context.unit_of_work() as uow, pytest.raises(InvalidField, match="no business customer"):
        context.business_notices.set_services(uow, "Onbekend", ["hosting"])


def _all(context: Context) -> list[Any]:
    with context.unit_of_work() as uow:
        return context.business_notices.notices(uow)
