"""W4: audience selection over N accounts, through the real service path, beside the SQL a
careful engineer would write by hand for the same rules on the same schema — same run, same
result set (asserted equal).

    python -m bench.audience_bench --size 1000000

The population is bulk-inserted straight into the real tables (blobs where they hold blobs,
random bytes of the real ciphertext lengths, since the selection decrypts nothing): marketing
consent ~30 % (3 % of it for a text no longer shown, ~5 % more given and then withdrawn),
objections to direct marketing ~3 %, full restrictions 0.5 %, restrictions scoped to
marketing e-mail 0.3 %, closed accounts 4 %, minors flagged 0.3 %, preferences for 60 %, and
for the opted-in a projection row (language, country, city) and one to three topics; one to
three services per account.

Ours: ``MarketingSelection.audience`` (preview 0): the candidate SQL, the guard's two
decisions per candidate (``marketing_selection`` and ``marketing_email``) through
``SubjectAccess.admit``, an access-log entry per admitted subject and the log's flush to the
database before returning. The baseline: one hand-written SQLite query with every rule in its
WHERE clause, on a held sqlite3 connection, writing nothing. Each figure is the median of
three runs; the target is a ratio of at most 1.5x.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bench.accounts_bench import machine
from privaat.bootstrap import Context, bootstrap
from privaat.domain.clock import SystemClock
from privaat.domain.marketing import AudienceFilter, parse_filters
from privaat.domain.principal import StaffMember, StaffRole
from privaat.services.marketing_preferences import blind_values
from privaat.settings import Mode, Settings

TARGET = 1.5
MARKETER = StaffMember(staff_id=1, role=StaffRole.MARKETING)
BATCH = 50_000
TOPICS = ("hosting", "email", "voip", "webshop", "apps")
COUNTRIES = (("NL", 75), ("BE", 15), ("DE", 7), (None, 3))
CITIES = {"NL": ("Amsterdam", "Utrecht", "Rotterdam", "Den Haag"), "BE": ("Antwerpen", "Gent")}
CITIES["DE"] = ("Berlin",)


def _stamp(moment: datetime) -> str:
    # how SQLAlchemy's DateTime stores an aware UTC time on SQLite (tables.UTCDateTime)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def populate(ctx: Context, database: str, size: int, seed: int = 4) -> None:
    """Bulk-insert ``size`` customers with the mixes of the module docstring."""
    rng = random.Random(seed)
    with ctx.engine.begin() as connection:
        index = ctx.keys.blind_index(connection)
    consent = ctx.policy.activity("marketing_email").consent
    assert consent is not None
    current = sorted(consent.text_hashes())[0]
    now = datetime.now(UTC)
    at = _stamp(now - timedelta(days=30))
    later = _stamp(now - timedelta(days=3))
    topic_hash = {t: index.value(blind_values.TOPIC, t) for t in TOPICS}
    service_hash = {t: index.value(blind_values.SERVICE, t) for t in TOPICS}
    email_channel = index.value(blind_values.CHANNEL, "email")
    language_hash = {lang: index.value(blind_values.LANGUAGE, lang) for lang in ("nl", "en")}
    country_hash = {c: index.value(blind_values.COUNTRY, c) for c in CITIES}
    city_hash = {c: blind_values.city(index, c) for cs in CITIES.values() for c in cs}
    countries = [c for c, weight in COUNTRIES for _ in range(weight)]
    raw = sqlite3.connect(database, isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=OFF")  # loading only; the timed runs use the defaults
    event_id = 0
    for first in range(1, size + 1, BATCH):
        rows: dict[str, list[tuple[object, ...]]] = {
            "subjects": [],
            "subject_keys": [],
            "accounts": [],
            "consent_events": [],
            "objections": [],
            "restrictions": [],
            "preferences": [],
            "marketing_profiles": [],
            "marketing_interests": [],
            "customer_services": [],
        }
        for sid in range(first, min(first + BATCH, size + 1)):
            minor = rng.random() < 0.003
            restricted = rng.random() < 0.005
            scoped = rng.random() < 0.003
            closed = rng.random() < 0.04
            language = "nl" if rng.random() < 0.8 else "en"
            rows["subjects"].append(
                (sid, os.urandom(16).hex(), at, minor, restricted, scoped, False, None)
            )
            rows["subject_keys"].append((sid, "bench", os.urandom(60)))
            rows["accounts"].append(
                (
                    sid,
                    os.urandom(32),
                    os.urandom(54),
                    os.urandom(40),
                    True,
                    language,
                    "closed" if closed else "active",
                    at,
                    later if closed else None,
                    True,
                )
            )
            if scoped:
                rows["restrictions"].append((sid, "marketing_email", None, later))
            draw = rng.random()
            given = draw < 0.30
            if given or draw < 0.35:
                event_id += 1
                text = current if rng.random() > 0.03 else "0" * 64
                rows["consent_events"].append(
                    (event_id, sid, "marketing_email", True, 1, text, 1, language, "sign_up", at)
                )
                if not given:  # given, then withdrawn: the newest event decides
                    event_id += 1
                    rows["consent_events"].append(
                        (event_id, sid, "marketing_email", False, 1, text, 1, None, "api", later)
                    )
            if rng.random() < 0.10:  # another consent in the same ledger
                event_id += 1
                rows["consent_events"].append(
                    (event_id, sid, "email_engagement", True, 1, "1" * 64, 1, "nl", "api", at)
                )
            if rng.random() < 0.03:
                rows["objections"].append((sid, "direct_marketing", later, None))
            if rng.random() < 0.6:
                rows["preferences"].append((sid, os.urandom(110), at))
                if given:
                    country = rng.choice(countries)
                    city = rng.choice(CITIES[country]) if country else None
                    rows["marketing_profiles"].append(
                        (
                            sid,
                            country_hash[country] if country else None,
                            city_hash[city] if city else None,
                            language_hash[language],
                            at,
                        )
                    )
                    chosen = rng.sample(TOPICS, rng.randint(1, 3))
                    rows["marketing_interests"] += [(sid, topic_hash[t]) for t in chosen]
                    rows["marketing_interests"].append((sid, email_channel))
            for service in rng.sample(TOPICS, rng.randint(1, 3)):
                rows["customer_services"].append((sid, service_hash[service], os.urandom(35), at))
        raw.execute("BEGIN")
        for table, values in rows.items():
            if values:
                marks = ", ".join("?" * len(values[0]))
                columns = _COLUMNS[table]
                raw.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608
                    values,
                )
        raw.execute("COMMIT")
    raw.execute("ANALYZE")
    raw.close()


_COLUMNS = {
    "subjects": "id, pseudonym, created_at, minor, restricted, restriction_scoped, legal_hold,"
    " erased_at",
    "subject_keys": "subject_id, master_key_id, wrapped_key",
    "accounts": "subject_id, email_bidx, email_enc, name_enc, age_declared_16_plus, language,"
    " status, created_at, closed_at, email_verified",
    "consent_events": "id, subject_id, activity, given, consent_version, text_sha256,"
    " policy_version, lang, channel, at",
    "objections": "subject_id, activity, at, compelling_grounds",
    "restrictions": "subject_id, activity, category, at",
    "preferences": "subject_id, document_enc, updated_at",
    "marketing_profiles": "subject_id, country_bidx, city_bidx, language_bidx, updated_at",
    "marketing_interests": "subject_id, interest_bidx",
    "customer_services": "subject_id, service_bidx, service_enc, since",
}


def hand_written(ctx: Context, wanted: AudienceFilter) -> tuple[str, list[object]]:
    """The query a careful engineer writes for the same rules (L13, L15), with its arguments."""
    consent = ctx.policy.activity("marketing_email").consent
    assert consent is not None
    hashes = sorted(consent.text_hashes())
    objection_keys = sorted(ctx.access._guard.objections_read("marketing_selection"))  # noqa: SLF001
    with ctx.engine.begin() as connection:
        index = ctx.keys.blind_index(connection)
    args: list[object] = [*hashes, _stamp(datetime.now(UTC)), *objection_keys]
    sql = [
        "WITH newest AS (SELECT MAX(id) AS id FROM consent_events"
        " WHERE activity = 'marketing_email' GROUP BY subject_id)"
        " SELECT s.id FROM newest n JOIN consent_events c ON c.id = n.id"
        " JOIN subjects s ON s.id = c.subject_id JOIN accounts a ON a.subject_id = s.id"
        f" WHERE c.given = 1 AND c.text_sha256 IN ({', '.join('?' * len(hashes))})"
        " AND (c.expires_at IS NULL OR c.expires_at > ?)"
        " AND s.minor = 0 AND s.restricted = 0 AND a.status = 'active'"
        " AND NOT EXISTS (SELECT 1 FROM objections o WHERE o.subject_id = s.id"
        f" AND o.activity IN ({', '.join('?' * len(objection_keys))}))"
        " AND NOT (s.restriction_scoped = 1 AND EXISTS (SELECT 1 FROM restrictions r"
        " WHERE r.subject_id = s.id"
        " AND r.activity IN ('marketing_selection', 'marketing_email')))"
    ]

    def some(values: list[bytes]) -> str:
        args.extend(values)
        return ", ".join("?" * len(values))

    if wanted.topics:
        topics = [index.value(blind_values.TOPIC, t) for t in sorted(wanted.topics)]
        sql.append(
            " AND EXISTS (SELECT 1 FROM marketing_interests i WHERE i.subject_id = s.id"
            f" AND i.interest_bidx IN ({some(topics)}))"
        )
    if wanted.countries:
        countries = [index.value(blind_values.COUNTRY, c) for c in sorted(wanted.countries)]
        sql.append(
            " AND EXISTS (SELECT 1 FROM marketing_profiles p WHERE p.subject_id = s.id"
            f" AND p.country_bidx IN ({some(countries)}))"
        )
    if wanted.services:
        services = [index.value(blind_values.SERVICE, v) for v in sorted(wanted.services)]
        sql.append(
            " AND EXISTS (SELECT 1 FROM customer_services cs WHERE cs.subject_id = s.id"
            f" AND cs.service_bidx IN ({some(services)}))"
        )
    sql.append(" ORDER BY s.id")
    return "".join(sql), args


def _median(call: Callable[[], object], runs: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        began = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


class _FlushTimer:
    """Times the access log's flushes, so the line shows what logging each subject costs."""

    def __init__(self, ctx: Context) -> None:
        self.seconds = 0.0
        flush = ctx.access_log.flush

        def timed(*, batch_size: int | None = None) -> int:
            began = time.perf_counter()
            try:
                return flush(batch_size=batch_size)
            finally:
                self.seconds += time.perf_counter() - began

        ctx.access_log.flush = timed  # type: ignore[method-assign]  # the bench's own probe


