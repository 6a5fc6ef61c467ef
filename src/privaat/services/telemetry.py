"""Telemetry ingestion: VoIP device sync and app analytics (issue 12 item 1; P6, P15).

    sending service ── Bearer key ──▶ authenticate (SHA-256 look-up, constant-time compare)
        │                              may it send this kind?  ──no──▶ KindNotAllowed
        ▼
    lines ──▶ parse (pydantic, strict, unknown fields refused) ──▶ invalid: the field named
        │      advertising id in the event (L24)                ──▶ refused: advertising_id
        │      same event_id twice in the batch                 ──▶ duplicate
        ▼  one writing transaction for the batch
    subjects by pseudonym (one query per 500) ──▶ unknown ──▶ refused: unknown_subject
    event ids stored before (one query per 500) ──▶ duplicate (exactly once under retries)
    the batch's subjects opened at once through the seam (SubjectAccess.open_many: one
        record query, one objections query; guard + access log per subject):
        objected (L25), restricted, closed, minor, ... ──▶ refused: the guard's reason
    precise location only if the guard allows device_precise_location (consent, L21),
        otherwise dropped; coarse country/city from the IP (offline GeoIP)
    crash logs scrubbed (domain.telemetry_scrub, L20); IP encrypted, its /24 or /48 too (L23)
    one executemany per table

Values are encrypted under the subject's data key, each subject's cipher opened once per
batch. Within a batch a subject's identical value (the same device, the same network, the
same /24) is encrypted once and the ciphertext reused: the rows show they are equal, which
their shared subject and batch say already; across batches every value gets a fresh nonce.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, Table, bindparam, insert, select

from privaat.domain.clock import Clock
from privaat.domain.principal import Principal, SystemJob
from privaat.domain.telemetry_events import (
    AD_ID_FIELDS,
    KINDS,
    PRECISE_LOCATION,
    AppAnalyticsEvent,
    EventKind,
    ServiceLoginEvent,
    TelemetryEvent,
    VoipSyncEvent,
)
from privaat.domain.telemetry_scrub import scrub
from privaat.policy.period import Period
from privaat.policy.schema import Policy
from privaat.services.errors import Conflict, InvalidField, ServiceError
from privaat.services.geo import GeoLocator, Location
from privaat.services.subject_access import Opened, Operation, SubjectAccess
from privaat.store.crypto import SubjectCipher
from privaat.store.fastpath import BulkInsert, driver_errors
from privaat.store.key_store import KeyStore
from privaat.store.tables import UTC_TIME, subjects
from privaat.store.tables_telemetry import (
    APPS,
    LOGIN_PLACE,
    PRECISE,
    VOIP,
    app_analytics_events,
    service_logins,
    telemetry_precise_locations,
    telemetry_services,
    voip_sync_events,
)
from privaat.store.unit_of_work import UnitOfWork

__all__ = [
    "KEY_PREFIX",
    "MAX_BODY",
    "MAX_LINE",
    "InvalidServiceKey",
    "KindNotAllowed",
    "LineOutcome",
    "SendingService",
    "ServiceInfo",
    "ServiceLoginView",
    "Status",
    "Telemetry",
    "UnknownKind",
]

KEY_PREFIX = "tlm_"  # tells a leaked key apart in a scan
MAX_LINE = 65_536  # bytes of one event (a crash log of 32 KiB characters fits)
MAX_BODY = 16 * 1024 * 1024  # bytes of one request body, after gzip
_CHUNK = 500  # values per IN (...) list: well under SQLite's and PostgreSQL's bind limits
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
_IP_WINDOW = timedelta(days=14)  # fallback if the policy declares no minimisation step


class Status(StrEnum):
    """What became of one line of a batch."""

    STORED = "stored"
    DUPLICATE = "duplicate"  # this service sent this event_id before: stored once, not again
    REFUSED = "refused"  # valid, but may not be stored (reason)
    INVALID = "invalid"  # not an event of this kind (field, reason)


@dataclass(frozen=True, slots=True)
class LineOutcome:
    line: int
    status: Status
    event_id: str | None = None
    reason: str | None = None
    field: str | None = None


@dataclass(frozen=True, slots=True)
class SendingService:
    """An authenticated sending service."""

    id: int
    name: str
    kinds: frozenset[str]

    @property
    def principal(self) -> SystemJob:
        return SystemJob(f"telemetry:{self.name}")


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    name: str
    kinds: tuple[str, ...]
    created_at: datetime
    revoked: bool


@dataclass(frozen=True, slots=True)
class ServiceLoginView:
    """One log-in to a datacenter service, as its holder sees it (P9)."""

    at: datetime
    service: str  # server, webmail, pbx
    outcome: str  # success, failure
    ip: str | None  # the full address for 30 days, then its /24 or /48; None after objecting
    country: str | None
    city: str | None


class InvalidServiceKey(ServiceError):
    """No key, or a wrong or revoked one: one answer for all (RFC 6750 §3.1)."""

    def __init__(self) -> None:
        super().__init__("a valid service key is required (Authorization: Bearer <key>)")


class UnknownKind(ServiceError):
    def __init__(self, kind: str) -> None:
        known = ", ".join(sorted(KINDS))
        super().__init__(f"no telemetry kind {kind[:40]!r}; the kinds are {known}")


class KindNotAllowed(ServiceError):
    def __init__(self, kind: str) -> None:
        super().__init__(f"this service may not send {kind} events")


_TABLES: dict[str, Table] = {
    "voip_sync": voip_sync_events,
    "app_analytics": app_analytics_events,
    "service_login": service_logins,
}
_SECURITY_LOG = "security_logging"


class _EventInsert(BulkInsert):
    """The batch's hot insert, compiled once and run on the driver's ``executemany``
    (store.fastpath), with the type processors run only where a value needs one: the times
    (each distinct time once a batch: ``received_at`` is one for all); ids, text and the
    ciphertext's bytes go to the driver as they are, as every driver takes them."""

    def __init__(self, table: Table) -> None:
        names = [column.name for column in table.columns if column.name != "id"]
        super().__init__(insert(table).values({name: bindparam(name) for name in names}))
        self._times = frozenset(
            name for name in names if isinstance(table.c[name].type, type(UTC_TIME))
        )

    def run(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        compiled = self.compiled(connection)
        times = {name: proc for name, proc in compiled.bind.items() if name in self._times and proc}
        done: dict[tuple[str, Any], Any] = {}
        processed: list[Any] = []
        for row in rows:
            values = dict(row)
            for name, proc in times.items():
                value = values[name]
                if value is not None:
                    key = (name, value)
                    bound = done.get(key)
                    if bound is None:
                        bound = done[key] = proc(value)
                    values[name] = bound
            order = compiled.positional
            processed.append(values if order is None else tuple(values[n] for n in order))
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            # a full disk or a lost server: SQLAlchemy's OperationalError, a 503 problem
            with driver_errors(connection, compiled.sql):
                cursor.executemany(compiled.sql, processed)
        finally:
            cursor.close()


def _bulk(table: Table) -> BulkInsert:
    return _EventInsert(table)


_INSERTS = {name: _bulk(table) for name, table in _TABLES.items()}
_INSERT_PRECISE = _bulk(telemetry_precise_locations)


class Telemetry:
    """Takes telemetry events from Flexibelt's services in, through the guard."""

    # a provider without telemetry need not declare these: the guard refuses an undeclared
    # activity, so no event is taken and the tables stay empty
    activities = frozenset({VOIP, APPS, PRECISE})

    def __init__(
        self, *, access: SubjectAccess, keys: KeyStore, policy: Policy, clock: Clock
    ) -> None:
        self._access, self._keys, self._policy, self._clock = access, keys, policy, clock
        declared = {activity.id for activity in policy.activities}
        # a kind whose activity the policy does not declare is not offered at all (L1)
        self.kinds: dict[str, EventKind] = {
            name: kind
            for name, kind in KINDS.items()
            if kind.activity in declared and (kind.located is None or kind.located in declared)
        }
        self._geo = GeoLocator()
        self._ip_window = _ip_window(policy)
        self._login_ip_window = _ip_window(policy, LOGIN_PLACE)

    # --- sending services and their keys ------------------------------------------------

    def add_service(
        self, uow: UnitOfWork, name: str, kinds: Iterable[str]
    ) -> tuple[ServiceInfo, str]:
        """A new sending service and its key (returned once, stored only as SHA-256)."""
        if not _NAME.match(name):
            raise InvalidField("name", "1-32 of a-z, 0-9 and -, starting with a letter")
        wanted = tuple(sorted(set(kinds)))
        if not wanted:
            raise InvalidField("kind", "name at least one kind")
        for kind in wanted:
            if kind not in self.kinds:
                raise InvalidField("kind", str(UnknownKind(kind)))
        key, now = _new_key(), self._clock.now()
        with uow.writing() as connection:
            taken = connection.execute(
                select(telemetry_services.c.id).where(telemetry_services.c.name == name)
            ).first()
            if taken is not None:
                raise Conflict(f"a service named {name} exists already")
            connection.execute(
                insert(telemetry_services).values(
                    name=name, kinds=",".join(wanted), created_at=now, key_hash=_hash(key)
                )
            )
        return ServiceInfo(name, wanted, now, revoked=False), key

    def services(self, uow: UnitOfWork) -> list[ServiceInfo]:
        with uow.reading() as connection:
            rows = connection.execute(
                select(telemetry_services).order_by(telemetry_services.c.name)
            ).all()
        return [
            ServiceInfo(r.name, tuple(r.kinds.split(",")), r.created_at, r.revoked_at is not None)
            for r in rows
        ]

    def authenticate(self, uow: UnitOfWork, key: str | None) -> SendingService:
        """The service whose live key this is; InvalidServiceKey otherwise."""
        if not key or len(key) > 200:
            raise InvalidServiceKey()
        digest = _hash(key)
        with uow.reading() as connection:
            row = connection.execute(
                select(
                    telemetry_services.c.id,
                    telemetry_services.c.name,
                    telemetry_services.c.kinds,
                    telemetry_services.c.key_hash,
                ).where(
                    telemetry_services.c.key_hash == digest,
                    telemetry_services.c.revoked_at.is_(None),
                )
            ).first()
        # looked up by hash already; compare_digest keeps the final check constant-time
        if row is None or not hmac.compare_digest(bytes(row.key_hash), digest):
            raise InvalidServiceKey()
        return SendingService(row.id, row.name, frozenset(row.kinds.split(",")))

    def service(self, uow: UnitOfWork, name: str) -> SendingService:
        """A service by name, for the command line (which runs as the operator)."""
        with uow.reading() as connection:
            row = connection.execute(
                select(telemetry_services).where(telemetry_services.c.name == name)
            ).first()
        if row is None or row.revoked_at is not None:
            raise InvalidField("service", f"no live service named {name}")
        return SendingService(row.id, row.name, frozenset(row.kinds.split(",")))

    def kind(self, service: SendingService, name: str) -> EventKind:
        """The kind ``name``; UnknownKind, or KindNotAllowed for a kind not the service's."""
        kind = self.kinds.get(name)
        if kind is None:
            raise UnknownKind(name)
        if name not in service.kinds:
            raise KindNotAllowed(name)
        return kind

    # --- ingestion -----------------------------------------------------------------------

    def ingest(
        self,
        uow: UnitOfWork,
        service: SendingService,
        kind: EventKind,
        lines: Iterable[tuple[int, bytes | None]],
    ) -> list[LineOutcome]:
        """One batch in one transaction: the outcome of every line, in line order."""
        outcomes: dict[int, LineOutcome] = {}
        events: list[tuple[int, TelemetryEvent]] = []
        seen: set[Any] = set()
        validate = kind.model.model_validate_json
        for number, raw in lines:
            if raw is None:
                outcomes[number] = LineOutcome(
                    number, Status.INVALID, reason=f"line longer than {MAX_LINE} bytes"
                )
                continue
            try:
                event = validate(raw)
            except ValidationError as error:
                outcomes[number] = _invalid(number, error)
                continue
            if event.event_id in seen:
                outcomes[number] = LineOutcome(number, Status.DUPLICATE, str(event.event_id))
                continue
            seen.add(event.event_id)
            events.append((number, event))
        if events:
            with uow.writing() as connection:
                self._store(connection, service, kind, events, outcomes)
        return [outcomes[n] for n in sorted(outcomes)]

    def _store(
        self,
        connection: Connection,
        service: SendingService,
        kind: EventKind,
        events: list[tuple[int, TelemetryEvent]],
        outcomes: dict[int, LineOutcome],
    ) -> None:
        table = _TABLES[kind.name]
        subject_ids = _subject_ids(connection, {event.subject for _n, event in events})
        stored_before = _stored_event_ids(
            connection, table, service.id, [str(event.event_id) for _n, event in events]
        )
        principal = service.principal
        fresh = [(n, e) for n, e in events if str(e.event_id) not in stored_before]
        writers = self._open_many(
            connection, principal, {subject_ids.get(e.subject) for _n, e in fresh}, kind.activity
        )
        located = self._located(connection, principal, kind, writers)
        now = self._clock.now()
        rows: list[dict[str, Any]] = []
        precise_rows: list[dict[str, Any]] = []
        for number, event in events:
            event_id = str(event.event_id)
            if event_id in stored_before:
                outcomes[number] = LineOutcome(number, Status.DUPLICATE, event_id)
                continue
            writer = writers[subject_ids.get(event.subject)]
            if isinstance(writer, str):
                outcomes[number] = LineOutcome(number, Status.REFUSED, event_id, reason=writer)
                continue
            if isinstance(event, ServiceLoginEvent):
                place = writer.subject_id in located
                rows.append(writer.login_row(event, event_id, service.id, now, located=place))
                outcomes[number] = LineOutcome(number, Status.STORED, event_id)
                continue
            rows.append(writer.row(event, event_id, service.id, now))
            if event.precise_location is not None and writer.precise(
                connection, self._access, principal
            ):
                precise_rows.append(writer.precise_row(event, event_id, service.id, kind, now))
            outcomes[number] = LineOutcome(number, Status.STORED, event_id)
        _INSERTS[kind.name].run(connection, rows)
        _INSERT_PRECISE.run(connection, precise_rows)

    def _open_many(
        self,
        connection: Connection,
        principal: SystemJob,
        subject_ids: set[int | None],
        activity: str,
    ) -> dict[int | None, _Writer | str]:
        """Each subject's writer, or the refusal's reason: one bulk open for the batch."""
        writers: dict[int | None, _Writer | str] = {None: "unknown_subject"}
        known = [subject_id for subject_id in subject_ids if subject_id is not None]
        opened = self._access.open_many(
            connection, principal, known, activity, operation=Operation.WRITE
        )
        for subject_id in known:
            answer = opened.get(subject_id)
            if answer is None:
                writers[subject_id] = "unknown_subject"
            elif isinstance(answer, Opened):
                writers[subject_id] = _Writer(subject_id, answer.cipher, self._geo)
            else:
                writers[subject_id] = answer.reason.value if answer.reason else "not_allowed"
        return writers

    def _located(
        self,
        connection: Connection,
        principal: SystemJob,
        kind: EventKind,
        writers: dict[int | None, _Writer | str],
    ) -> set[int]:
        """The subjects whose IP and place the kind's second activity may store (P9, L35):
        opened (and access-logged) under it; an objection leaves them out."""
        if kind.located is None:
            return set()
        admitted = [w.subject_id for w in writers.values() if isinstance(w, _Writer)]
        opened = self._access.open_many(
            connection, principal, admitted, kind.located, operation=Operation.WRITE
        )
        return {subject_id for subject_id, answer in opened.items() if isinstance(answer, Opened)}

    # --- reading for the holder (P9, L35) --------------------------------------------------

    def service_logins(
        self, uow: UnitOfWork, principal: Principal, subject_id: int, *, limit: int = 20
    ) -> list[ServiceLoginView] | None:
        """The person's own most recent log-ins to datacenter services, newest first; None
        when this provider takes no service log-ins. The place only while the guard allows
        datacenter_login_location for them (not after an objection)."""
        if "service_login" not in self.kinds:
            return None
        with uow.reading() as connection:
            self._access.open(connection, principal, subject_id, _SECURITY_LOG)
            place = self._access.open_if_allowed(connection, principal, subject_id, LOGIN_PLACE)
            rows = connection.execute(
                select(service_logins)
                .where(service_logins.c.subject_id == subject_id)
                .order_by(service_logins.c.at.desc(), service_logins.c.id.desc())
                .limit(limit)
            ).all()
        views = []
        for row in rows:
            ip = country = city = None
            if place is not None:
                ip = place.decrypt("service_logins.ip", row.ip_enc) or place.decrypt(
                    "service_logins.ip_network", row.ip_network_enc
                )
                where = place.decrypt("service_logins.location", row.location_enc)
                if where is not None:
                    parsed = json.loads(where)
                    country, city = parsed.get("country"), parsed.get("city")
            views.append(ServiceLoginView(row.at, row.service, row.outcome, ip, country, city))
        return views


_V_LOG, _V_IP, _V_NETWORK, _V_LOCATION, _V_DEVICE = (
    f"voip_sync_events.{name}" for name in ("log", "ip", "ip_network", "location", "device")
)


_L_IP, _L_NETWORK, _L_LOCATION = (
    f"service_logins.{name}" for name in ("ip", "ip_network", "location")
)


class _Writer:
    """One subject's rows of one batch: its cipher opened once, each distinct value
    encrypted once (module docstring)."""

    __slots__ = ("_cipher", "_geo", "_precise", "_seal", "subject_id")

    def __init__(self, subject_id: int, cipher: SubjectCipher, geo: GeoLocator) -> None:
        self.subject_id, self._cipher, self._geo = subject_id, cipher, geo
        self._seal: dict[Any, Any] = {}
        self._precise: bool | None = None

    def _once(self, column: str, key: Any, text: str) -> bytes:
        sealed = self._seal.get((column, key))
        if sealed is None:
            sealed = self._seal[(column, key)] = self._cipher.encrypt(column, text)
        return sealed

    def login_row(
        self,
        event: ServiceLoginEvent,
        event_id: str,
        service_id: int,
        now: datetime,
        *,
        located: bool,
    ) -> dict[str, Any]:
        """A service log-in's row; its IP and place only when ``located`` (P9, L35)."""
        row: dict[str, Any] = {
            "service_id": service_id,
            "event_id": event_id,
            "subject_id": self.subject_id,
            "at": event.at,
            "received_at": now,
            "service": event.service,
            "outcome": event.outcome,
            "ip_enc": None,
            "ip_network_enc": None,
            "location_enc": None,
        }
        if located:
            ip = event.ip
            sealed = self._seal.get(("login", ip))
            if sealed is None:
                sealed = self._seal[("login", ip)] = (
                    self._cipher.encrypt(_L_IP, str(ip)),
                    self._cipher.encrypt(_L_NETWORK, _network(ip)),
                    self._location(_L_LOCATION, ip),
                )
            row["ip_enc"], row["ip_network_enc"], row["location_enc"] = sealed
        return row

    def row(
        self,
        event: VoipSyncEvent | AppAnalyticsEvent,
        event_id: str,
        service_id: int,
        now: datetime,
    ) -> dict[str, Any]:
        crash = event.crash_log
        row: dict[str, Any] = {
            "service_id": service_id,
            "event_id": event_id,
            "subject_id": self.subject_id,
            "at": event.at,
            "received_at": now,
            # L20: scrubbed of phone numbers, e-mail addresses, credentials, call content
            "log_enc": None,
        }
        if isinstance(event, VoipSyncEvent):
            ip, seal = event.ip, self._seal
            if crash is not None:
                row["log_enc"] = self._cipher.encrypt(_V_LOG, scrub(crash))
            # a desk phone syncs from one place: its address, network and location are
            # sealed once a batch (the class docstring)
            sealed = seal.get(ip)
            if sealed is None:
                network = _network(ip)
                sealed = seal[ip] = (
                    self._cipher.encrypt(_V_IP, str(ip)),
                    self._cipher.encrypt(_V_NETWORK, network),
                    self._location(_V_LOCATION, ip),
                )
            row["ip_enc"], row["ip_network_enc"], row["location_enc"] = sealed
            device_key = (event.device, event.network)
            device = seal.get(device_key)
            if device is None:
                plain = {**event.device.model_dump(exclude_none=True), "network": event.network}
                device = seal[device_key] = self._cipher.encrypt(_V_DEVICE, _json(plain))
            row["device_enc"] = device
            return row
        if not isinstance(event, AppAnalyticsEvent):  # the two kinds are all there are
            raise TypeError(type(event).__name__)
        table = "app_analytics_events."
        if crash is not None:
            row["log_enc"] = self._cipher.encrypt(table + "log", scrub(crash))
        # L20: the IP only gives the coarse location; it is not stored
        row["location_enc"] = (
            None if event.ip is None else self._location(table + "location", event.ip)
        )
        device = event.device
        row["device_enc"] = self._once(
            table + "device",
            (device, event.app, event.app_version),
            _json(
                {
                    **device.model_dump(exclude_none=True),
                    "app": event.app,
                    "app_version": event.app_version,
                }
            ),
        )
        row["usage_enc"] = self._once(table + "usage", event.feature, event.feature)
        language = event.language
        row["language_enc"] = (
            None if language is None else self._once(table + "language", language, language)
        )
        return row

    def _location(self, column: str, ip: Any) -> bytes | None:
        # L21: country and city from the IP, offline; never more precise than that
        key = (column, ("geo", ip))
        sealed = self._seal.get(key)
        if sealed is None:
            where = _place(self._geo, ip)
            if where is None:
                return None
            sealed = self._seal[key] = self._cipher.encrypt(column, where)
        return sealed

    def precise(self, connection: Connection, access: SubjectAccess, principal: SystemJob) -> bool:
        """Whether the person consented to their precise location (L21): asked once a batch."""
        if self._precise is None:
            decision = access.decide(connection, principal, self.subject_id, PRECISE_LOCATION)
            self._precise = decision.allowed
        return self._precise

    def precise_row(
        self,
        event: VoipSyncEvent | AppAnalyticsEvent,
        event_id: str,
        service_id: int,
        kind: EventKind,
        now: datetime,
    ) -> dict[str, Any]:
        where = event.precise_location
        if where is None:
            raise ValueError("no precise location")
        return {
            "service_id": service_id,
            "event_id": event_id,
            "kind": kind.name,
            "subject_id": self.subject_id,
            "received_at": now,
            "location_enc": self._cipher.encrypt(
                "telemetry_precise_locations.location", _json(where.model_dump(exclude_none=True))
            ),
        }


@lru_cache(maxsize=65_536)
def _network(ip: Any) -> str:
    """/24 for IPv4, /48 for IPv6 (L23, CJEU C-582/14 Breyer); cached in memory per address."""
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network((ip, prefix), strict=False))


