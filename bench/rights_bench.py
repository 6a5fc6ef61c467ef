"""W1/W2 and e-mail intake (issue 11): access export and erasure for one person with N rows
of their data, in a database of many accounts, beside the raw SQL of the same rows in the
same run; and mails/s through the privacy mailbox beside a do-nothing SMTP server.

    python -m bench.rights_bench --accounts 1000000 --rows 15,1000,5000,100000
    python -m bench.rights_bench --accounts 2000 --rows 15,200      # what CI runs

    population ── bench.audience_bench.populate (accounts, consents, preferences, services)
               └─ other people's log-ins, access-log entries, audit entries, sessions, mail
    one person ── signed up through ``ctx.accounts.sign_up`` (the real path), then given
                  rows as the services write them: log-ins (the ciphertexts of
                  ``login_history``), access-log entries by staff, jobs and the person,
                  consent events with their evidence under the hold key, a request by mail
                  with a Cc to someone else
    figures     ── p50/p95 over repeated runs:
                   collection   SubjectExport.collect (guard, keys, every table, decrypt)
                                vs raw sqlite3 SELECTs of the same rows (and + raw AES-GCM)
                   whole export ctx.answers.answer: collection, files, ZIP, summary, stored
                                encrypted, request completed, receipt in the audit trail
                   erasure      ctx.erasure.erase on a fresh copy of the person each run
                                vs raw DELETEs (and the UPDATE of held rows) of the same rows
                   memory       tracemalloc peak of one whole export
                   intake       mails/s through ``privaat mail serve`` (a subprocess on
                                loopback) vs the same smtplib sends to a do-nothing aiosmtpd

The targets (BENCHMARKS.md W1, W2): collection ≤ 3x raw; whole export ≤ 10 ms p50 at ~15
rows; erasure ≤ 50 ms p50 at 5,000 rows (the peer: 0.35 s per access request, 14 s for a
5,000-event erasure); export memory flat in the row count.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import smtplib
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import func, select

from bench.accounts_bench import machine
from bench.audience_bench import populate
from privaat.bootstrap import Context, bootstrap
from privaat.domain.activities import RIGHTS
from privaat.domain.clock import SystemClock
from privaat.domain.principal import DataSubject, StaffMember, StaffRole
from privaat.domain.subject_requests import Action, RequestKind
from privaat.services.account_commands import AccountCreate
from privaat.services.subject_access import Operation
from privaat.services.subject_export import EXCLUDED_TABLES, SubjectExport
from privaat.services.subject_requests import RequestChannel
from privaat.settings import Mode, Settings
from privaat.store.registry import ErasureMode, Personal, subject_tables
from privaat.store.tables import metadata, subjects

OFFICER = StaffMember(staff_id=7, role=StaffRole.PRIVACY_OFFICER)
COLLECTION_TARGET = 3.0
EXPORT_TARGET_MS = 10.0
ERASURE_TARGET_MS = 50.0
BATCH = 50_000
_numbers = iter(range(1, 10**9))


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


# --- the population ------------------------------------------------------------------------


def populate_others(database: str, size: int, seed: int = 11) -> None:
    """Other people's rows in the tables an export or erasure reads by subject: log-ins,
    access-log and audit entries, sessions, queued mail (what a lookup must skip)."""
    rng = random.Random(seed)
    raw = sqlite3.connect(database, isolation_level=None)
    raw.execute("PRAGMA synchronous=OFF")
    at = _stamp(datetime.now(UTC) - timedelta(days=10))
    pseudonyms = [p for (p,) in raw.execute("SELECT pseudonym FROM subjects ORDER BY id")]
    seq = raw.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_log").fetchone()[0]
    prev = raw.execute("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    last_hash = prev[0] if prev else "0" * 64
    for first in range(0, size, BATCH):
        ids = range(first + 1, min(first + BATCH, size) + 1)
        raw.execute("BEGIN")
        raw.executemany(
            "INSERT INTO login_events (subject_id, at, ip_enc, ip_truncated_enc, country_enc,"
            " city_enc, device_hash, new_device) VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
            [
                (s, at, os.urandom(41), os.urandom(39), os.urandom(31), os.urandom(38), b"d" * 32)
                for s in ids
            ],
        )
        raw.executemany(
            "INSERT INTO access_log (at, actor, activity, subject_pseudonym, operation)"
            " VALUES (?, 'staff:2:support', 'customer_support', ?, 'read')",
            [(at, pseudonyms[s - 1]) for s in ids],
        )
        audit = []
        for s in ids:
            seq += 1
            audit.append((seq, at, "self", "account.created", pseudonyms[s - 1], "{}", last_hash))
            last_hash = os.urandom(32).hex()
        # the chain is not valid here (the bench never verifies it); append reads the head
        raw.executemany(
            "INSERT INTO audit_log (seq, at, actor, action, subject_pseudonym, detail,"
            " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, lower(hex(randomblob(32))))",
            audit,
        )
        raw.executemany(
            "INSERT INTO sessions (token_hash, subject_id, created_at, expires_at, last_seen_at,"
            " device_hash) VALUES (?, ?, ?, ?, ?, ?)",
            [(os.urandom(32), s, at, at, at, b"d" * 32) for s in ids if rng.random() < 0.2],
        )
        raw.executemany(
            "INSERT INTO outbox (subject_id, activity, template, message_enc, created_at,"
            " sent_at, attempts) VALUES (?, 'security_notices', 'new_device', ?, ?, ?, 1)",
            [(s, os.urandom(300), at, at) for s in ids if rng.random() < 0.3],
        )
        raw.execute("COMMIT")
    raw.execute("UPDATE audit_log SET hash = ? WHERE seq = ?", (last_hash, seq))
    raw.execute("ANALYZE")
    raw.close()


# --- one person with N rows --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    subject_id: int
    pseudonym: str
    email: str


def make_person(ctx: Context, rows: int, *, seed: int = 3) -> Person:
    """A person signed up through the real path, then given about ``rows`` rows of data as
    the services write them (the ciphertexts under their own keys and field names)."""
    n = next(_numbers)
    email = f"bench.person{n}.{os.getpid()}@example.nl"
    command = AccountCreate.model_validate(
        {
            "email": email,
            "password": "correct horse battery",
            "name": f"Bench Persoon {n}",
            "city": "Utrecht",
            "age_declaration": True,
        }
    )
    with ctx.unit_of_work() as uow:
        outcome = ctx.accounts.sign_up(uow, command, user_agent="Firefox")
        subject_id = outcome.subject_id
        assert subject_id is not None
        # a request by mail that copies someone else in (what redaction must take out)
        mail = EmailMessage()
        mail["From"] = f"Bench Persoon {n} <{email}>"
        mail["To"] = ctx.policy.privacy_contact.email
        mail["Cc"] = "Buurvrouw Els <els.buur@example.org>"
        mail["Subject"] = "Verwijder mijn gegevens"
        # an erasure request, left unverified: the access requests below are new ones
        mail.set_content("Ik wil dat u mijn gegevens verwijdert (artikel 17 AVG).\n")
        ctx.requests.receive_mail(uow, mail.as_bytes())
    ctx.access_log.flush()
    held = count_rows(ctx, subject_id)
    extra = max(0, rows - held)
    rng = random.Random(seed)
    with ctx.unit_of_work() as uow, uow.writing() as connection:
        opened = ctx.access.open(connection, OFFICER, subject_id, RIGHTS, operation=Operation.WRITE)
        sealed = ctx.access.open_held(
            connection, OFFICER, subject_id, RIGHTS, operation=Operation.WRITE
        )
    cipher, hold = opened.cipher, sealed.cipher
    pseudonym = opened.pseudonym
    now = datetime.now(UTC)
    logins, logged, consents = [], [], []
    actors = ("staff:3:support", "staff:9:privacy_officer", "system:outbox", "self")
    for i in range(extra):
        at = _stamp(now - timedelta(minutes=extra - i))
        draw = i % 20
        if draw < 8:  # 40 % log-ins: the ciphertexts login_history writes
            ip = f"145.97.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            logins.append(
                (
                    subject_id,
                    at,
                    cipher.encrypt("login_events.ip", ip),
                    cipher.encrypt("login_events.ip_truncated", ip.rsplit(".", 1)[0] + ".0/24"),
                    cipher.encrypt("login_events.country", "NL"),
                    cipher.encrypt("login_events.city", "Utrecht"),
                    os.urandom(32),
                    i == 0,
                )
            )
        elif draw < 15:  # 35 % access-log entries: who read the data
            logged.append((at, rng.choice(actors), "customer_support", pseudonym, "read"))
        else:  # 25 % consent events, the evidence under the hold key (art. 7(1))
            evidence = json.dumps(
                {"ip": "145.97.0.0/24", "user_agent": "Firefox"}, separators=(",", ":")
            )
            consents.append(
                (
                    subject_id,
                    "marketing_email",
                    i % 2 == 0,
                    1,
                    "0" * 64,
                    1,
                    "nl",
                    "privacy_centre",
                    at,
                    hold.encrypt("consent_events.evidence", evidence),
                )
            )
    raw = _raw(ctx)
    try:
        raw.execute("BEGIN")
        raw.executemany(
            "INSERT INTO login_events (subject_id, at, ip_enc, ip_truncated_enc, country_enc,"
            " city_enc, device_hash, new_device) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            logins,
        )
        raw.executemany(
            "INSERT INTO access_log (at, actor, activity, subject_pseudonym, operation)"
            " VALUES (?, ?, ?, ?, ?)",
            logged,
        )
        raw.executemany(
            "INSERT INTO consent_events (subject_id, activity, given, consent_version,"
            " text_sha256, policy_version, lang, channel, at, evidence_enc)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            consents,
        )
        raw.execute("COMMIT")
    finally:
        raw.close()
    ctx.access_log.flush()
    return Person(subject_id, pseudonym, email)


def _raw(ctx: Context) -> sqlite3.Connection:
    database = ctx.engine.url.database
    assert database
    return sqlite3.connect(database, isolation_level=None, timeout=30)


def count_rows(ctx: Context, subject_id: int) -> int:
    raw = _raw(ctx)
    try:
        (pseudonym,) = raw.execute(
            "SELECT pseudonym FROM subjects WHERE id = ?", (subject_id,)
        ).fetchone()
        total = 0
        for table, spec in subject_tables(metadata):
            if table.name in EXCLUDED_TABLES:
                continue
            key = pseudonym if spec.by_pseudonym else subject_id
            sql = f"SELECT COUNT(*) FROM {table.name} WHERE {spec.subject_column} = ?"  # noqa: S608
            total += raw.execute(sql, (key,)).fetchone()[0]
        return total
    finally:
        raw.close()


# --- the baselines -----------------------------------------------------------------------


class RawExport:
    """The same rows read with raw sqlite3, and optionally opened with raw AES-GCM."""

    def __init__(self, ctx: Context, person: Person) -> None:
        self._raw = _raw(ctx)
        with ctx.unit_of_work() as uow, uow.reading() as connection:
            data = ctx.access.open(connection, OFFICER, person.subject_id, RIGHTS)
            held = ctx.access.open_held(connection, OFFICER, person.subject_id, RIGHTS)
        # the bench's own probe: the AESGCM objects behind the two ciphers, the same keys
        self._data_aead = data.cipher._aead  # type: ignore[attr-defined]  # noqa: SLF001
        self._hold_aead = held.cipher._aead  # type: ignore[attr-defined]  # noqa: SLF001
        self._queries: list[tuple[str, object, list[tuple[int, bytes, bool]]]] = []
        for table, spec in subject_tables(metadata):
            if table.name in EXCLUDED_TABLES:
                continue
            columns = [c for c in table.columns if not c.name.endswith(("_bidx", "_hash"))]
            columns = [c for c in columns if c.name not in ("wrapped_key", "master_key_id")]
            order = ", ".join(c.name for c in table.primary_key.columns) or columns[0].name
            sql = (
                f"SELECT {', '.join(c.name for c in columns)} FROM {table.name}"  # noqa: S608
                f" WHERE {spec.subject_column} = ? ORDER BY {order}"
            )
            encrypted = []
            for index, column in enumerate(columns):
                if column.name.endswith("_enc"):
                    role = column.info.get("personal")
                    is_held = isinstance(role, Personal) and role.erasure is ErasureMode.HOLD
                    aad = f"{table.name}.{column.name.removesuffix('_enc')}".encode()
                    encrypted.append((index, aad, is_held))
            key = person.pseudonym if spec.by_pseudonym else person.subject_id
            self._queries.append((sql, key, encrypted))

    def read(self) -> int:
        rows = 0
        for sql, key, _encrypted in self._queries:
            rows += len(self._raw.execute(sql, (key,)).fetchall())
        return rows

    def read_and_decrypt(self) -> int:
        rows = 0
        data, hold = self._data_aead, self._hold_aead
        for sql, key, encrypted in self._queries:
            for row in self._raw.execute(sql, (key,)).fetchall():
                rows += 1
                for index, aad, is_held in encrypted:
                    blob = row[index]
                    if blob is not None:
                        (hold if is_held else data).decrypt(blob[1:13], blob[13:], aad)
        return rows

    def close(self) -> None:
        self._raw.close()


def raw_erase(ctx: Context, person: Person) -> None:
    """The raw DELETEs of the same rows (and the UPDATE of held rows), in one transaction."""
    raw = _raw(ctx)
    try:
        raw.execute("BEGIN IMMEDIATE")
        for table, spec in reversed(list(subject_tables(metadata))):
            if table.name in ("subjects", "hold_keys"):
                continue
            key = person.pseudonym if spec.by_pseudonym else person.subject_id
            where = f"{spec.subject_column} = ?"
            if spec.hold is None:
                raw.execute(f"DELETE FROM {table.name} WHERE {where}", (key,))  # noqa: S608
                continue
            cleared = [
                c.name
                for c in table.columns
                if isinstance(c.info.get("personal"), Personal)
                and c.info["personal"].erasure is not ErasureMode.HOLD
            ]
            if cleared:
                sets = ", ".join(f"{name} = NULL" for name in cleared)
                raw.execute(f"UPDATE {table.name} SET {sets} WHERE {where}", (key,))  # noqa: S608
        raw.execute(
            "UPDATE subjects SET erased_at = ?, restricted = 1 WHERE id = ?",
            (_stamp(datetime.now(UTC)), person.subject_id),
        )
        raw.execute("COMMIT")
    finally:
        raw.close()


# --- timing ------------------------------------------------------------------------------


def _quantiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def _time(call: Callable[[], object], runs: int) -> tuple[float, float]:
    call()  # warm: compiled statements, key cache, templates
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        samples.append(time.perf_counter() - began)
    return _quantiles(samples)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.2f} ms"


def _runs(rows: int) -> int:
    return max(5, min(40, 200_000 // max(rows, 1)))


def _start_access_request(ctx: Context, person: Person) -> str:
    principal = DataSubject(person.subject_id)
    with ctx.unit_of_work() as uow:
        row, _created = ctx.requests.file_for(
            uow, principal, RequestKind.ACCESS, channel=RequestChannel.API
        )
        ctx.requests.act(uow, OFFICER, row.reference, Action.START)
    return row.reference


def measure_size(ctx: Context, rows: int, *, repeats: int | None = None) -> list[str]:
    lines: list[str] = []
    person = make_person(ctx, rows)
    held = count_rows(ctx, person.subject_id)
    runs = repeats or _runs(held)
    export = SubjectExport(access=ctx.access)

    def collect() -> object:
        with ctx.unit_of_work() as uow:
            return export.collect(uow, OFFICER, person.subject_id)

    raw = RawExport(ctx, person)
    ours = _time(collect, runs)
    base_read = _time(raw.read, runs)
    base_open = _time(raw.read_and_decrypt, runs)
    raw.close()
    ratio_read, ratio_open = ours[0] / base_read[0], ours[0] / base_open[0]
    verdict = "meets" if ratio_open <= COLLECTION_TARGET else "misses"
    lines.append(
        f"collection @ {held:,} rows: ours p50 {_ms(ours[0])} p95 {_ms(ours[1])} | raw SQL "
        f"p50 {_ms(base_read[0])} ({ratio_read:.2f}x) | raw SQL + raw AES-GCM p50 "
        f"{_ms(base_open[0])} ({ratio_open:.2f}x; {verdict} the {COLLECTION_TARGET:g}x target)"
    )

    # the whole export: the real answer path, one new request per run
    samples, sizes = [], []
    for _ in range(max(3, runs // 2) + 1):
        reference = _start_access_request(ctx, person)
        with ctx.unit_of_work() as uow:
            began = time.perf_counter()
            answer = ctx.answers.answer(uow, OFFICER, reference)
            samples.append(time.perf_counter() - began)
        sizes.append(answer.size)
    samples = samples[1:]  # the first warms the templates
    p50, p95 = _quantiles(samples)
    target = ""
    if held <= 30:
        target = f" ({'meets' if p50 * 1000 <= EXPORT_TARGET_MS else 'misses'} the "
        target += f"{EXPORT_TARGET_MS:g} ms target)"
    lines.append(
        f"whole export @ {held:,} rows: p50 {_ms(p50)} p95 {_ms(p95)}, ZIP {sizes[-1]:,} bytes"
        f"{target}"
    )

    # memory: the peak of one whole export, traced
    reference = _start_access_request(ctx, person)
    tracemalloc.start()
    with ctx.unit_of_work() as uow:
        ctx.answers.answer(uow, OFFICER, reference)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    lines.append(f"export memory @ {held:,} rows: peak {peak / 2**20:,.2f} MiB (tracemalloc)")

    # erasure, each run on a fresh copy of a person with the same rows
    erase_runs = repeats or max(3, min(15, 50_000 // max(held, 1)))
    ours_e, base_e = [], []
    for run in range(erase_runs + 1):
        fresh = make_person(ctx, rows, seed=run)
        with ctx.unit_of_work() as uow:
            began = time.perf_counter()
            report = ctx.erasure.erase(uow, OFFICER, fresh.subject_id, ground="art. 17(1)(a)")
            elapsed = time.perf_counter() - began
        assert report.data_key_destroyed
        twin = make_person(ctx, rows, seed=run)
        began = time.perf_counter()
        raw_erase(ctx, twin)
        raw_elapsed = time.perf_counter() - began
        if run:  # the first warms
            ours_e.append(elapsed)
            base_e.append(raw_elapsed)
    ctx.access_log.flush()
    e50, e95 = _quantiles(ours_e)
    b50, b95 = _quantiles(base_e)
    target = ""
    if 2_000 <= held <= 10_000:
        target = f"; {'meets' if e50 * 1000 <= ERASURE_TARGET_MS else 'misses'} the "
        target += f"{ERASURE_TARGET_MS:g} ms target"
    lines.append(
        f"erasure @ {held:,} rows: ours p50 {_ms(e50)} p95 {_ms(e95)} | raw DELETEs p50 "
        f"{_ms(b50)} p95 {_ms(b95)} | ratio {e50 / b50:.2f}x{target}"
    )
    return lines


# --- e-mail intake -----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def _server(command: list[str], env: dict[str, str], port: int) -> Iterator[None]:
    process = subprocess.Popen(  # noqa: S603  (our own interpreter and module)
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None:
                    message = process.stderr.read().decode() if process.stderr else ""
                    raise RuntimeError(message) from None
                time.sleep(0.1)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stderr is not None:
            process.stderr.close()


def _send(port: int, to: str, mails: int) -> float:
    began = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        for i in range(mails):
            mail = EmailMessage()
            mail["From"] = f"Afzender {i} <intake{i}.{os.getpid()}@example.nl>"
            mail["To"] = to
            mail["Subject"] = "Verzoek om inzage" if i % 2 else "Please delete my data"
            mail.set_content(
                "Ik wil graag weten welke gegevens u van mij heeft.\n"
                if i % 2
                else "I ask you to erase my personal data (article 17 GDPR).\n"
            )
            client.send_message(mail)
    return time.perf_counter() - began


def measure_intake(ctx: Context, settings: Settings, mails: int) -> str:
    address = ctx.policy.privacy_contact.email
    env = {
        **os.environ,
        "PRIVAAT_MODE": "test",
        "PRIVAAT_DATABASE_URL": settings.database_url,
        "PRIVAAT_VAR_DIR": str(settings.var_dir),
        "PRIVAAT_POLICY_FILE": str(settings.policy_file),
    }
    port = _free_port()
    # the installed command itself, as an operator runs it
    launcher = "from privaat.cli import main; main()"
    cli = [sys.executable, "-c", launcher, "mail", "serve", "--port", str(port)]
    with _server(cli, env, port):
        _send(port, address, 3)  # warm
        ours = _send(port, address, mails)
    null_port = _free_port()
    null = [sys.executable, "-m", "bench.rights_bench", "--null-smtp", str(null_port)]
    with _server(null, env, null_port):
        _send(null_port, address, 3)
        base = _send(null_port, address, mails)
    return (
        f"e-mail intake: {mails / ours:,.1f} mails/s through privaat mail serve (each a stored "
        f"request and its acknowledgement) | {mails / base:,.1f} mails/s to a do-nothing "
        f"aiosmtpd | ratio {ours / base:.2f}x"
    )


def null_smtp(port: int) -> None:
    """A do-nothing aiosmtpd server: the intake baseline (every mail answered 250)."""
    from aiosmtpd.controller import Controller

    class Nothing:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            return "250 OK"

    controller = Controller(Nothing(), hostname="127.0.0.1", port=port, decode_data=False)
    controller.start()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


# --- the run -----------------------------------------------------------------------------


def run(
    accounts: int,
    sizes: list[int],
    *,
    mails: int = 200,
    emit: Callable[[str], None] | None = None,
    repeats: int | None = None,
) -> list[str]:
    """Every figure as a printed line; ``repeats`` fixes the runs per figure (the test's)."""
    with tempfile.TemporaryDirectory(prefix="privaat-rights-bench-") as workdir:
        database = f"{workdir}/privaat.db"
        settings = Settings(
            mode=Mode.TEST, database_url=f"sqlite:///{database}", var_dir=f"{workdir}/var"
        )
        ctx = bootstrap(settings, clock=SystemClock())
        lines: list[str] = []

        def say(line: str) -> None:
            lines.append(line)
            if emit is not None:
                emit(line)

        say(f"rights: {accounts:,} accounts on SQLite (bulk-loaded)")
        try:
            began = time.perf_counter()
            populate(ctx, database, accounts)
            populate_others(database, accounts)
            with ctx.engine.connect() as connection:
                people = connection.execute(select(func.count()).select_from(subjects)).scalar()
            say(f"loaded {people:,} subjects in {time.perf_counter() - began:.1f} s")
            for rows in sizes:
                for line in measure_size(ctx, rows, repeats=repeats):
                    say(line)
            if mails:
                say(measure_intake(ctx, settings, mails))
        finally:
            ctx.close()
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--rows", default="15,1000,5000,100000", help="rows of the one person")
    parser.add_argument("--mails", type=int, default=200, help="mails for the intake figure")
    parser.add_argument("--repeats", type=int, default=None, help="runs per figure")
    parser.add_argument("--null-smtp", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.null_smtp is not None:
        null_smtp(args.null_smtp)
        return
    print(f"machine: {machine()}, SQLite {sqlite3.sqlite_version}", flush=True)
    sizes = [int(part) for part in args.rows.split(",") if part.strip()]
    run(
        args.accounts,
        sizes,
        mails=args.mails,
        emit=lambda line: print(line, flush=True),
        repeats=args.repeats,
    )


if __name__ == "__main__":
    main()