def run(size: int) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="privaat-audience-bench-") as workdir:
        database = f"{workdir}/privaat.db"
        settings = Settings(
            mode=Mode.TEST, database_url=f"sqlite:///{database}", var_dir=f"{workdir}/var"
        )
        ctx = bootstrap(settings, clock=SystemClock())
        lines = [f"audience: {size:,} accounts on SQLite (bulk-loaded)"]
        try:
            began = time.perf_counter()
            populate(ctx, database, size)
            lines.append(f"loaded in {time.perf_counter() - began:.1f} s")
            raw = sqlite3.connect(database)
            flushing = _FlushTimer(ctx)
            for label, filters in (
                ("everyone admitted", []),
                (
                    "topic=hosting,voip country=NL service=hosting",
                    [("topic", "hosting,voip"), ("country", "NL"), ("service", "hosting")],
                ),
            ):
                wanted = parse_filters(filters)

                def ours(wanted: AudienceFilter = wanted) -> tuple[int, ...]:
                    with ctx.unit_of_work() as uow:
                        return ctx.marketing.audience(uow, MARKETER, wanted, preview=0).subject_ids

                sql, args = hand_written(ctx, wanted)

                def theirs(sql: str = sql, args: list[object] = args) -> tuple[int, ...]:
                    return tuple(row[0] for row in raw.execute(sql, args))

                base_seconds, base_ids = _median(theirs)
                flushing.seconds = 0.0
                our_seconds, our_ids = _median(ours)
                log_seconds = flushing.seconds / 3  # the mean over the three runs
                if our_ids != base_ids:
                    raise SystemExit(f"{label}: the service and the hand-written SQL disagree")
                ratio = our_seconds / base_seconds
                verdict = "meets" if ratio <= TARGET else "misses"
                lines.append(
                    f"audience selection ({label}): {len(base_ids):,} subjects | ours "
                    f"{our_seconds * 1000:,.0f} ms (guard x2; of it the access log's write "
                    f"{log_seconds * 1000:,.0f} ms) | hand-"
                    f"written SQL {base_seconds * 1000:,.0f} ms | ratio {ratio:.2f}x "
                    f"({verdict} the {TARGET}x target)"
                )
            raw.close()
        finally:
            ctx.close()
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1_000_000, help="accounts in the database")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    for line in run(args.size):
        print(line, flush=True)


if __name__ == "__main__":
    main()
