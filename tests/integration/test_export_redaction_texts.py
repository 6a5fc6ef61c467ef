"""Issue 15 item 5, L62 (GDPR art. 15(4)): other people's data out of the texts of an
access answer, through the real export path.

Anna files a support case that mentions another customer: his phone number, his e-mail
address, his IBAN and his name; an agent adds a note with his number and name again. The
ZIP she downloads holds none of them in any file (JSON, CSV, schemas, originals, summary),
and her own phone number, address and name are still there. His name is known because her
text names his address (services.subject_export: the customers a text mentions); reading
it is in his access log.
"""

from __future__ import annotations

import io
import json
import zipfile

from tests.factories import Customer, customer
from tests.integration.test_request_rights_rectification import OFFICER

from privaat.bootstrap import Context
from privaat.domain.activities import RIGHTS
from privaat.domain.principal import StaffMember, StaffRole
from privaat.domain.subject_requests import Action, RequestKind
from privaat.render.redaction import (
    IBAN_PLACEHOLDER,
    NAME_PLACEHOLDER,
    PHONE_PLACEHOLDER,
    PLACEHOLDER,
)
from privaat.services.subject_export import SubjectExport
from privaat.services.subject_requests import RequestChannel
from privaat.services.support_desk import Channel, ContactBy, EventKind, NewCase

AGENT = StaffMember(2, StaffRole.SUPPORT)
ANNA = {"name": "Anna de Wit", "email": "anna.dewit@voorbeeld.nl", "phone": "06-11223344"}
PIET = {"name": "Piet Jansen", "email": "piet.jansen@voorbeeld.nl", "phone": "06-87654321"}
PIET_IBAN = "NL44 RABO 0123 4567 89"
QUESTION = (
    "Mijn buurman Piet Jansen krijgt mijn facturen. Hij is bereikbaar op +31 6 87654321 of "
    f"{PIET['email']}, en het geld ging naar zijn rekening {PIET_IBAN}. Bel mij terug op "
    "06 11 22 33 44 of mail anna.dewit@voorbeeld.nl. Groet, Anna de Wit"
)


def _case_and_request(context: Context) -> tuple[Customer, Customer, str]:
    piet = customer(context, **PIET)  # another customer privaat holds
    anna = customer(context, **ANNA)
    with context.unit_of_work() as uow:
        filed = context.support.file_by_customer(
            uow,
            anna.principal,
            NewCase(
                channel=Channel.WEB,
                title="Facturen bij de buren (06-87654321)",
                question=QUESTION,
                contact_by=ContactBy.PHONE,
                name=ANNA["name"],
                email=ANNA["email"],
                phone=ANNA["phone"],
            ),
        )
        context.support.add_event(
            uow, AGENT, filed.reference, EventKind.NOTE, "PIET JANSEN gebeld op 0031 6 8765 4321."
        )
        row, _created = context.requests.file_for(
            uow, anna.principal, RequestKind.ACCESS, channel=RequestChannel.API
        )
        context.requests.act(uow, OFFICER, row.reference, Action.START)
    return anna, piet, row.reference


def _answer(context: Context, reference: str) -> zipfile.ZipFile:
    with context.unit_of_work() as uow:
        answer = context.answers.answer(uow, OFFICER, reference)
        _name, content = context.answers.download(uow, answer.url.split("token=")[1])
    return zipfile.ZipFile(io.BytesIO(content))


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def test_issue15_item5_L62_another_customers_phone_address_iban_and_name_are_in_no_file(
    context: Context,
) -> None:
    _anna, piet, reference = _case_and_request(context)
    context.access_log.flush()
    before = _reads_of(context, piet)
    archive = _answer(context, reference)
    for name in archive.namelist():
        content = archive.read(name).decode("utf-8", "replace")
        assert PIET["email"] not in content, name
        assert "piet jansen" not in content.lower(), name
        assert _digits(PIET_IBAN) not in _digits(content), name
        assert "RABO" not in content, name
        for written in ("87654321", "8765 4321", "+31687654321"):
            assert written not in content, (name, written)
    [case] = json.loads(archive.read("data/support_cases.json"))
    # her own: the case's contact details, and in her own words her number, address, name
    assert case["phone"] == "+31611223344" and case["email"] == ANNA["email"]
    assert "06 11 22 33 44" in case["question"] and ANNA["email"] in case["question"]
    assert case["question"].endswith("Groet, Anna de Wit")
    assert PHONE_PLACEHOLDER in case["question"] and PLACEHOLDER in case["question"]
    assert IBAN_PLACEHOLDER in case["question"]
    assert case["question"].startswith(f"Mijn buurman {NAME_PLACEHOLDER} krijgt mijn facturen.")
    assert case["title"] == f"Facturen bij de buren ({PHONE_PLACEHOLDER})"
    events = json.loads(archive.read("data/support_case_events.json"))
    assert [e["body"] for e in events] == [f"{NAME_PLACEHOLDER} gebeld op {PHONE_PLACEHOLDER}."]
    csv = archive.read("data/support_cases.csv").decode("utf-8")
    assert "06 11 22 33 44" in csv and PHONE_PLACEHOLDER in csv
    # reading his name to take it out is a read of his data: in his access log, by role
    context.access_log.flush()
    assert _reads_of(context, piet) == [*before, ("staff:privacy_officer", RIGHTS, "read")]


def _reads_of(context: Context, person: Customer) -> list[tuple[str, str, str]]:
    with context.unit_of_work() as uow:
        data = SubjectExport(access=context.access).collect(
            uow, person.principal, person.subject_id
        )
    logged = data.part("access_log")
    assert logged is not None
    return [
        (row["actor"], row["activity"], row["operation"])
        for row in logged.rows
        if row["activity"] == RIGHTS and row["actor"].startswith("staff")
    ]
