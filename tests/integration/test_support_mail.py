"""Mail to the support address over real SMTP becomes a support case (issue 12 item 2; P5,
LEGAL L5): 250 only after the case is stored, automatic mail files nothing, a reply adds to
its case, a lookalike sender gets an unlinked case, a card number or a huge log is refused.

The listener is ``mail.privacy_mailbox`` on a loopback port; the client is ``smtplib``.
"""

from __future__ import annotations

import re
import smtplib
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.factories import customer

from privaat.bootstrap import Context
from privaat.domain.principal import StaffMember, StaffRole
from privaat.mail.privacy_mailbox import PrivacyMailbox, mailbox_controller, support_address_for
from privaat.store.tables import subjects
from privaat.store.tables_support import support_case_events, support_cases

PRIVACY = "euprivacy@flexibelt.nl"
SUPPORT = "support@flexibelt.nl"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def smtp_port(context: Context) -> Iterator[int]:
    handler = PrivacyMailbox(
        address=context.policy.privacy_contact.email,
        requests=context.requests,
        unit_of_work=context.unit_of_work,
        support=context.support,
        support_address=context.settings.support_address,
    )
    port = _free_port()
    controller = mailbox_controller(handler, host="127.0.0.1", port=port, max_bytes=4 << 20)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def _mail(
    sender: str,
    subject: str,
    body: str,
    *,
    headers: dict[str, str] | None = None,
    log: bytes | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = f"Jan Jansen <{sender}>"
    message["To"] = SUPPORT
    message["Subject"] = subject
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if log is not None:
        message.add_attachment(log, maintype="text", subtype="plain", filename="sync.log")
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def _send(port: int, raw: bytes, *, to: str = SUPPORT, sender: str = "jan@example.nl") -> Any:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo("mail.example.nl")
        client.mail(sender)
        code, reply = client.rcpt(to)
        if code != 250:
            return code, reply
        return client.data(raw)


def _cases(context: Context) -> list[Any]:
    with context.engine.connect() as connection:
        return list(connection.execute(select(support_cases).order_by(support_cases.c.id)))


def test_p5_the_support_address_defaults_to_the_privacy_domain() -> None:
    assert support_address_for(None, PRIVACY) == SUPPORT
    assert support_address_for(" help@flexibelt.nl ", PRIVACY) == "help@flexibelt.nl"


def test_l5_a_mail_from_the_verified_address_files_a_linked_case(
    context: Context, smtp_port: int
) -> None:
    me = customer(context)
    code, reply = _send(smtp_port, _mail(me.email, "Geen verbinding", "Mijn toestel is offline."))
    assert code == 250, reply
    [case] = _cases(context)
    assert case.reference in reply.decode()
    assert case.subject_id == me.subject_id and case.linked_by == "verified_email"
    assert case.channel == "email" and case.status == "open"


def test_l5_a_mail_from_a_lookalike_address_files_an_unlinked_case(
    context: Context, smtp_port: int
) -> None:
    me = customer(context, email="jan@flexibelt.nl")
    code, reply = _send(smtp_port, _mail("jan@f1exibelt.nl", "Help", "Mijn wachtwoord graag."))
    assert code == 250, reply
    [case] = _cases(context)
    assert case.subject_id != me.subject_id and case.linked_by is None


def test_p7_a_reply_with_the_reference_adds_to_its_case(context: Context, smtp_port: int) -> None:
    code, reply = _send(smtp_port, _mail("piet@example.org", "Storing", "Het werkt niet."))
    assert code == 250, reply
    [case] = _cases(context)
    code, reply = _send(
        smtp_port, _mail("piet@example.org", f"Re: Storing [{case.reference}]", "Nog steeds niet.")
    )
    assert code == 250 and b"Added to case" in reply, reply
    assert len(_cases(context)) == 1
    with context.engine.connect() as connection:
        kinds = connection.execute(
            select(support_case_events.c.kind).where(support_case_events.c.case_id == case.id)
        ).scalars()
        assert list(kinds) == ["message"]
    # the same reference from someone else's address is a case of its own, not theirs
    code, reply = _send(
        smtp_port, _mail("vreemde@example.com", f"Re: [{case.reference}]", "Laat zien.")
    )
    assert code == 250 and b"Filed as case" in reply, reply
    assert len(_cases(context)) == 2


def test_p7_an_attached_log_is_stored_scrubbed(context: Context, smtp_port: int) -> None:
    log = b"12:00 REGISTER failed\nCall from +31 6 12345678 password=hunter2\n"
    code, reply = _send(smtp_port, _mail("log@example.org", "Log", "Zie bijlage.", log=log))
    assert code == 250, reply
    [case] = _cases(context)
    with context.unit_of_work() as uow:
        detail = context.support.read(uow, StaffMember(5, StaffRole.SUPPORT), case.reference)
    [event] = detail.events
    assert event.log is not None and "REGISTER failed" in event.log
    assert "12345678" not in event.log and "hunter2" not in event.log


def test_p7_automatic_mail_files_nothing(context: Context, smtp_port: int) -> None:
    raw = _mail(
        "jan@example.nl", "Afwezig", "Ik ben er niet.", headers={"Auto-Submitted": "auto-replied"}
    )
    code, reply = _send(smtp_port, raw)
    assert code == 250, reply
    assert _cases(context) == []


def test_p7_a_card_number_is_refused_and_nothing_stored(context: Context, smtp_port: int) -> None:
    raw = _mail("jan@example.nl", "Betaling", "Mijn kaart: 4111 1111 1111 1111")
    code, reply = _send(smtp_port, raw)
    assert code == 550 and b"question" in reply, reply
    assert b"4111" not in reply
    assert _cases(context) == []


def test_p7_a_log_over_the_limit_is_refused_with_552(context: Context, smtp_port: int) -> None:
    raw = _mail(
        "jan@example.nl", "Groot log", "Zie bijlage.", log=b"REGISTER retry 408\n" * 120_000
    )
    code, reply = _send(smtp_port, raw)
    assert code == 552, reply
    assert _cases(context) == []


def test_p7_a_database_failure_answers_451_and_stores_nothing(
    context: Context, smtp_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    before = _subjects(context)
    # the failure comes after the new sender's subject was written in the same transaction
    monkeypatch.setattr(context.support, "_insert", broken)
    code, reply = _send(smtp_port, _mail("jan@example.nl", "Help", "Graag hulp."))
    assert code == 451, reply
    assert _cases(context) == []
    assert _subjects(context) == before  # no orphan subject was committed either


def _subjects(context: Context) -> int:
    with context.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(subjects)).scalar_one())


def test_p7_privacy_and_support_mailboxes_take_one_transaction_each(
    context: Context, smtp_port: int
) -> None:
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
        client.ehlo("mail.example.nl")
        client.mail("jan@example.nl")
        assert client.rcpt(SUPPORT)[0] == 250
        code, _reply = client.rcpt(PRIVACY)
        assert code == 452
        assert client.rcpt("sales@flexibelt.nl")[0] == 550
        code, reply = client.data(_mail("jan@example.nl", "Vraag", "Over mijn router."))
    assert code == 250 and re.search(rb"SC-\w{8}", reply), reply
    assert len(_cases(context)) == 1
