"""Art. 21 at the service tier: objections recorded at once; compelling grounds only as a
privacy officer's reviewed decision that the person is told about, never for direct
marketing (art. 21(3), L15) and never where the policy makes the objection final (L26)."""

from __future__ import annotations

import pytest
from tests.factories import customer

from privaat.bootstrap import Context
from privaat.domain.errors import AccessDenied
from privaat.domain.principal import StaffMember, StaffRole
from privaat.domain.subject import DIRECT_MARKETING
from privaat.mail.transport import InMemoryTransport
from privaat.services.errors import InvalidField, NotPermitted
from privaat.services.objections import ObjectionFinal

OFFICER = StaffMember(3, StaffRole.PRIVACY_OFFICER)


def allowed(services: Context, subject_id: int, activity: str) -> bool:
    with services.unit_of_work() as uow, uow.reading() as connection:
        return services.access.decide(connection, OFFICER, subject_id, activity).allowed


def test_l67_an_objection_stops_a_legitimate_interest_activity_until_grounds_are_recorded(
    services: Context, mail: InMemoryTransport
) -> None:
    jan = customer(services)
    assert allowed(services, jan.subject_id, "security_logging")
    with services.unit_of_work() as uow:
        assert services.objections.object(uow, jan.principal, jan.subject_id, "security_logging")
    assert not allowed(services, jan.subject_id, "security_logging")
    with services.unit_of_work() as uow:
        services.objections.record_compelling_grounds(
            uow,
            OFFICER,
            jan.subject_id,
            "security_logging",
            grounds="an ongoing attack on accounts",
        )
    assert allowed(services, jan.subject_id, "security_logging")
    services.outbox.deliver(mail)
    (notice,) = mail.sent
    body = notice.get_content()
    # the person is told what continues, why, and where to complain (art. 12(4), 77)
    assert "an ongoing attack on accounts" in body and "Autoriteit Persoonsgegevens" in body
    assert notice["Subject"] == "Over uw bezwaar"


def test_l15_an_objection_to_any_marketing_activity_is_recorded_for_all_of_it(
    services: Context,
) -> None:
    jan = customer(services)
    with services.unit_of_work() as uow:
        key = services.objections.object(uow, jan.principal, jan.subject_id, "marketing_selection")
    assert key == DIRECT_MARKETING
    with services.unit_of_work() as uow, pytest.raises(ObjectionFinal):
        services.objections.record_compelling_grounds(
            uow, OFFICER, jan.subject_id, DIRECT_MARKETING, grounds="a great offer"
        )


def test_l26_grounds_never_override_a_refusal_of_call_recording(services: Context) -> None:
    jan = customer(services)
    with services.unit_of_work() as uow:
        services.objections.object(uow, jan.principal, jan.subject_id, "call_recording")
    with services.unit_of_work() as uow, pytest.raises(ObjectionFinal):
        services.objections.record_compelling_grounds(
            uow, OFFICER, jan.subject_id, "call_recording", grounds="training"
        )


def test_only_a_privacy_officer_decides_and_only_with_stated_grounds(services: Context) -> None:
    jan = customer(services)
    with services.unit_of_work() as uow:
        services.objections.object(uow, jan.principal, jan.subject_id, "security_logging")
    support = StaffMember(4, StaffRole.SUPPORT)
    with services.unit_of_work() as uow, pytest.raises(NotPermitted):
        services.objections.record_compelling_grounds(
            uow, support, jan.subject_id, "security_logging", grounds="because"
        )
    with services.unit_of_work() as uow, pytest.raises(InvalidField):
        services.objections.record_compelling_grounds(
            uow, OFFICER, jan.subject_id, "security_logging", grounds="   "
        )


def test_an_activity_without_an_objection_path_refuses_one(services: Context) -> None:
    jan = customer(services)
    with services.unit_of_work() as uow, pytest.raises(InvalidField):
        services.objections.object(uow, jan.principal, jan.subject_id, "tax_records")
    with services.unit_of_work() as uow, uow.reading() as connection, pytest.raises(AccessDenied):
        services.access.open(connection, jan.principal, jan.subject_id, "no_such_activity")
