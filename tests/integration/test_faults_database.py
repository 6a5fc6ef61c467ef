"""PostgreSQL restarted under load (issue 16 item 4; GDPR art. 32(1)(c), LEGAL O): while the
database is gone, requests fail cleanly with a 503 problem and Retry-After, never a 500 or a
stack trace; when it is back, privaat answers again without being restarted.

The shared PostgreSQL server is not ours to restart (other suites use it), so the test puts a
TCP proxy on loopback between privaat and the server and cuts it: every connection drops at
once, exactly as a server restart drops them, and new ones are refused until it is back."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from tests.factories import customer

from privaat.bootstrap import bootstrap
from privaat.domain.clock import FixedClock
from privaat.settings import Mode, Settings
from privaat.store.db import make_engine
from privaat.store.unit_of_work import UnitOfWork
from privaat.web.app import create_app
from privaat.web.problems import DATABASE_UNAVAILABLE


class Proxy:
    """Forwards 127.0.0.1:port to the database server; ``cut`` drops every connection and
    refuses new ones, ``mend`` listens again on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._open: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()

    def mend(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            if listener is not None:
                listener.close()
            for sock in self._open:  # each pair's pipes wake up, end and close it
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:  # cut while this one was connecting
                    client.close()
                    server.close()
                    return
                self._open += [client, server]
            pair = _Pair(client, server)
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=pair.pipe, args=(source, sink), daemon=True).start()


class _Pair:
    """One proxied connection: two pipes, and the one that ends last closes both sockets (not
    the first: the other pipe may still be in a call on them, and a closed descriptor's number
    is soon another socket's)."""

    def __init__(self, client: socket.socket, server: socket.socket) -> None:
        self.sockets = (client, server)
        self._running = 2
        self._lock = threading.Lock()

    def pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in self.sockets:  # wakes the other pipe
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        with self._lock:
            self._running -= 1
            last = self._running == 0
        if last:
            for sock in self.sockets:
                sock.close()


@pytest.fixture
def proxied(
    database_url: str, tmp_path: Path, clock: FixedClock
) -> Iterator[tuple[TestClient, Proxy, object]]:
    url = make_url(database_url)
    proxy = Proxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.mend()
    through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    engine = make_engine(through, connect_args={"connect_timeout": 2}, pool_size=4)
    settings = Settings(mode=Mode.TEST, database_url=through, var_dir=tmp_path / "var")
    context = bootstrap(settings, clock=clock, engine=engine, run_migrations=False)
    person = customer(context)
    client = TestClient(create_app(context), raise_server_exceptions=False)
    yield client, proxy, person
    context.close()
    proxy.cut()


@pytest.mark.database("postgresql")  # the SQLite file has no server to lose
def test_item4_a_database_restart_under_load_is_503s_then_service_again(
    proxied: tuple[TestClient, Proxy, object],
) -> None:
    client, proxy, person = proxied
    login = {"email": person.email, "password": person.password}  # type: ignore[attr-defined]
    stop = threading.Event()
    seen: Counter[int] = Counter()
    bodies: list[str] = []

    def load() -> None:
        while not stop.is_set():
            answer = client.post("/api/v1/session", json=login)
            seen[answer.status_code] += 1
            if answer.status_code >= 500:
                bodies.append(answer.text)
                assert answer.status_code != 503 or answer.headers.get("retry-after")

    with ThreadPoolExecutor(max_workers=3) as pool:
        workers = [pool.submit(load) for _ in range(3)]
        time.sleep(1.0)
        proxy.cut()  # the restart: every connection gone, new ones refused
        time.sleep(2.0)
        proxy.mend()
        time.sleep(4.0)  # back: the pool's pre-ping replaces the dead connections
        stop.set()
        for worker in workers:
            worker.result()
    assert seen[204] > 0 and seen[503] > 0, seen
    assert set(seen) <= {204, 503}, seen  # never a 500
    assert all("Traceback" not in body and "psycopg" not in body for body in bodies)
    # privaat was not restarted, and it answers again
    answers = [client.post("/api/v1/session", json=login).status_code for _ in range(5)]
    assert answers == [204] * 5, answers


@pytest.mark.database("postgresql")
def test_item4_the_server_gone_at_commit_is_an_outage_not_a_500(engine: Engine) -> None:
    """Found by the restart test: a connection that died during COMMIT left the unit of work
    reading the invalid connection's .info, which raised PendingRollbackError (a 500) over the
    OperationalError that the app answers with a 503."""
    uow = UnitOfWork(engine)
    with pytest.raises(OperationalError) as raised, uow.writing() as connection:  # noqa: PT012
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    assert isinstance(raised.value, DATABASE_UNAVAILABLE)
    uow.close()
    with UnitOfWork(engine) as again, again.reading() as fresh:  # a live connection again
        assert fresh.execute(text("SELECT 1")).scalar_one() == 1
