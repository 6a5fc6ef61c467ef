"""The outbox: mail is queued in the same transaction as the change it reports, then sent.

A message is stored encrypted under its subject's key, so the outbox holds no address or
text in clear and an erased subject's pending mail becomes unreadable with the key.
"""

from __future__ import annotations

import json
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import Connection, Engine, insert, select, update

from privaat.store.crypto import SubjectCipher
from privaat.store.keys import KeyStore
from privaat.store.tables import outbox, subjects

_FIELD = "outbox.message"


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    to: str
    subject: str
    body: str


def queue(
    connection: Connection,
    *,
    subject_id: int,
    cipher: SubjectCipher,
    activity: str,
    template: str,
    mail: OutgoingMail,
    at: datetime,
) -> None:
    """Queue ``mail`` for ``subject_id``; it is sent only if the surrounding transaction commits."""
    document = json.dumps({"to": mail.to, "subject": mail.subject, "body": mail.body})
    connection.execute(
        insert(outbox).values(
            subject_id=subject_id,
            activity=activity,
            template=template,
            message_enc=cipher.encrypt(_FIELD, document),
            created_at=at,
            attempts=0,
        )
    )


def pending(connection: Connection, keys: KeyStore) -> list[tuple[int, str, OutgoingMail]]:
    """Unsent messages as (id, template, mail), decrypted."""
    rows = connection.execute(
        select(
            outbox.c.id,
            outbox.c.template,
            outbox.c.message_enc,
            outbox.c.subject_id,
            subjects.c.pseudonym,
        )
        .join(subjects, subjects.c.id == outbox.c.subject_id)
        .where(outbox.c.sent_at.is_(None))
        .order_by(outbox.c.id)
    ).all()
    messages = []
    for row in rows:
        cipher = keys.cipher(connection, row.subject_id, row.pseudonym)
        document = json.loads(cipher.decrypt(_FIELD, row.message_enc))
        messages.append((row.id, row.template, OutgoingMail(**document)))
    return messages


def deliver(
    engine: Engine, keys: KeyStore, *, host: str, port: int, sender: str, at: datetime
) -> int:
    """Send every pending message over SMTP; each is marked sent only after the server took it."""
    with engine.connect() as connection:
        messages = pending(connection, keys)
    sent = 0
    with smtplib.SMTP(host, port, timeout=30) as smtp:
        for message_id, _template, mail in messages:
            message = EmailMessage()
            message["From"], message["To"], message["Subject"] = sender, mail.to, mail.subject
            message.set_content(mail.body)
            smtp.send_message(message)
            with engine.begin() as connection:
                connection.execute(
                    update(outbox).where(outbox.c.id == message_id).values(sent_at=at)
                )
            sent += 1
    return sent
