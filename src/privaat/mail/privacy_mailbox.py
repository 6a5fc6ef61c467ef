"""The privacy mailbox's SMTP listener: each mail to it becomes a tracked request (issue 11),
and each mail to the support address a support case (issue 12 item 2, P5, LEGAL L5).

    MAIL FROM ─▶ RCPT TO: the policy's privacy address, or the support address
             │            ─other─▶ 550 5.1.1 (at RCPT time)
             │            ─the other of the two in the same transaction─▶ 452 4.5.3: the
             │             sending server sends that copy again, on its own
             ─▶ DATA larger than the limit ─▶ 552 5.3.4 (aiosmtpd's SIZE check, RFC 1870)
             ─▶ DATA ─▶ automatic (an out-of-office reply, a bounce, RFC 3834) ─▶ 250, no
                        request and no acknowledgement (two robots would answer each other)
                     ─▶ SubjectRequests.receive_mail, committed ─▶ 250 (only then)
                          no address to answer ─▶ 550 5.7.1
                          anything else fails ─▶ 451 4.3.0: the sender's server tries again
                     ─▶ (support) SupportDesk.file_mail, committed ─▶ 250 with the case's
                          reference; a reference in the subject from that case's address adds
                          the mail to the case; linked to an account only from its verified
                          address (L5)
                          a card number, no address to answer ─▶ 550 5.7.1 (field named)
                          an attached log over the limit ─▶ 552 5.3.4

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
from privaat.mail.support_mail import read_support_mail
from privaat.services.errors import InvalidField
from privaat.services.subject_requests import SubjectRequests
from privaat.services.support_desk import Filed, SupportDesk
from privaat.store.unit_of_work import UnitOfWork

__all__ = ["MAX_MAIL_BYTES", "PrivacyMailbox", "mailbox_controller", "support_address_for"]

log = logging.getLogger("privaat.mailbox")

MAX_MAIL_BYTES = 25 * 1024 * 1024  # a request with attachments fits; a 30 MB mail does not


def support_address_for(configured: str | None, privacy_address: str) -> str:
    """The support mailbox: ``PRIVAAT_SUPPORT_ADDRESS``, else support@ the privacy domain."""
    if configured and configured.strip():
        return configured.strip()
    return "support@" + privacy_address.rpartition("@")[2]


class PrivacyMailbox:
    """The aiosmtpd handler: accepts mail for the privacy address and files it as a request,
    and, given a support desk, mail for the support address and files it as a case."""

    def __init__(
        self,
        *,
        address: str,
        requests: SubjectRequests,
        unit_of_work: Callable[[], UnitOfWork],
        support: SupportDesk | None = None,
        support_address: str | None = None,
    ) -> None:
        self._address = address.strip().lower()
        self._requests, self._unit_of_work = requests, unit_of_work
        self._support = support
        self._support_address = (
            support_address_for(support_address, address).lower() if support else None
        )

    @property
    def support_address(self) -> str | None:
        """The support mailbox's address, or None when this server takes privacy mail only."""
        return self._support_address

    def _mailbox(self, address: str) -> str | None:
        wanted = address.strip().strip("<>").lower()
        if wanted == self._address:
            return "privacy"
        if self._support_address is not None and wanted == self._support_address:
            return "support"
        return None

    async def handle_RCPT(  # noqa: N802  (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        # refused at RCPT time, not bounced later: the sending server tells its user at once
        mailbox = self._mailbox(address)
        if mailbox is None:
            if self._support_address is None:
                return "550 5.1.1 No such mailbox here: only the privacy mailbox takes mail"
            return "550 5.1.1 No such mailbox here: only the privacy and support mailboxes"
        taken = {self._mailbox(given) for given in envelope.rcpt_tos}
        if taken and mailbox not in taken:
            # one mailbox per transaction: each is stored and answered on its own (RFC 5321
            # §4.5.3.1.10: the client sends the refused recipients again later)
            return "452 4.5.3 One mailbox per message; send this recipient separately"
        if mailbox not in taken:
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
        if self._support is not None and self._mailbox(envelope.rcpt_tos[0]) == "support":
            return await self._support_DATA(raw)
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

    async def _support_DATA(self, raw: bytes) -> str:  # noqa: N802
        try:
            filed = await asyncio.to_thread(self._file_case, raw)
        except InvalidField as error:
            if error.field == "log":
                return f"552 5.3.4 The attached log was refused: {error.message}"
            if error.field == "email":
                return "550 5.7.1 A support case needs a From address to answer; none was given"
            return f"550 5.7.1 The mail was not filed ({error.field}): {error.message}"
        except Exception:  # noqa: BLE001  (any failure: the sender keeps the mail and retries)
            log.exception("a mail to the support mailbox could not be stored; 451 sent")
            return "451 4.3.0 The case could not be stored; please try again later"
        if not filed.new_case:
            return f"250 2.0.0 Added to case {filed.reference}"
        return f"250 2.0.0 Filed as case {filed.reference}"

    def _file_case(self, raw: bytes) -> Filed:
        assert self._support is not None  # noqa: S101  (only called with a support desk)
        mail = read_support_mail(raw)
        with self._unit_of_work() as uow:
            return self._support.file_mail(
                uow,
                sender=mail.sender,
                sender_name=mail.sender_name,
                subject=mail.subject,
                text=mail.text,
                log=mail.log,
            )


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
