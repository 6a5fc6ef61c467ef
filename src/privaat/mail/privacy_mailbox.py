"""The privacy mailbox's SMTP listener: each mail to it becomes a tracked request (issue 11).

    MAIL FROM ─▶ RCPT TO: only the policy's privacy address ─other─▶ 550 5.1.1 (at RCPT time)
             ─▶ DATA larger than the limit ─▶ 552 5.3.4 (aiosmtpd's SIZE check, RFC 1870)
             ─▶ DATA ─▶ automatic (an out-of-office reply, a bounce, RFC 3834) ─▶ 250, no
                        request and no acknowledgement (two robots would answer each other)
                     ─▶ SubjectRequests.receive_mail, committed ─▶ 250 (only then)
                          no address to answer ─▶ 550 5.7.1
                          anything else fails ─▶ 451 4.3.0: the sender's server tries again

The reply 250 goes out only after the transaction committed, so a mail is never lost once
accepted (RFC 5321 §6.1: a server that says 250 has taken responsibility for the message).
The database work runs in a worker thread: one slow commit does not stall other sessions.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from privaat.mail.intake import automatic_reason
from privaat.services.errors import InvalidField
from privaat.services.subject_requests import SubjectRequests
from privaat.store.unit_of_work import UnitOfWork

__all__ = ["MAX_MAIL_BYTES", "PrivacyMailbox", "mailbox_controller"]

log = logging.getLogger("privaat.mailbox")

MAX_MAIL_BYTES = 25 * 1024 * 1024  # a request with attachments fits; a 30 MB mail does not


class PrivacyMailbox:
    """The aiosmtpd handler: accepts mail for one address and files it as a request."""

    def __init__(
        self,
        *,
        address: str,
        requests: SubjectRequests,
        unit_of_work: Callable[[], UnitOfWork],
    ) -> None:
        self._address = address.strip().lower()
        self._requests, self._unit_of_work = requests, unit_of_work

    async def handle_RCPT(  # noqa: N802  (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        # refused at RCPT time, not bounced later: the sending server tells its user at once
        if address.strip().lower() != self._address:
            return "550 5.1.1 No such mailbox here: only the privacy mailbox takes mail"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or envelope.content
        if not isinstance(raw, bytes):
            raw = str(raw or "").encode("utf-8", "surrogateescape")
        reason = automatic_reason(raw, envelope_sender=envelope.mail_from)
        if reason is not None:
            log.info("an automatic mail to the privacy mailbox was not filed: %s", reason)
            return "250 2.0.0 Automatic mail noted; no request filed"
        sender = envelope.mail_from or None
        try:
            receipt = await asyncio.to_thread(self._receive, raw, sender)
        except InvalidField:
            return "550 5.7.1 A request needs a From address to answer; none was given"
        except Exception:  # noqa: BLE001  (any failure: the sender keeps the mail and retries)
            log.exception("a mail to the privacy mailbox could not be stored; 451 sent")
            return "451 4.3.0 The request could not be stored; please try again later"
        return f"250 2.0.0 Filed as request {receipt.reference}"

    def _receive(self, raw: bytes, sender: str | None) -> Any:
        with self._unit_of_work() as uow:
            return self._requests.receive_mail(uow, raw, envelope_sender=sender)


def mailbox_controller(
    handler: PrivacyMailbox, *, host: str, port: int, max_bytes: int = MAX_MAIL_BYTES
) -> Controller:
    """An SMTP server for ``handler`` on ``host:port`` (start() and stop() it)."""
    return Controller(
        handler,
        hostname=host,
        port=port,
        data_size_limit=max_bytes,
        enable_SMTPUTF8=True,
        # the mail's bytes as received: the parser, not the server, decodes them
        decode_data=False,
        ready_timeout=10,
    )
