"""Issue 14 (benchmark): the consent proof bundle for N ledger records — the export and the
offline verification, each beside a raw baseline measured in the same run.

The ledger: ``--size`` consent records (default 10,000; the issue asks 1,000,000) of
``size / 10`` cookie-banner visitors (subjects without an account, as most consent records
are), bulk-loaded into a fresh SQLite file with real-sized encrypted evidence, spread over
30 days of November 2026, each against the hash of a real consent text of the policy; one
signed audit checkpoint after them.

- **Export**: ``ConsentProofs.export`` of the whole month to a file (what ``privaat consent
  proof`` runs): the streamed read, the guard and access log per subject, each record
  rendered as an ISO/IEC TS 27560 record, the hash list, the signed manifest. Baseline: the
  raw ``SELECT`` of the same rows (sqlite3, same columns, same order) with each row hashed
  with hashlib — no bundle.
- **Verification**: ``render.consent_proof.verify`` of that file from disk (what ``privaat
  consent verify`` runs), target ≤ 60 s at 1,000,000 records. Baseline: reading the same file
  and hashing each line with hashlib, no parsing.

    python -m bench.consent_proof_bench --size 100000
"""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import sqlite3
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

from bench.accounts_bench import machine
from privaat.bootstrap import bootstrap
from privaat.domain.clock import FixedClock
from privaat.domain.principal import SystemJob
from privaat.policy.schema import consent_text_sha256
from privaat.render.consent_proof import verify
from privaat.services.consent_proofs import ConsentProofs
from privaat.settings import Mode, Settings
from privaat.store.audit import AuditTrail
from privaat.store.audit_checkpoints import AuditCheckpoints

VERIFY_TARGET_S = 60.0  # for 1,000,000 records on this machine (issue 14)
START = datetime(2026, 11, 1, tzinfo=UTC)
DAYS = 30
RAW_SELECT = (
    "SELECT c.id, c.subject_id, c.activity, c.given, c.consent_version, c.text_sha256,"
    " c.policy_version, c.lang, c.channel, c.at, c.expires_at, s.pseudonym"
    " FROM consent_events c JOIN subjects s ON s.id = c.subject_id"
    " WHERE c.at >= ? AND c.at < ? ORDER BY c.id"
)


