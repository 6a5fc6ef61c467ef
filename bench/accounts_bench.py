"""W6: account creation rate, log-in look-up by blind index, and one account read as a request
takes it — each beside a raw baseline measured in the same run.

The request row is the real path of ``GET /api/v1/account`` without HTTP: a new unit of work
(one pool checkout), the session look-up of the auth dependency, then the profile read through
the enforcement seam (subject record, guard, key, decrypt, access log), in that one connection.
Its baseline is the raw DB-API doing the same two queries (session, account) on a held
connection.

    python -m bench.accounts_bench --size 1000000 [--database-url URL] [--lookups 20000]

Accounts are created in batches of 10,000 through the same encryption (per-subject data key,
AES-GCM per field, blind index) and the same tables the service writes; every account shares
one precomputed argon2id hash, because hashing a password costs ~50 ms by design and would
turn the benchmark into an argon2 benchmark (sign-up pays it once per person, by intent).
The baseline table holds the same values in clear, with a plain index on the e-mail.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import random
import secrets
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, text
from sqlalchemy.engine import make_url

from privaat.bootstrap import Context, bootstrap
from privaat.domain.clock import SystemClock
from privaat.domain.principal import DataSubject
from privaat.services.accounts import PERSONAL_FIELDS
from privaat.services.passwords import Passwords
from privaat.services.sessions import find_login
from privaat.settings import Mode, Settings
from privaat.store.db import make_engine
from privaat.store.tables import accounts, credentials, sessions, subject_keys, subjects

BATCH = 10_000
BASELINE_DDL = (
    "CREATE TABLE IF NOT EXISTS bench_plain_accounts (id BIGINT PRIMARY KEY, email TEXT NOT NULL,"
    " name TEXT, street TEXT, postal_code TEXT, city TEXT, phone TEXT, vat_number TEXT,"
    " display_name TEXT, language TEXT, status TEXT, password_hash TEXT)",
    "CREATE INDEX IF NOT EXISTS ix_bench_plain_email ON bench_plain_accounts (email)",
)


def person(n: int) -> dict[str, Any]:
    return {
        "email": f"klant{n}@voorbeeld.nl",
        "name": f"Klant {n} de Vries",
        "street": f"Dorpsstraat {n % 500 + 1}",
        "postal_code": "2721 NA",
        "city": "Zoetermeer",
        "phone": f"+316{n % 100_000_000:08d}",
        "vat_number": None,
        "display_name": f"klant{n}",
    }


def create_accounts(ctx: Context, size: int) -> tuple[float, float]:
    """Create ``size`` accounts in batches; accounts/s for ours and for the plaintext baseline."""
    password_hash = Passwords(time_cost=1, memory_cost_kib=1024).hash("benchmark password")
    now = datetime.now(UTC)
    with ctx.engine.begin() as connection:
        index = ctx.keys.blind_index(connection)
        for line in BASELINE_DDL:
            connection.execute(text(line))
    raw = ctx.engine.raw_connection()  # the baseline: the driver's executemany, nothing else
    marker = "?" if ctx.engine.dialect.paramstyle == "qmark" else "%s"
    plain_insert = f"INSERT INTO bench_plain_accounts VALUES ({', '.join([marker] * 12)})"  # noqa: S608
    ours = baseline = 0.0
    for first in range(0, size, BATCH):
        started = time.perf_counter()
        subject_rows, key_rows, account_rows, credential_rows = [], [], [], []
        session_rows: list[dict[str, Any]] = []
        for n in range(first, min(first + BATCH, size)):
            subject_id, pseudonym, values = n + 1, secrets.token_hex(16), person(n)
            key_row, cipher = ctx.keys.new_subject_key(subject_id, pseudonym)
            subject_rows.append(
                {
                    "id": subject_id,
                    "pseudonym": pseudonym,
                    "created_at": now,
                    "minor": False,
                    "restricted": False,
                    "legal_hold": False,
                }
            )
            key_rows.append(key_row)
            encrypted = {
                f"{field}_enc": cipher.encrypt_optional(f"accounts.{field}", values[field])
                for field in PERSONAL_FIELDS
            }
            account_rows.append(
                {
                    "subject_id": subject_id,
                    "email_bidx": index.email(values["email"]),
                    "birth_date_enc": None,
                    "age_declared_16_plus": True,
                    "language": "nl",
                    "status": "active",
                    "created_at": now,
                    "closed_at": None,
                    "email_verified": True,
                    **encrypted,
                }
            )
            credential_rows.append(
                {"subject_id": subject_id, "password_hash": password_hash, "changed_at": now}
            )
            session_rows.append(
                {
                    "token_hash": hashlib.sha256(session_token(subject_id).encode()).digest(),
                    "subject_id": subject_id,
                    "created_at": now,
                    "expires_at": now + timedelta(days=7),
                    "last_seen_at": now,
                    "device_hash": index.value("device", f"{subject_id}:bench"),
                }
            )
        with ctx.engine.begin() as connection:
            connection.execute(insert(subjects), subject_rows)
            connection.execute(insert(subject_keys), key_rows)
            connection.execute(insert(accounts), account_rows)
            connection.execute(insert(credentials), credential_rows)
            connection.execute(insert(sessions), session_rows)
        ours += time.perf_counter() - started

        plain = [person(n) for n in range(first, min(first + BATCH, size))]
        started = time.perf_counter()
        cursor = raw.cursor()
        cursor.executemany(
            plain_insert,
            [
                (
                    first + k + 1,
                    p["email"],
                    p["name"],
                    p["street"],
                    p["postal_code"],
                    p["city"],
                    p["phone"],
                    p["vat_number"],
                    p["display_name"],
                    "nl",
                    "active",
                    password_hash,
                )
                for k, p in enumerate(plain)
            ],
        )
        raw.commit()
        baseline += time.perf_counter() - started
    raw.close()
    return size / ours, size / baseline


def session_token(subject_id: int) -> str:
    """The benchmark's session token of a subject (a log-in makes a random one)."""
    return f"bench-session-{subject_id}"


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def timed(call: Callable[[int], object], arguments: list[int]) -> list[float]:
    samples = []
    for argument in arguments:
        started = time.perf_counter_ns()
        call(argument)
        samples.append((time.perf_counter_ns() - started) / 1000)
    return samples


