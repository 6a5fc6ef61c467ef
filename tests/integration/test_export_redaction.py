"""L62 (GDPR art. 15(4)): an access answer hands over the person's data, not other people's.

A person writes to the privacy mailbox and copies in a neighbour; staff open their data. The
answer the person downloads names staff by role only, and the neighbour's address and name
appear nowhere in it: not in the mail as stored, not in the request's fields, not in any
other member of the ZIP.
"""

from __future__ import annotations

import base64
import email
import io
import json
import zipfile
from email.policy import default

from tests.factories import Customer, customer

from privaat.bootstrap import Context
from privaat.domain.activities import RIGHTS
from privaat.domain.principal import DataSubject, StaffMember, StaffRole
from privaat.domain.subject_requests import Action, RequestKind
from privaat.render.redaction import PLACEHOLDER, redact_actor, redact_mail
from privaat.services.subject_access import Operation
from privaat.services.subject_export import SubjectExport
from privaat.services.subject_requests import RequestChannel

OFFICER = StaffMember(41, StaffRole.PRIVACY_OFFICER)
NEIGHBOUR = "els.buur@example.org"


def _mail(person: Customer, mailbox: str) -> bytes:
    body = (
        "Ik wil graag inzage in mijn gegevens.\r\n"
        f"Stuur het antwoord niet naar {NEIGHBOUR}, dat is mijn buurvrouw.\r\n"
    )
    return (
        f"From: Anna de Wit <{person.email}>\r\n"
        f"To: {mailbox}\r\n"
        f"Cc: Buurvrouw Els <{NEIGHBOUR}>, {person.email}\r\n"
        "Subject: Inzage\r\n"
        "Message-ID: <verzoek-1@mail.example.nl>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n" + base64.encodebytes(body.encode()).decode().replace("\n", "\r\n")
    ).encode()


def _seeded(context: Context) -> tuple[Customer, str]:
    person = customer(context, name="Anna de Wit")
    mailbox = context.policy.privacy_contact.email
    with context.unit_of_work() as uow:
        context.requests.receive_mail(uow, _mail(person, mailbox))
        with uow.writing() as connection:  # a privacy officer looks at the account
            context.access.open(
                connection, OFFICER, person.subject_id, RIGHTS, operation=Operation.READ
            )
    context.access_log.flush()
    return person, mailbox


def _answer(context: Context, person: Customer) -> zipfile.ZipFile:
    with context.unit_of_work() as uow:
        [request] = context.requests.requests_of(uow, person.principal, person.subject_id)
        if request.status.value == "received":
            context.requests.act(uow, OFFICER, request.reference, Action.VERIFY)
        context.requests.act(uow, OFFICER, request.reference, Action.START)
        context.answers.answer(uow, OFFICER, request.reference)
    [mail] = [m for _i, t, m in context.outbox.pending() if t == "request_answered"]
    token = mail.body.split("/requests/download?token=", 1)[1].split()[0]
    with context.unit_of_work() as uow:
        _name, package = context.answers.download(uow, token)
    return zipfile.ZipFile(io.BytesIO(package))


def test_L62_a_cc_to_someone_else_leaves_no_trace_in_the_answer(context: Context) -> None:
    person, mailbox = _seeded(context)
    archive = _answer(context, person)
    [eml_name] = [n for n in archive.namelist() if n.endswith(".eml")]
    eml = archive.read(eml_name)
    message = email.message_from_bytes(eml, policy=default)
    # still a mail that parses, from the person, to the mailbox, the person's own Cc kept
    assert message["From"].addresses[0].addr_spec == person.email
    assert message["To"].addresses[0].addr_spec == mailbox
    assert [a.addr_spec for a in message["Cc"].addresses] == [person.email, PLACEHOLDER]
    text = message.get_content()
    assert "Ik wil graag inzage in mijn gegevens." in text
    assert f"niet naar {PLACEHOLDER}, dat is mijn buurvrouw" in text
    assert message["Message-ID"] == "<verzoek-1@mail.example.nl>"  # an id, not a person
    # nowhere in the whole ZIP: not the address, not the neighbour's display name
    for name in archive.namelist():
        content = archive.read(name)
        assert NEIGHBOUR.encode() not in content, name
        assert b"Buurvrouw Els" not in content, name
    [request] = json.loads(archive.read("data/subject_requests.json"))
    assert PLACEHOLDER in request["details"] and person.email in request["details"]


def test_L62_the_access_log_and_the_audit_trail_name_roles_not_employees(
    context: Context,
) -> None:
    person, _mailbox = _seeded(context)
    with context.unit_of_work() as uow:
        [request] = context.requests.requests_of(uow, person.principal, person.subject_id)
        context.requests.act(uow, OFFICER, request.reference, Action.VERIFY)  # audited
    with context.unit_of_work() as uow:
        data = SubjectExport(access=context.access).collect(
            uow, DataSubject(person.subject_id), person.subject_id
        )
    logged = data.part("access_log").rows  # type: ignore[union-attr]
    audited = data.part("audit_log").rows  # type: ignore[union-attr]
    by_officer = [row for row in logged if row["actor"].startswith("staff")]
    assert by_officer, "the officer's read is in the access log"
    # the role and the activity: what the person may know of who handled their data
    assert {(row["actor"], row["activity"]) for row in by_officer} == {
        ("staff:privacy_officer", RIGHTS)
    }
    audited_staff = {row["actor"] for row in audited if row["actor"].startswith("staff")}
    assert audited_staff == {"staff:privacy_officer"}  # the officer's steps, by role
    everything = json.dumps([list(logged), list(audited)])
    assert "staff:41" not in everything


def test_L62_the_rules_by_hand() -> None:
    assert redact_actor("staff:17:support") == "staff:support"
    assert redact_actor("staff:17") == "staff"
    assert redact_actor("self") == "self"
    assert redact_actor("system:mailbox") == "system:mailbox"
    assert redact_actor("customer:hoster-42") == "customer:hoster-42"  # a controller
    own = (
        b"From: a@example.nl\r\nTo: euprivacy@flexibelt.nl\r\nSubject: hoi\r\n\r\nInzage graag.\r\n"
    )
    # nothing of anyone else: the very bytes received
    assert redact_mail(own, {"a@example.nl", "euprivacy@flexibelt.nl"}) == own
    reply = (
        b"From: a@example.nl\r\nTo: euprivacy@flexibelt.nl\r\n"
        b"Reply-To: =?utf-8?q?Pi=C3=ABt?= <piet@example.com>\r\n"
        b"Subject: =?utf-8?q?vraag_van_piet=40example=2Ecom?=\r\n\r\nInzage graag.\r\n"
    )
    redacted = redact_mail(reply, {"a@example.nl", "euprivacy@flexibelt.nl"})
    assert b"piet" not in redacted.lower()
    parsed = email.message_from_bytes(redacted, policy=default)
    assert parsed["Reply-To"].addresses[0].addr_spec == PLACEHOLDER
    assert str(parsed["Subject"]) == f"vraag van {PLACEHOLDER}"
    assert "Inzage graag." in parsed.get_content()


def test_L62_portability_is_redacted_too(context: Context) -> None:
    person = customer(context)
    with context.unit_of_work() as uow:
        row, _created = context.requests.file_for(
            uow, person.principal, RequestKind.PORTABILITY, channel=RequestChannel.API
        )
        with uow.writing() as connection:
            context.access.open(
                connection, OFFICER, person.subject_id, RIGHTS, operation=Operation.READ
            )
    context.access_log.flush()
    archive = _answer(context, person)
    for name in archive.namelist():
        assert b"staff:41" not in archive.read(name), name
