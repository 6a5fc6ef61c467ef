"""Rectification carried out from a request (issue 11 item 5; GDPR art. 16, 19; LEGAL L66):
the account corrected through the seam, what was corrected recorded (names in clear, values
encrypted), each recipient of the corrected data told or listed, the person told who."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from tests.factories import Customer, customer

from privaat.bootstrap import Context
from privaat.domain.principal import StaffMember, StaffRole
from privaat.domain.subject_requests import Action, RequestKind
from privaat.services.errors import Conflict, InvalidField
from privaat.services.subject_requests import RequestChannel, RequestNotFound
from privaat.store.tables import audit_log
from privaat.store.tables_rights import request_recipient_notices, request_rectifications

OFFICER = StaffMember(1, StaffRole.PRIVACY_OFFICER)


def started(context: Context, kind: RequestKind, **overrides: str) -> tuple[Customer, str]:
    person = customer(context, name="Bram Visser", **overrides)
    with context.unit_of_work() as uow:
        row, _created = context.requests.file_for(
            uow, person.principal, kind, channel=RequestChannel.API
        )
        context.requests.act(uow, OFFICER, row.reference, Action.START)
    return person, row.reference


def _status(context: Context, person: Customer) -> str:
    with context.unit_of_work() as uow:
        [queued] = context.requests.requests_of(uow, person.principal, person.subject_id)
    return queued.status.value


def test_L66_a_rectification_corrects_the_account_and_tells_each_recipient(
    context: Context,
) -> None:
    person, reference = started(context, RequestKind.RECTIFICATION)
    with context.unit_of_work() as uow:
        done = context.rights.rectify(
            uow, OFFICER, reference, {"name": "Bram de Visser", "postal_code": "2721na"}
        )
        profile = context.accounts.read_profile(uow, person.principal, person.subject_id)
    assert profile.name == "Bram de Visser" and profile.postal_code == "2721 NA"
    assert done.fields == ("name", "postal_code")
    # name and postal address: the e-mail processor (no address in the policy: listed),
    # Sisow and PayPal (shop orders), the carriers (shipping), the lawyers (legal claims, for
    # the officer to judge); the group only on consent, authorities only on a disclosure
    told = {t.recipient: t.told for t in done.told}
    assert told == {
        "email_service": "no_address",
        "sisow": "mail",
        "paypal": "mail",
        "carriers": "no_address",
        "legal_advisers": "no_address",
    }
    mails = {
        m.to: m for _i, template, m in context.outbox.pending() if template.startswith("recipient_")
    }
    assert set(mails) == {"privacy@sisow.nl", "privacy@paypal.com"}
    assert person.email in mails["privacy@sisow.nl"].body
    assert "name: Bram de Visser" in mails["privacy@sisow.nl"].body
    [letter] = [m for _i, t, m in context.outbox.pending() if t == "request_rectified"]
    assert letter.to == person.email
    for name in ("Sisow B.V.", "PayPal", "Pakketvervoerders"):
        assert name in letter.body  # art. 19: the person is told who was told
    assert "Autoriteit Persoonsgegevens" in letter.body
    assert _status(context, person) == "completed"
    with context.engine.connect() as connection:
        [record] = connection.execute(select(request_rectifications)).all()
        audit = [
            json.loads(detail)
            for action, detail in connection.execute(select(audit_log.c.action, audit_log.c.detail))
            if action == "request.rectified"
        ]
        listed = connection.execute(select(request_recipient_notices.c.recipient)).scalars().all()
    assert record.fields == "name,postal_code"
    assert b"Visser" not in record.values_enc  # the values only encrypted
    assert audit == [
        {
            "reference": reference,
            "fields": "name,postal_code",
            "recipients": "sisow,paypal,email_service,carriers,legal_advisers",
        }
    ]
    assert "Visser" not in json.dumps(audit)
    assert sorted(listed) == ["carriers", "email_service", "legal_advisers", "paypal", "sisow"]
    with context.unit_of_work() as uow:
        officer_list = context.rights.recipients_told(uow, OFFICER, reference)
    assert [(t.recipient, t.told) for t in officer_list if t.told == "no_address"] == [
        ("email_service", "no_address"),
        ("carriers", "no_address"),
        ("legal_advisers", "no_address"),
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"phone": "12"}, "phone"),
        ({"postal_code": "0000 XX"}, "postal_code"),
        ({"vat_number": "NL123"}, "vat_number"),
        ({"name": ""}, "name"),
        ({"shoe_size": "44"}, "shoe_size"),
        ({"email": "nieuw@example.nl"}, "email"),
        ({}, "fields"),
    ],
)
def test_an_invalid_correction_names_its_field_and_writes_nothing(
    context: Context, changes: dict[str, str], field: str
) -> None:
    person, reference = started(context, RequestKind.RECTIFICATION)
    with context.unit_of_work() as uow, pytest.raises(InvalidField) as error:
        context.rights.rectify(
            uow, OFFICER, reference, {"city": "Zoetermeer", **changes} if changes else {}
        )
    assert error.value.field == field
    with context.unit_of_work() as uow:
        profile = context.accounts.read_profile(uow, person.principal, person.subject_id)
    assert profile.city is None and profile.name == "Bram Visser"
    assert _status(context, person) == "in_progress"
    with context.engine.connect() as connection:
        assert not connection.execute(select(request_rectifications)).all()


def test_a_rectification_step_checks_reference_kind_and_status(context: Context) -> None:
    first, erasure = started(context, RequestKind.ERASURE)
    with context.unit_of_work() as uow:
        with pytest.raises(RequestNotFound):
            context.rights.rectify(uow, OFFICER, "PR-NOPE2345", {"name": "X"})
        with pytest.raises(Conflict, match="not for rectification"):
            context.rights.rectify(uow, OFFICER, erasure, {"name": "X"})
    person = customer(context)
    with context.unit_of_work() as uow:
        row, _ = context.requests.file_for(
            uow, person.principal, RequestKind.RECTIFICATION, channel=RequestChannel.API
        )
        with pytest.raises(Conflict, match="is verified"):  # not started
            context.rights.rectify(uow, OFFICER, row.reference, {"name": "X"})
    with context.unit_of_work() as uow:
        names = [
            context.accounts.read_profile(uow, p.principal, p.subject_id).name
            for p in (first, person)
        ]
    assert names[0] == "Bram Visser" and names[1] != "X"  # nothing was written


def test_a_rejected_rectification_is_the_refusal_with_the_right_to_complain(
    context: Context,
) -> None:
    person, reference = started(context, RequestKind.RECTIFICATION)
    with context.unit_of_work() as uow:
        context.requests.act(
            uow, OFFICER, reference, Action.REFUSE, reason="The name on the invoice is right."
        )
        with pytest.raises(Conflict):
            context.rights.rectify(uow, OFFICER, reference, {"name": "X"})
    [letter] = [m for _i, t, m in context.outbox.pending() if t == "request_refused"]
    assert "autoriteitpersoonsgegevens.nl" in letter.body