def raw_connection(url: str) -> Any:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return sqlite3.connect(str(parsed.database), check_same_thread=False)
    import psycopg

    return psycopg.connect(
        host=parsed.host, port=parsed.port or 5432, user=parsed.username, dbname=parsed.database
    )


def report(label: str, ours: tuple[float, float], base: tuple[float, float], target: float) -> str:
    ratio = ours[0] / base[0]
    verdict = "within" if ratio <= target else "OVER"
    return (
        f"{label}: p50 {ours[0]:.1f} µs, p99 {ours[1]:.1f} µs | baseline p50 {base[0]:.1f} µs, "
        f"p99 {base[1]:.1f} µs | ratio {ratio:.2f}x ({verdict} the {target:g}x target)"
    )


def run(size: int, lookups: int, database_url: str | None) -> list[str]:
    workdir = tempfile.mkdtemp(prefix="privaat-bench-")
    url = database_url or f"sqlite:///{workdir}/bench.db"
    engine: Engine = make_engine(url)
    if make_url(url).get_backend_name() == "postgresql":
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    settings = Settings(mode=Mode.TEST, database_url=url, var_dir=f"{workdir}/var")
    ctx = bootstrap(settings, clock=SystemClock(), engine=engine)
    lines = [f"accounts: {size:,} on {make_url(url).get_backend_name()}"]
    rate, plain_rate = create_accounts(ctx, size)
    lines.append(
        f"creation: {rate:,.0f} accounts/s (new key, encrypt, blind index, 4 tables) | "
        f"baseline plaintext executemany {plain_rate:,.0f}/s | ratio {plain_rate / rate:.1f}x"
    )
    if make_url(url).get_backend_name() == "postgresql":
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")

    rng = random.Random(7)
    picks = [rng.randrange(size) for _ in range(lookups)]
    emails = {n: person(n)["email"] for n in picks}

    raw = raw_connection(url)
    cursor = raw.cursor()
    marker = "?" if make_url(url).get_backend_name() == "sqlite" else "%s"
    # the same information the log-in needs: who, whether active, the language, the hash
    plain_lookup = (
        "SELECT id, status, language, password_hash FROM bench_plain_accounts"
        f" WHERE email = {marker}"  # noqa: S608
    )

    def baseline_lookup(n: int) -> object:
        cursor.execute(plain_lookup, (emails[n],))
        return cursor.fetchone()

    with engine.connect() as connection:
        index = ctx.keys.blind_index(connection)

        def our_lookup(n: int) -> object:
            row = find_login(connection, index.email(emails[n]))
            assert row is not None
            return row

        for warm in picks[:200]:
            our_lookup(warm), baseline_lookup(warm)
        ours, base = timed(our_lookup, picks), timed(baseline_lookup, picks)
    lines.append(
        report("log-in look-up by e-mail (blind index)", percentiles(ours), percentiles(base), 4)
    )

    ids = [n + 1 for n in picks]
    raw_session = f"SELECT subject_id, expires_at FROM sessions WHERE token_hash = {marker}"  # noqa: S608
    raw_read = (
        "SELECT s.id, s.pseudonym, s.minor, s.restricted, s.legal_hold, a.*, k.wrapped_key"
        " FROM subjects s LEFT JOIN accounts a ON a.subject_id = s.id"
        " LEFT JOIN subject_keys k ON k.subject_id = s.id"
        f" WHERE s.id = {marker}"  # noqa: S608
    )
    hashes = {i: hashlib.sha256(session_token(i).encode()).digest() for i in ids}

    def baseline_request(subject_id: int) -> object:
        cursor.execute(raw_session, (hashes[subject_id],))
        (found, _expires) = cursor.fetchone()
        cursor.execute(raw_read, (found,))
        return cursor.fetchone()

    def our_request(subject_id: int) -> object:
        # what GET /api/v1/account does: one unit of work shared by auth and the use case
        with ctx.unit_of_work() as uow:
            found = ctx.sessions.subject_of(uow, session_token(subject_id))
            return ctx.accounts.read_profile(uow, DataSubject(found), found)

    for warm in ids[:200]:
        our_request(warm), baseline_request(warm)
    ours, base = timed(our_request, ids), timed(baseline_request, ids)
    ctx.access_log.flush()
    lines.append(
        report(
            "account read as a request (session + guard + decrypt + access log)",
            percentiles(ours),
            percentiles(base),
            5,
        )
    )
    raw.close()
    ctx.close()
    return lines


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = platform.processor() or platform.machine()
    return f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="accounts to create")
    parser.add_argument("--lookups", type=int, default=20_000, help="look-ups and reads to time")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    for line in run(args.size, min(args.lookups, args.size), args.database_url):
        print(line, flush=True)


if __name__ == "__main__":
    main()
