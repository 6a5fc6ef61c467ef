"""Erasure carried out from a request (issue 11 item 6; GDPR art. 17, 19; LEGAL L34, L64):
completed only when the erasure verifies, what was kept told with why and until when, a
completion receipt whose SHA-256 is in the audit trail, recipients and processors told."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from tests.factories import customer
from tests.integration.test_request_rights_rectification import OFFICER, started

from privaat.bootstrap import Context
from privaat.domain.subject_requests import Action, RequestKind
from privaat.mail.transport import InMemoryTransport
from privaat.services.erasure import ErasureIncomplete, ErasureWaits
from privaat.services.errors import Conflict
from privaat.services.notifier import Notifier
from privaat.services.request_rights import RightsHandling
from privaat.services.subject_requests import RequestChannel
from privaat.store.tables import audit_log, outbox, subject_keys, subjects
from privaat.store.tables_requests import subject_requests
from privaat.store.tables_rights import request_receipts


def _audit(context: Context, action: str) -> list[dict[str, object]]:
    with context.engine.connect() as connection:
        return [
            json.loads(detail)
            for act, detail in connection.execute(select(audit_log.c.action, audit_log.c.detail))
            if act == action
        ]


def test_L64_an_erasure_request_is_completed_with_a_receipt_and_what_was_kept(
    context: Context,
) -> None:
    person, reference = started(context, RequestKind.ERASURE)
    with context.unit_of_work() as uow:
        done = context.rights.erase(uow, OFFICER, reference)
    assert done.report.data_key_destroyed
    receipt = json.loads(done.receipt)
    assert receipt["reference"] == reference and receipt["kind"] == "erasure"
    assert receipt["data_key_destroyed"] is True
    tables = {t["table"]: t for t in receipt["tables"]}
    assert tables["accounts"]["before"] == 1 and tables["accounts"]["after"] == 0
    assert tables["subject_requests"] == {
        "table": "subject_requests",
        "before": 1,
        "after": 1,
        "kept_for": "rights_handling",
    }
    # the fixed clock stands at 2026-11-26: the request is kept for rights handling, five
    # years from its receipt (a legal obligation); the security log six months (its clock)
    kept = {item["why"]: item for item in receipt["kept"]}
    assert kept["Uw privacyrechten (wettelijke verplichting (art. 6 lid 1 onder c AVG))"] == {
        "what": "Verzoeken over uw privacyrechten en de afhandeling daarvan, E-mailadres",
        "why": "Uw privacyrechten (wettelijke verplichting (art. 6 lid 1 onder c AVG))",
        "until": "2031-11-26",
    }
    assert (
        kept["Beveiligingslogboek (gerechtvaardigd belang (art. 6 lid 1 onder f AVG))"]["until"]
        == "2027-05-26"
    )
    assert len(kept) == 2
    # the receipt's hash is in the audit trail, and the receipt is kept with the request
    assert hashlib.sha256(done.receipt.encode()).hexdigest() == done.sha256
    assert _audit(context, "request.erased") == [{"reference": reference, "sha256": done.sha256}]
    with context.engine.connect() as connection:
        stored = connection.execute(select(request_receipts)).one()
        status = connection.execute(select(subject_requests.c.status)).scalar()
        key = connection.execute(
            select(subject_keys).where(subject_keys.c.subject_id == person.subject_id)
        ).first()
    assert stored.sha256 == done.sha256 and done.sha256.encode() not in stored.document_enc
    assert status == "completed" and key is None
    # the requester gets the answer with the receipt, and where to complain
    [letter] = [m for _i, t, m in context.outbox.pending() if t == "request_erased"]
    assert letter.to == person.email
    assert done.sha256 in letter.body and done.receipt in letter.body
    assert "Uw privacyrechten" in letter.body and "26 november 2031" in letter.body
    assert "Autoriteit Persoonsgegevens" in letter.body
    # art. 19: the processor that sent the person's notices is told (it has no address:
    # listed for the officer)
    assert {t.recipient: t.told for t in done.told} == {"email_service": "no_address"}


def test_an_erasure_under_a_legal_hold_waits_and_leaves_the_request_as_it_was(
    context: Context,
) -> None:
    person, reference = started(context, RequestKind.ERASURE)
    with context.engine.begin() as connection:
        connection.execute(
            update(subjects).where(subjects.c.id == person.subject_id).values(legal_hold=True)
        )
    with context.unit_of_work() as uow, pytest.raises(ErasureWaits):
        context.rights.erase(uow, OFFICER, reference)
    with context.engine.connect() as connection:
        assert connection.execute(select(subject_requests.c.status)).scalar() == "in_progress"
        assert not connection.execute(select(request_receipts)).all()
    with context.unit_of_work() as uow:
        profile = context.accounts.read_profile(uow, person.principal, person.subject_id)
    assert profile.email == person.email
    assert not _audit(context, "request.erased")


def test_a_second_erasure_of_an_erased_person_is_a_conflict_and_changes_nothing(
    context: Context,
) -> None:
    person, first = started(context, RequestKind.ERASURE)
    # two weeks on, the person asks again before the first is done: a request of its own
    context.clock.advance(timedelta(days=15))  # type: ignore[attr-defined]
    with context.unit_of_work() as uow:
        again, created = context.requests.file_for(
            uow, person.principal, RequestKind.ERASURE, channel=RequestChannel.WEB
        )
    assert created
    second = again.reference
    with context.unit_of_work() as uow:
        context.requests.act(uow, OFFICER, second, Action.START)
        context.rights.erase(uow, OFFICER, first)
    with context.engine.connect() as connection:
        mails_before = len(connection.execute(select(outbox)).all())
    with context.unit_of_work() as uow, pytest.raises(Conflict, match="erased already"):
        context.rights.erase(uow, OFFICER, second)
    with context.unit_of_work() as uow, pytest.raises(Conflict, match="is completed"):
        context.rights.erase(uow, OFFICER, first)
    with context.engine.connect() as connection:
        statuses = {
            row.reference: row.status
            for row in connection.execute(
                select(subject_requests.c.reference, subject_requests.c.status)
            )
        }
        assert len(connection.execute(select(outbox)).all()) == mails_before
    assert statuses == {first: "completed", second: "in_progress"}
    assert len(_audit(context, "request.erased")) == 1


def test_an_erasure_step_on_another_kind_is_a_conflict(context: Context) -> None:
    person = customer(context)
    with context.unit_of_work() as uow:
        row, _ = context.requests.file_for(
            uow, person.principal, RequestKind.ACCESS, channel=RequestChannel.API
        )
        context.requests.act(uow, OFFICER, row.reference, Action.START)
        with pytest.raises(Conflict, match="not for erasure"):
            context.rights.erase(uow, OFFICER, row.reference)
    with context.unit_of_work() as uow:
        assert context.accounts.read_profile(uow, person.principal, person.subject_id).email


def test_L64_a_processor_with_an_address_is_mailed_and_the_letters_go_after_the_key_is_gone(
    context: Context,
) -> None:
    # the operator has named the e-mail processor's privacy contact in the policy
    recipients = tuple(
        r.model_copy(update={"contact_email": "privacy@mailer.example"})
        if r.id == "email_service"
        else r
        for r in context.policy.recipients
    )
    policy = context.policy.model_copy(update={"recipients": recipients})
    rights = RightsHandling(
        access=context.access,
        keys=context.keys,
        requests=context.requests,
        erasure=context.erasure,
        objections=context.objections,
        notifier=Notifier(
            access=context.access, clock=context.clock, provider="Flexibelt", contact="x@y.nl"
        ),
        policy=policy,
        clock=context.clock,
    )
    person, reference = started(context, RequestKind.ERASURE)
    with context.unit_of_work() as uow:
        done = rights.erase(uow, OFFICER, reference)
    assert [(t.recipient, t.told) for t in done.told] == [("email_service", "mail")]
    transport = InMemoryTransport()
    report = context.outbox.deliver(transport)
    # the data key is destroyed, yet both letters went: they travel under a key of their own
    assert report.sent == 2 and report.given_up == 0
    sent = {str(message["To"]): message for message in transport.sent}
    assert set(sent) == {person.email, "privacy@mailer.example"}
    notice = sent["privacy@mailer.example"].get_content()
    assert person.email in notice and reference in notice and "gewist" in notice


def test_L64_an_erasure_that_leaves_rows_behind_completes_nothing(context: Context) -> None:
    person, restriction = started(context, RequestKind.RESTRICTION)
    with context.unit_of_work() as uow:
        context.rights.restrict(uow, OFFICER, restriction, categories=["phone_number"])
    context.clock.advance(timedelta(days=1))  # type: ignore[attr-defined]
    with context.unit_of_work() as uow:
        row, _ = context.requests.file_for(
            uow, person.principal, RequestKind.ERASURE, channel=RequestChannel.WEB
        )
        context.requests.act(uow, OFFICER, row.reference, Action.START)
    # a fault the erasure must catch: something puts a deleted row straight back
    _put_back_deleted_restrictions(context)
    try:
        with context.unit_of_work() as uow, pytest.raises(ErasureIncomplete, match="restrictions"):
            context.rights.erase(uow, OFFICER, row.reference)
    finally:
        _stop_putting_back(context)
    with context.engine.connect() as connection:
        status = connection.execute(
            select(subject_requests.c.status).where(subject_requests.c.reference == row.reference)
        ).scalar()
        assert not connection.execute(select(request_receipts)).all()
    assert status == "in_progress"
    with context.unit_of_work() as uow:  # rolled back: the person's data are all still there
        assert context.accounts.read_profile(uow, person.principal, person.subject_id).name
    assert not _audit(context, "request.erased")


_PUT_BACK = (
    "INSERT INTO restrictions (subject_id, activity, category, at) "
    "VALUES (OLD.subject_id, OLD.activity, OLD.category, OLD.at)"
)


def _put_back_deleted_restrictions(context: Context) -> None:
    with context.engine.begin() as connection:
        if context.engine.dialect.name == "sqlite":
            connection.exec_driver_sql(
                f"CREATE TRIGGER put_back AFTER DELETE ON restrictions BEGIN {_PUT_BACK}; END"
            )
            return
        connection.exec_driver_sql(
            "CREATE FUNCTION put_back() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {_PUT_BACK}; RETURN OLD; END $$"
        )
        connection.exec_driver_sql(
            "CREATE TRIGGER put_back AFTER DELETE ON restrictions "
            "FOR EACH ROW EXECUTE FUNCTION put_back()"
        )


def _stop_putting_back(context: Context) -> None:
    # the PostgreSQL database outlives the test (its tables are only emptied): no trigger stays
    with context.engine.begin() as connection:
        if context.engine.dialect.name == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS put_back")
        else:
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS put_back ON restrictions")
            connection.exec_driver_sql("DROP FUNCTION IF EXISTS put_back()")
