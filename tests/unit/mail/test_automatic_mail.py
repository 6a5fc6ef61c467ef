"""Mail no person wrote starts no request and gets no acknowledgement (issue 11 item 1; RFC
3834 §2: an automatic answer to an automatic mail is how two robots mail each other forever)."""

from __future__ import annotations

import pytest

from privaat.mail.intake import automatic_reason

PERSON = (
    b"From: Anne <anne@example.nl>\r\nTo: euprivacy@flexibelt.nl\r\nSubject: inzage\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
)


def _mail(extra: bytes = b"", *, head: bytes = PERSON) -> bytes:
    return head + extra + b"\r\nGraag inzage in mijn gegevens.\r\n"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        pytest.param(b"Auto-Submitted: auto-replied\r\n", "Auto-Submitted", id="rfc3834-reply"),
        pytest.param(b"Auto-Submitted: auto-generated\r\n", "Auto-Submitted", id="generated"),
        pytest.param(b"Precedence: bulk\r\n", "Precedence", id="bulk"),
        pytest.param(b"Precedence: auto_reply\r\n", "Precedence", id="auto-reply-precedence"),
        pytest.param(b"X-Autoreply: yes\r\n", "X-Autoreply", id="x-autoreply"),
        pytest.param(b"X-Autorespond: Out of office\r\n", "X-Autorespond", id="x-autorespond"),
    ],
)
def test_an_automatic_reply_is_recognised_by_its_headers(extra: bytes, expected: str) -> None:
    reason = automatic_reason(_mail(extra))
    assert reason is not None and expected in reason


def test_a_delivery_report_is_automatic() -> None:
    report = (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.example.nl>\r\n"
        b"To: euprivacy@flexibelt.nl\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n--b--\r\n"
    )
    assert "report" in (automatic_reason(report) or "")
    assert "null reverse-path" in (automatic_reason(_mail(), envelope_sender="") or "")


@pytest.mark.parametrize(
    ("extra", "envelope"),
    [
        pytest.param(b"", "anne@example.nl", id="plain"),
        pytest.param(b"Auto-Submitted: no\r\n", "anne@example.nl", id="auto-submitted-no"),
        # Outlook asks others not to auto-answer it: a person's mail may well carry this
        pytest.param(b"X-Auto-Response-Suppress: All\r\n", "anne@example.nl", id="outlook"),
        pytest.param(b"Precedence: first-class\r\n", None, id="other-precedence"),
    ],
)
def test_a_persons_mail_is_not_automatic(extra: bytes, envelope: str | None) -> None:
    assert automatic_reason(_mail(extra), envelope_sender=envelope) is None


def test_a_null_sender_without_any_from_is_left_to_the_mailbox_to_refuse() -> None:
    raw = b"Subject: inzage\r\nContent-Type: text/plain\r\n\r\nInzage graag.\r\n"
    assert automatic_reason(raw, envelope_sender="") is None