def _stored(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLAlchemy stores a UTC time on SQLite


def _load(database: str, ctx_texts: list[tuple[str, str, str]], size: int, version: int) -> None:
    """``size`` ledger rows of ``size // 10`` visitors, inserted with the raw DB-API."""
    subjects = max(1, size // 10)
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("BEGIN")
    created = _stored(START)
    connection.executemany(
        "INSERT INTO subjects (pseudonym, created_at, minor, restricted, restriction_scoped,"
        " legal_hold) VALUES (?, ?, 0, 0, 0, 0)",
        ((secrets.token_hex(16), created) for _ in range(subjects)),
    )
    first = connection.execute("SELECT MIN(id) FROM subjects").fetchone()[0]
    step = timedelta(seconds=DAYS * 86_400 / size)
    evidence = secrets.token_bytes(80)  # the size of a sealed {"ip","user_agent"}

    def rows() -> object:
        for n in range(size):
            activity, lang, sha = ctx_texts[n % len(ctx_texts)]
            given = n % 4 != 3
            at = _stored(START + step * n)
            yield (
                first + n % subjects, activity, given, 1, sha, version,
                lang if given else None, "cookie_banner", at, evidence,
            )  # fmt: skip

    connection.executemany(
        "INSERT INTO consent_events (subject_id, activity, given, consent_version, text_sha256,"
        " policy_version, lang, channel, at, expires_at, evidence_enc)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
        rows(),  # type: ignore[arg-type]
    )
    connection.execute("COMMIT")
    connection.close()


def _raw_export(database: str, end: datetime) -> tuple[float, int]:
    began = time.perf_counter()
    connection = sqlite3.connect(database)
    count = 0
    for row in connection.execute(RAW_SELECT, (_stored(START), _stored(end))):
        hashlib.sha256(repr(row).encode()).digest()
        count += 1
    connection.close()
    return time.perf_counter() - began, count


def _raw_verify(path: str) -> float:
    began = time.perf_counter()
    with open(path, "rb") as file:
        for line in file:
            hashlib.sha256(line).digest()
    return time.perf_counter() - began


def run(size: int) -> list[str]:
    """The figures as report lines; the bundle is checked to verify and hold every record."""
    with tempfile.TemporaryDirectory(prefix="privaat-proof-bench-") as workdir:
        database = f"{workdir}/privaat.db"
        settings = Settings(
            mode=Mode.TEST, database_url=f"sqlite:///{database}", var_dir=f"{workdir}/var"
        )
        clock = FixedClock(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
        ctx = bootstrap(settings, clock=clock)
        try:
            texts = [
                (a.id, lang, consent_text_sha256(a.consent.request.in_language(lang)))
                for a in ctx.policy.activities
                if a.consent is not None and a.id != "support_access"
                for lang in ctx.policy.policy.languages
            ]
            loaded = time.perf_counter()
            _load(database, texts, size, ctx.policy.policy.version)
            load_s = time.perf_counter() - loaded
            with ctx.unit_of_work() as uow, uow.writing() as conn:
                AuditTrail.append(
                    conn, at=clock.now(), actor="system:bench", action="bench.loaded",
                    subject_pseudonym=None, detail={"records": size},
                )  # fmt: skip
                AuditCheckpoints(ctx.keys).make(conn, at=clock.now())
            proofs = ConsentProofs(
                access=ctx.access, access_log=ctx.access_log, keys=ctx.keys, policy=ctx.policy,
                versions=ctx.versions, clock=clock, base_url=ctx.settings.base_url,
            )  # fmt: skip
            bundle = f"{workdir}/proof.jsonl"
            began, cpu = time.perf_counter(), time.process_time()
            with open(bundle, "wb") as out, ctx.unit_of_work() as uow:
                export = proofs.export(
                    uow,
                    SystemJob("bench"),
                    start=date(2026, 11, 1),
                    end=date(2026, 11, 30),
                    out=out,
                )
            export_s, export_cpu = time.perf_counter() - began, time.process_time() - cpu
            raw_export_s, raw_rows = _raw_export(database, START + timedelta(days=DAYS))
            began, cpu = time.perf_counter(), time.process_time()
            with open(bundle, "rb") as file:
                verdict = verify(file)
            verify_s, verify_cpu = time.perf_counter() - began, time.process_time() - cpu
            raw_verify_s = _raw_verify(bundle)
            megabytes = os.path.getsize(bundle) / 2**20
        finally:
            ctx.close()
    if not verdict.ok or verdict.records != size or export.summary.records != size:
        raise SystemExit(f"the bundle does not hold {size} verified records: {verdict.problems}")
    if raw_rows != size:
        raise SystemExit(f"the baseline read {raw_rows} rows, not {size}")
    per_million = verify_s / size * 1_000_000
    mark = "✔" if per_million <= VERIFY_TARGET_S else "✘ over"
    return [
        f"load average at the end: {os.getloadavg()[0]:.1f} (a shared machine: wall times "
        "include waiting for a core; CPU is this process's own)",
        f"consent proof: {size:,} records of {max(1, size // 10):,} visitors on SQLite "
        f"(loaded in {load_s:.1f} s); bundle {megabytes:,.1f} MB",
        f"export (ConsentProofs.export): {export_s:.2f} s ({size / export_s:,.0f} records/s; "
        f"CPU {export_cpu:.2f} s) | "
        f"raw SELECT + hashlib {raw_export_s:.2f} s | ratio {export_s / raw_export_s:.1f}x",
        f"offline verification (verify): {verify_s:.2f} s ({size / verify_s:,.0f} records/s; "
        f"CPU {verify_cpu:.2f} s) | "
        f"raw read + hashlib per line {raw_verify_s:.2f} s | ratio "
        f"{verify_s / raw_verify_s:.1f}x | at 1,000,000 records {per_million:.1f} s, target "
        f"≤ {VERIFY_TARGET_S:g} s {mark}",
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=10_000, help="consent records in the ledger")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    for line in run(args.size):
        print(line, flush=True)


if __name__ == "__main__":
    main()