@lru_cache(maxsize=65_536)
def _locate(geo: GeoLocator, ip: Any) -> Location:
    # the offline look-up is ~0.1 ms; a device syncs from the same address again and again
    return geo.locate(str(ip))


@lru_cache(maxsize=65_536)
def _place(geo: GeoLocator, ip: Any) -> str | None:
    # the stored form of the coarse place of an address: the same text for every subject
    where = _locate(geo, ip)
    if where.country is None:
        return None
    return _json({"country": where.country, "city": where.city})


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _invalid(number: int, error: ValidationError) -> LineOutcome:
    problems = error.errors(include_url=False, include_input=False)
    for problem in problems:
        loc = problem["loc"]
        if problem["type"] == "extra_forbidden" and loc and str(loc[-1]).lower() in AD_ID_FIELDS:
            # L24: no advertising identifiers, ever; refused so the sender fixes its app
            return LineOutcome(number, Status.REFUSED, reason="advertising_id", field=str(loc[-1]))
    first = problems[0]
    field = ".".join(str(part) for part in first["loc"]) or "(event)"
    return LineOutcome(number, Status.INVALID, reason=first["msg"], field=field)


def _subject_ids(connection: Connection, pseudonyms: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    wanted = sorted(pseudonyms)
    for start in range(0, len(wanted), _CHUNK):
        found.update(
            (pseudonym, subject_id)
            for subject_id, pseudonym in connection.execute(
                select(subjects.c.id, subjects.c.pseudonym).where(
                    subjects.c.pseudonym.in_(wanted[start : start + _CHUNK])
                )
            )
        )
    return found


def _stored_event_ids(
    connection: Connection, table: Table, service_id: int, event_ids: list[str]
) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(event_ids), _CHUNK):
        found.update(
            connection.execute(
                select(table.c.event_id).where(
                    table.c.service_id == service_id,
                    table.c.event_id.in_(event_ids[start : start + _CHUNK]),
                )
            ).scalars()
        )
    return found


def _ip_window(policy: Policy, activity_id: str = VOIP) -> Period | None:
    """After how long a full IP goes, as the activity's minimisation step says (L23)."""
    for activity in policy.activities:
        if activity.id == activity_id:
            for step in activity.retention.minimise:
                if "ip_address" in step.categories:
                    return step.after
    return None


def _new_key() -> str:
    # 256 bits from the OS's CSPRNG, URL-safe, no padding (RFC 4648 §5), as OpenDSR's keys
    return KEY_PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


def _hash(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()
