"""Issue 4 item 2: real transactions on both databases, one unit of work per request.

pysqlite emits no BEGIN before the first write, so without the engine's own BEGIN a use
case's guard reads would run outside the transaction that then writes; PostgreSQL must lock
the subject row so a restriction cannot slip between the guard's check and the write.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select
from sqlalchemy.engine import make_url

from privaat.bootstrap import Context
from privaat.domain.activities import ACCOUNT
from privaat.domain.principal import DataSubject, StaffMember, StaffRole
from privaat.services.account_commands import AccountCreate, AccountUpdate
from privaat.services.subject_access import Operation
from privaat.store.audit import AuditTrail
from privaat.store.tables import accounts, metadata
from privaat.store.unit_of_work import TransactionOpen, UnitOfWork

JAN = {
    "email": "jan@example.nl",
    "password": "correct horse battery",
    "name": "Jan Jansen",
    "age_declaration": True,
}


def sign_up(context: Context, email: str = JAN["email"]) -> int:
    with context.unit_of_work() as uow:
        outcome = context.accounts.sign_up(
            uow, AccountCreate.model_validate({**JAN, "email": email})
        )
    assert outcome.subject_id is not None
    return outcome.subject_id


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in metadata.sorted_tables
        }


class Injected(RuntimeError):
    """The failure a test injects after a use case's first write."""


def test_a_failure_after_the_first_write_of_sign_up_leaves_nothing(
    context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = row_counts(context.engine)

    def fail(*_args: Any, **_kwargs: Any) -> None:
        raise Injected("after subjects, keys, accounts and credentials were written")

    monkeypatch.setattr(AuditTrail, "append", fail)
    with pytest.raises(Injected):
        sign_up(context)
    after = row_counts(context.engine)
    # the blind-index key may be created once (a system key): nothing of the subject remains
    assert {k: v for k, v in after.items() if k != "system_keys"} == {
        k: v for k, v in before.items() if k != "system_keys"
    }


def test_a_failure_after_the_update_of_a_rectification_keeps_the_old_values(
    context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    jan = sign_up(context)
    me = DataSubject(jan)

    def fail(*_args: Any, **_kwargs: Any) -> None:
        raise Injected("after the account row was updated")

    monkeypatch.setattr(AuditTrail, "append", fail)
    with context.unit_of_work() as uow, pytest.raises(Injected):
        context.accounts.update_profile(uow, me, jan, AccountUpdate(city="Delft", name="J. J."))
    with context.unit_of_work() as uow:
        profile = context.accounts.read_profile(uow, me, jan)
    assert (profile.city, profile.name) == (None, JAN["name"])


def test_a_transaction_never_nests_in_the_same_unit_of_work(engine: Engine) -> None:
    with UnitOfWork(engine) as uow, uow.reading():
        with pytest.raises(TransactionOpen), uow.writing():
            pass


# pysqlite's transaction handling is what these are about; PostgreSQL's row locks the next
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
POSTGRES_ONLY = pytest.mark.parametrize(
    "database_url",
    ["postgresql"] if os.environ.get("PRIVAAT_TEST_DATABASE_URL") else [],
    indirect=True,
)


@SQLITE_ONLY
def test_sqlite_reads_of_a_use_case_run_inside_a_real_transaction(engine: Engine) -> None:
    with UnitOfWork(engine) as uow, uow.reading() as connection:
        # pysqlite would not have begun one yet: no write has happened
        assert connection.connection.driver_connection.in_transaction  # type: ignore[union-attr]
        connection.execute(select(func.count()).select_from(accounts)).scalar_one()
        assert connection.connection.driver_connection.in_transaction  # type: ignore[union-attr]


@SQLITE_ONLY
def test_sqlite_writers_take_the_write_lock_at_begin(engine: Engine) -> None:
    path = make_url(str(engine.url)).database
    assert path
    with UnitOfWork(engine) as uow, uow.writing():
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")  # BEGIN IMMEDIATE was ours, before any write
        finally:
            other.close()


def test_one_pool_checkout_per_request(client: TestClient, context: Context) -> None:
    assert client.post("/api/v1/accounts", json=JAN).status_code == 202
    log_in = {"email": JAN["email"], "password": JAN["password"]}
    assert client.post("/api/v1/session", json=log_in).status_code == 204
    checkouts: list[object] = []

    def count(*_args: object) -> None:
        checkouts.append(object())

    event.listen(context.engine, "checkout", count)
    try:
        assert client.get("/api/v1/account").status_code == 200
    finally:
        event.remove(context.engine, "checkout", count)
    assert len(checkouts) == 1  # the auth dependency and the use case share it


@POSTGRES_ONLY
def test_postgresql_a_guarded_write_holds_the_subject_row_against_a_state_change(
    context: Context,
) -> None:
    assert context.engine.dialect.name == "postgresql"
    jan = sign_up(context)
    checked, release, locked = threading.Event(), threading.Event(), threading.Event()

    def guarded_write() -> None:
        with context.unit_of_work() as uow, uow.writing() as connection:
            context.access.open(
                connection, DataSubject(jan), jan, ACCOUNT, operation=Operation.WRITE
            )
            checked.set()
            release.wait(10)

    def state_change() -> None:
        checked.wait(10)
        with context.unit_of_work() as uow, uow.writing() as connection:
            context.access.lock_subject(connection, jan)  # what a restriction does first
            locked.set()

    threads = [threading.Thread(target=guarded_write), threading.Thread(target=state_change)]
    for thread in threads:
        thread.start()
    assert checked.wait(10)
    time.sleep(0.3)
    assert not locked.is_set(), "the state change went through while the guarded write ran"
    release.set()
    for thread in threads:
        thread.join(10)
    assert locked.is_set()


def test_staff_principal_is_recorded_as_the_actor_of_a_read(context: Context) -> None:
    jan = sign_up(context)
    officer = StaffMember(7, StaffRole.PRIVACY_OFFICER)
    with context.unit_of_work() as uow:
        context.accounts.read_profile(uow, officer, jan)
    context.access_log.flush()
    from privaat.store.tables import access_log

    with context.engine.connect() as connection:
        actors = set(connection.execute(select(access_log.c.actor)).scalars())
    assert "staff:7:privacy_officer" in actors
