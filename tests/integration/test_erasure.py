"""Issue 4 item 4 (GDPR art. 17, LEGAL L34, L64): erasure walks the data registry, keeps
what the law keeps under the hold key, waits for a legal hold, and verifies what it removed."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select, update

from privaat.bootstrap import Context
from privaat.domain.principal import StaffMember, StaffRole
from privaat.services.erasure import ErasureIncomplete, ErasureWaits
from privaat.services.subject_access import Operation
from privaat.store.holders import SubjectRows
from privaat.store.tables import (
    access_log,
    accounts,
    audit_log,
    consent_events,
    credentials,
    hold_keys,
    login_events,
    objections,
    sessions,
    subject_keys,
    subjects,
)

OFFICER = StaffMember(1, StaffRole.PRIVACY_OFFICER)
JAN = {
    "email": "jan@example.nl",
    "password": "correct horse battery",
    "name": "Jan Jansen",
    "age_declaration": True,
}
EVIDENCE = '{"ip": "145.97.0.0/24", "user_agent": "Firefox"}'


def customer_with_history(client: TestClient, context: Context) -> int:
    """An account with a session, a log-in event and the access log entries they made."""
    assert client.post("/api/v1/accounts", json=JAN).status_code == 202
    log_in = {"email": JAN["email"], "password": JAN["password"]}
    assert client.post("/api/v1/session", json=log_in).status_code == 204
    context.access_log.flush()  # the reads are in the log before the erasure runs
    with context.engine.connect() as connection:
        return int(connection.execute(select(subjects.c.id)).scalar_one())


def record_consent_with_evidence(context: Context, subject_id: int) -> None:
    """A consent record as the ledger keeps it: its evidence under the hold key (art. 7(1))."""
    with context.unit_of_work() as uow, uow.writing() as connection:
        held = context.access.open_held(
            connection, OFFICER, subject_id, "consent_records", operation=Operation.WRITE
        )
        connection.execute(
            insert(consent_events).values(
                subject_id=subject_id,
                activity="marketing_email",
                given=True,
                consent_version=1,
                text_sha256="0" * 64,
                channel="sign_up_form",
                at=context.clock.now(),
                evidence_enc=held.cipher.encrypt("consent_events.evidence", EVIDENCE),
            )
        )
        connection.execute(
            insert(objections).values(
                subject_id=subject_id, activity="website_analytics", at=context.clock.now()
            )
        )


def count(context: Context, table: Any, subject_id: int) -> int:
    with context.engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count()).select_from(table).where(table.c.subject_id == subject_id)
            ).scalar_one()
        )


def erase(context: Context, subject_id: int) -> Any:
    with context.unit_of_work() as uow:
        return context.erasure.erase(uow, OFFICER, subject_id, ground="art. 17(1)(a)")


def test_l64_erasure_deletes_the_account_and_shreds_the_key_and_keeps_the_consent_proof(
    client: TestClient, context: Context
) -> None:
    jan = customer_with_history(client, context)
    record_consent_with_evidence(context, jan)

    report = erase(context, jan)

    for table in (accounts, credentials, sessions, login_events, subject_keys):
        assert count(context, table, jan) == 0, table.name
    # art. 7(1), 17(3)(b): the proof of consent and of the objection stays, restricted
    assert count(context, consent_events, jan) == 1
    assert count(context, objections, jan) == 1
    assert count(context, hold_keys, jan) == 1
    with context.engine.connect() as connection:
        tombstone = connection.execute(select(subjects).where(subjects.c.id == jan)).one()
    assert tombstone.erased_at == context.clock.now() and tombstone.restricted
    assert report.data_key_destroyed and report.tombstone_kept
    by_table = {t.table: t for t in report.tables}
    assert by_table["accounts"].before == 1 and by_table["accounts"].after == 0
    assert by_table["consent_events"].after == 1
    assert by_table["consent_events"].kept_for == "consent_records"
    assert {t.table for t in report.kept} >= {"consent_events", "objections", "access_log"}

    # the held evidence still opens under the hold key, through the seam
    with context.unit_of_work() as uow, uow.reading() as connection:
        held = context.access.open_held(connection, OFFICER, jan, "consent_records")
        blob = connection.execute(select(consent_events.c.evidence_enc)).scalar_one()
        assert held.cipher.decrypt("consent_events.evidence", blob) == EVIDENCE


def test_erasure_without_held_rows_leaves_no_subject_row_and_no_hold_key(
    client: TestClient, context: Context
) -> None:
    jan = customer_with_history(client, context)
    report = erase(context, jan)
    assert not report.tombstone_kept
    with context.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(subjects)).scalar_one() == 0
    assert count(context, hold_keys, jan) == 0


def test_the_logs_keep_naming_the_pseudonym_after_erasure(
    client: TestClient, context: Context
) -> None:
    jan = customer_with_history(client, context)
    report = erase(context, jan)
    context.access_log.flush()
    with context.engine.connect() as connection:
        audited = connection.execute(
            select(audit_log.c.action).where(audit_log.c.subject_pseudonym == report.pseudonym)
        ).scalars()
        accessed = connection.execute(
            select(func.count())
            .select_from(access_log)
            .where(access_log.c.subject_pseudonym == report.pseudonym)
        ).scalar_one()
    assert "subject.erased" in set(audited)
    assert accessed > 0  # art. 5(2): who accessed the data stays provable for its retention


def test_art_17_3_e_a_legal_hold_makes_the_erasure_wait_and_changes_nothing(
    client: TestClient, context: Context
) -> None:
    jan = customer_with_history(client, context)
    with context.engine.begin() as connection:
        connection.execute(update(subjects).where(subjects.c.id == jan).values(legal_hold=True))
    with pytest.raises(ErasureWaits):
        erase(context, jan)
    assert count(context, accounts, jan) == 1
    assert count(context, subject_keys, jan) == 1


def test_an_erasure_that_leaves_a_row_behind_is_refused_and_rolled_back(
    client: TestClient, context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The peer marks erasures complete while masking nothing; ours counts again."""
    jan = customer_with_history(client, context)
    original = SubjectRows.erase

    def forgetful(self: SubjectRows, connection: Any, subject: Any) -> int:
        if self.table.name == "login_events":
            return 0  # a holder that silently does nothing
        return original(self, connection, subject)

    monkeypatch.setattr(SubjectRows, "erase", forgetful)
    with pytest.raises(ErasureIncomplete, match="login_events"):
        erase(context, jan)
    assert count(context, accounts, jan) == 1
    assert count(context, subject_keys, jan) == 1
