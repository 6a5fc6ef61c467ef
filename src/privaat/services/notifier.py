"""Security notices (P3, LEGAL L4): queued in the caller's transaction, opened through the seam."""

from __future__ import annotations

from sqlalchemy import Connection

from privaat.domain.activities import NOTICES
from privaat.domain.clock import Clock
from privaat.domain.principal import Principal
from privaat.mail.notices import Notice, notice_text
from privaat.mail.transport import OutgoingMail
from privaat.services.outbox import queue
from privaat.services.subject_access import Operation, SubjectAccess

__all__ = ["Notifier"]


class Notifier:
    """Queues a notice to a subject in their language, if the guard allows ``important_notices``."""

    activities = frozenset({NOTICES})

    def __init__(self, *, access: SubjectAccess, clock: Clock, provider: str, contact: str) -> None:
        self._access, self._clock = access, clock
        self._provider, self._contact = provider, contact

    def notify(
        self,
        connection: Connection,
        principal: Principal,
        subject_id: int,
        notice: Notice,
        *,
        to: str | None = None,
        **values: str,
    ) -> bool:
        """Queue ``notice`` in the current transaction; False when the guard does not allow it."""
        opened = self._access.open_if_allowed(
            connection, principal, subject_id, NOTICES, operation=Operation.READ
        )
        if opened is None:
            return False
        address = to or opened.decrypt("accounts.email", opened.record["email_enc"])
        if address is None:  # a subject without an account has no address to write to
            return False
        text = notice_text(
            notice,
            opened.record["language"] or "nl",
            provider=self._provider,
            contact=self._contact,
            **values,
        )
        queue(
            connection,
            opened,
            template=notice.value,
            mail=OutgoingMail(to=address, subject=text.subject, body=text.body),
            at=self._clock.now(),
        )
        return True
