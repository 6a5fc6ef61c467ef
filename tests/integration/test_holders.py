"""Issue 4 item 4: each table's holder exports a subject's stored rows and sweeps what its
retention clock has run out on, in batches, for one subject or for all."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from privaat.bootstrap import Context
from privaat.store.holders import SubjectRef, SubjectRows, holders
from privaat.store.tables import accounts, login_events, subjects

JAN = {
    "email": "jan@example.nl",
    "password": "correct horse battery",
    "name": "Jan Jansen",
    "age_declaration": True,
}


def holder_of(name: str) -> SubjectRows:
    return next(h for h in holders() if h.table.name == name)


def jan_with_log_ins(client: TestClient, context: Context, times: int) -> SubjectRef:
    assert client.post("/api/v1/accounts", json=JAN).status_code == 202
    for _ in range(times):
        log_in = {"email": JAN["email"], "password": JAN["password"]}
        assert client.post("/api/v1/session", json=log_in).status_code == 204
    with context.engine.connect() as connection:
        row = connection.execute(select(subjects.c.id, subjects.c.pseudonym)).one()
    return SubjectRef(row.id, row.pseudonym)


def test_a_holder_exports_the_subjects_rows_as_stored(client: TestClient, context: Context) -> None:
    jan = jan_with_log_ins(client, context, 2)
    with context.engine.connect() as connection:
        rows = holder_of("login_events").rows(connection, jan)
        account = holder_of("accounts").rows(connection, jan)
    assert len(rows) == 2 and all(r["subject_id"] == jan.id for r in rows)
    assert len(account) == 1 and account[0]["email_enc"] != JAN["email"].encode()  # ciphertext


def test_a_sweep_deletes_what_expired_in_batches_and_nothing_else(
    client: TestClient, context: Context
) -> None:
    jan = jan_with_log_ins(client, context, 5)
    now = context.clock.now()
    with context.engine.begin() as connection:
        old = select(login_events.c.id).order_by(login_events.c.id).limit(3).scalar_subquery()
        connection.execute(
            update(login_events)
            .where(login_events.c.id.in_(old))
            .values(at=now - timedelta(days=400))
        )
    cutoff = now - timedelta(days=365)
    holder = holder_of("login_events")
    with context.engine.begin() as connection:
        assert holder.sweep(connection, before=cutoff, batch=2) == 2  # one batch at a time
        assert holder.sweep(connection, before=cutoff, subject=jan, batch=2) == 1
        assert holder.sweep(connection, before=cutoff, batch=2) == 0  # idempotent
        left = connection.execute(select(func.count()).select_from(login_events)).scalar_one()
    assert left == 2


def test_a_sweep_on_the_account_closure_clock_waits_for_the_closure(
    client: TestClient, context: Context
) -> None:
    jan = jan_with_log_ins(client, context, 1)
    holder = holder_of("credentials")
    later = context.clock.now() + timedelta(days=60)
    with context.engine.begin() as connection:
        assert holder.sweep(connection, before=later) == 0  # the account is still open
        connection.execute(update(accounts).values(status="closed", closed_at=context.clock.now()))
        assert holder.sweep(connection, before=later, subject=jan) == 1
