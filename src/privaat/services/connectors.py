"""Reaching a store outside privaat (issue 15 item 1): a SQL database through SQLAlchemy, or
an HTTP/JSON API through templated requests, both read and changed as the stores file says.

    find(identity)   every table parents first (policy.stores.StoreSpec.order):
                       a table with an identity: the rows whose identity column holds one of
                       the person's values (an e-mail address in any case)
                       a table with references: the rows that point at a row already found
                     a row that comes back for someone else is refused (StoreMismatch): a
                     store that answers wrongly is never trusted with an erasure
    erase(identity)  SQL, one transaction: children first (reverse order); a held row whose
                     hold has not ended is masked (domain.masking), so is a row a kept row
                     still points at, every other row is deleted; counted before and after,
                     and nothing is committed unless no row of the person is left unmasked
                     HTTP: each row's erase request, children first; 404 counts as gone, so a
                     retry after a failure half-way is safe (idempotent)

A timeout, a refused connection or an error status is StoreUnavailable, naming the store:
the request that asked stays as it was, and asking again is safe.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from sqlalchemy import (
    Connection,
    Engine,
    TableClause,
    bindparam,
    column,
    create_engine,
    delete,
    func,
    or_,
    select,
    table,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from privaat.domain.masking import Keyed, mask_value
from privaat.policy.stores import HttpOperation, Mask, StoreSpec, TableSpec
from privaat.services.errors import Conflict

__all__ = [
    "Connector",
    "HttpConnector",
    "Identity",
    "Release",
    "SqlConnector",
    "StoreError",
    "StoreMismatch",
    "StoreUnavailable",
    "TableOutcome",
    "connector_for",
]

Rows = dict[str, list[dict[str, Any]]]  # table -> its rows about the person, parents first
Release = Callable[[TableSpec, Mapping[str, Any]], "date | None"]  # a held row's last day


class StoreError(Conflict):
    """A store outside privaat stopped a step: the request stays as it was (a Conflict, so
    every caller that refuses a step refuses this one with its words, naming the store)."""


class StoreUnavailable(StoreError):
    """A store did not answer, refused, or failed: nothing was changed by this attempt."""

    def __init__(self, store: str, reason: str) -> None:
        super().__init__(f"store {store}: {reason}")
        self.store, self.reason = store, reason


class StoreMismatch(StoreError):
    """A store returned a row that is not the person's: its answer is not used at all."""

    def __init__(self, store: str, table_name: str, reason: str) -> None:
        super().__init__(f"store {store}, {table_name}: {reason}")
        self.store = store


@dataclass(frozen=True, slots=True)
class Identity:
    """What privaat knows of the person, to find them elsewhere: kind -> values."""

    values: Mapping[str, frozenset[str]]

    def of(self, kind: str) -> frozenset[str]:
        return self.values.get(kind, frozenset())

    def matches(self, kind: str, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        return _normal(kind, value) in {_normal(kind, v) for v in self.of(kind)}

    def all_values(self) -> frozenset[str]:
        return frozenset(v for values in self.values.values() for v in values)


def _normal(kind: str, value: str) -> str:
    value = value.strip()
    if kind == "email":
        return value.lower()
    if kind == "phone":
        return "".join(ch for ch in value if ch.isdigit() or ch == "+")
    return value


@dataclass(slots=True)
class TableOutcome:
    """What an erasure did to one table: rows of the person before, deleted, masked (and
    until when the last masked row is held), and rows of the person found afterwards."""

    table: str
    before: int = 0
    deleted: int = 0
    masked: int = 0
    held_until: date | None = None
    after: int = 0
    masked_fields: dict[str, str] = field(default_factory=dict)  # column -> mask


class Connector(Protocol):
    spec: StoreSpec

    def find(self, identity: Identity) -> Rows: ...

    def erase(
        self, identity: Identity, *, keyed: Keyed, release: Release, today: date
    ) -> list[TableOutcome]: ...

    def close(self) -> None: ...


def connector_for(spec: StoreSpec) -> Connector:
    return SqlConnector(spec) if spec.kind == "sql" else HttpConnector(spec)


# --- SQL --------------------------------------------------------------------------------


class SqlConnector:
    """A relational store: PostgreSQL, SQLite, MariaDB (whatever SQLAlchemy's URL names)."""

    def __init__(self, spec: StoreSpec) -> None:
        self.spec = spec  # its url is there: the stores file's schema requires it
        self._engine: Engine | None = None
        self._tables = {t.name: _clause(t) for t in spec.tables}

    def clause(self, name: str) -> TableClause:
        """The table as SQLAlchemy writes statements for it: its declared columns only."""
        return self._tables[name]

    def engine(self) -> Engine:
        if self._engine is None:
            url = self.spec.url or ""
            seconds = self.spec.timeout_seconds
            args: dict[str, Any] = {}
            if url.startswith("sqlite"):
                args["timeout"] = seconds
            elif url.startswith("postgresql"):
                args["connect_timeout"] = max(1, int(seconds))
                args["options"] = f"-c statement_timeout={int(seconds * 1000)}"
            elif url.startswith(("mysql", "mariadb")):
                args["connect_timeout"] = max(1, int(seconds))
            self._engine = create_engine(url, connect_args=args, pool_pre_ping=True)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def find(self, identity: Identity) -> Rows:
        try:
            with self.engine().connect() as connection:
                return self._find(connection, identity)
        except SQLAlchemyError as error:
            raise StoreUnavailable(self.spec.id, _db_reason(error)) from None

    def _find(self, connection: Connection, identity: Identity) -> Rows:
        found: Rows = {}
        for spec in self.spec.order():
            clause = self._tables[spec.name]
            conditions = []
            for kind, name in spec.identity.items():
                values = identity.of(kind)
                if not values:
                    continue
                col = clause.c[name]
                if kind == "email":
                    conditions.append(func.lower(col).in_(sorted(v.lower() for v in values)))
                else:
                    conditions.append(col.in_(sorted(values)))
            for name, target in spec.references.items():
                parent, _, parent_column = target.partition(".")
                keys = {row[parent_column] for row in found.get(parent, [])}
                keys.discard(None)
                if keys:
                    conditions.append(clause.c[name].in_(sorted(keys, key=str)))
            rows = []
            if conditions:
                statement = select(clause).where(or_(*conditions)).order_by(clause.c[spec.key])
                rows = [dict(row) for row in connection.execute(statement).mappings()]
            found[spec.name] = rows
        return found

    def erase(
        self, identity: Identity, *, keyed: Keyed, release: Release, today: date
    ) -> list[TableOutcome]:
        try:
            with self.engine().begin() as connection:  # all of it, or none of it
                return self._erase(connection, identity, keyed, release, today)
        except SQLAlchemyError as error:
            raise StoreUnavailable(self.spec.id, _db_reason(error)) from None

    def _erase(
        self,
        connection: Connection,
        identity: Identity,
        keyed: Keyed,
        release: Release,
        today: date,
    ) -> list[TableOutcome]:
        found = self._find(connection, identity)
        outcomes: dict[str, TableOutcome] = {}
        kept: dict[str, set[Any]] = {}  # table -> keys of rows that stay (masked)
        order = self.spec.order()
        # which rows stay: held rows first, then every row a staying row points at
        for spec in reversed(order):
            staying = kept.setdefault(spec.name, set())
            for row in found[spec.name]:
                last = release(spec, row) if spec.hold is not None else None
                if last is not None and last >= today:
                    staying.add(row[spec.key])
            for name, target in spec.references.items():
                parent, _, parent_column = target.partition(".")
                pointed = {row[name] for row in found[spec.name] if row[spec.key] in staying}
                parent_spec = self.spec.table(parent)
                for row in found[parent]:
                    if row[parent_column] in pointed:
                        kept.setdefault(parent, set()).add(row[parent_spec.key])
        for spec in reversed(order):
            clause, rows = self._tables[spec.name], found[spec.name]
            outcome = outcomes[spec.name] = TableOutcome(spec.name, before=len(rows))
            key = clause.c[spec.key]
            staying = kept.get(spec.name, set())
            gone = [row[spec.key] for row in rows if row[spec.key] not in staying]
            for chunk in range(0, len(gone), 1000):
                statement = delete(clause).where(key.in_(gone[chunk : chunk + 1000]))
                outcome.deleted += connection.execute(statement).rowcount
            masked = [
                name
                for name in spec.fields
                if name != spec.key and spec.fields[name].held_as is not Mask.KEEP
            ]
            # rows whose masks come out alike (a person's invoices repeat their name and
            # IBAN) are masked by one UPDATE … WHERE key IN (…); a deterministic mask is
            # worked out once per value
            groups: dict[tuple[Any, ...], list[Any]] = {}
            memo: dict[tuple[str, Any], Any] = {}
            for row in rows:
                if row[spec.key] not in staying:
                    continue
                values = tuple(
                    _masked(self.spec.id, spec, name, row[name], keyed, memo) for name in masked
                )
                groups.setdefault(values, []).append(row[spec.key])
                outcome.masked += 1
                if spec.hold is not None:
                    last = release(spec, row)
                    if last is not None:
                        outcome.held_until = max(filter(None, (outcome.held_until, last)))
            single: list[dict[str, Any]] = []  # rows masked unlike any other: executemany
            for values, keys in groups.items() if masked else ():
                if len(keys) == 1:
                    single.append({"m_key": keys[0], **_bound(masked, values)})
                    continue
                for chunk in range(0, len(keys), 1000):
                    connection.execute(
                        update(clause)
                        .where(key.in_(keys[chunk : chunk + 1000]))
                        .values(dict(zip(masked, values, strict=True)))
                    )
            if single:
                each = (
                    update(clause)
                    .where(key == bindparam("m_key"))
                    .values({name: bindparam(f"m_{name}") for name in masked})
                )
                connection.execute(each, single)
            if staying:
                outcome.masked_fields = {
                    name: spec.fields[name].held_as.value
                    for name in spec.fields
                    if spec.fields[name].held_as is not Mask.KEEP and name != spec.key
                }
        # verified before it is committed: nothing left that an identity still finds
        after = self._find(connection, identity)
        for spec in order:
            outcomes[spec.name].after = sum(
                1 for row in after[spec.name] if _identifies(spec, row, identity)
            )
        left = [o for o in outcomes.values() if o.after]
        if left:
            connection.rollback()
            raise StoreUnavailable(
                self.spec.id,
                f"{left[0].table} still finds {left[0].after} row(s) of the person after "
                "masking: nothing was changed (check the masks of its identity columns)",
            )
        return [outcomes[spec.name] for spec in order]


def _bound(names: list[str], values: tuple[Any, ...]) -> dict[str, Any]:
    return {f"m_{name}": value for name, value in zip(names, values, strict=True)}


def _masked(
    store: str,
    spec: TableSpec,
    name: str,
    value: Any,
    keyed: Keyed,
    memo: dict[tuple[str, Any], Any],
) -> Any:
    mask = spec.fields[name].held_as
    if mask is Mask.RANDOM:  # never the same twice: nothing to remember
        return mask_value(mask, value, field=f"{store}.{spec.name}.{name}", keyed=keyed)
    known = memo.get((name, value), memo)
    if known is memo:
        known = memo[(name, value)] = mask_value(
            mask, value, field=f"{store}.{spec.name}.{name}", keyed=keyed
        )
    return known


def _identifies(spec: TableSpec, row: Mapping[str, Any], identity: Identity) -> bool:
    return any(identity.matches(kind, row.get(name)) for kind, name in spec.identity.items())


def _clause(spec: TableSpec) -> TableClause:
    return table(spec.name, *(column(name) for name in spec.fields))


def _db_reason(error: SQLAlchemyError) -> str:
    # the driver's first line: "connection refused", "timeout expired", "no such table: x"
    original = getattr(error, "orig", None) or error
    text = str(original).strip().splitlines()
    return text[0] if text else type(original).__name__


# --- HTTP -------------------------------------------------------------------------------


class HttpConnector:
    """An HTTP/JSON API: one templated request per operation and resource."""

    def __init__(self, spec: StoreSpec) -> None:
        self.spec = spec
        parts = urlsplit(spec.base_url or "")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"store {spec.id}: base_url must be an http(s) URL")
        self._scheme, self._host, self._port = parts.scheme, parts.hostname, parts.port
        self._prefix = parts.path.rstrip("/")

    def close(self) -> None:
        """Each request has its own connection: nothing to close."""

    def find(self, identity: Identity) -> Rows:
        found: Rows = {}
        for spec in self.spec.order():
            access = _operation(spec.access, spec)
            rows: dict[Any, dict[str, Any]] = {}
            for values in self._bindings(spec, access.placeholders, identity, found):
                answer = self._call(access.method, access.path, values, spec.name)
                for row in _rows_at(answer, access.rows, self.spec.id, spec.name):
                    self._check(spec, row, identity, values)
                    rows[row[spec.key]] = row
            found[spec.name] = list(rows.values())
        return found

    def erase(
        self, identity: Identity, *, keyed: Keyed, release: Release, today: date
    ) -> list[TableOutcome]:
        found = self.find(identity)
        outcomes = {
            spec.name: TableOutcome(spec.name, before=len(found[spec.name]))
            for spec in self.spec.tables
        }
        for spec in reversed(self.spec.order()):
            erase = _operation(spec.erase, spec)
            for row in found[spec.name]:
                values = {name: row.get(name) for name in erase.placeholders}
                self._call(erase.method, erase.path, values, spec.name, gone_ok=True)
                outcomes[spec.name].deleted += 1
        after = self.find(identity)
        for spec in self.spec.tables:
            outcomes[spec.name].after = len(after[spec.name])
        return [outcomes[spec.name] for spec in self.spec.order()]

    def _bindings(
        self, spec: TableSpec, names: Sequence[str], identity: Identity, found: Rows
    ) -> Iterable[dict[str, Any]]:
        """One set of placeholder values per request: each identity value, or each row of
        the parent a reference points at."""
        kinds = [name for name in names if name in spec.identity]
        refs = [name for name in names if name in spec.references]
        for kind in kinds:
            for value in sorted(identity.of(kind)):
                yield {kind: value}
        for name in refs:
            parent, _, parent_column = spec.references[name].partition(".")
            for row in found.get(parent, []):
                if row.get(parent_column) is not None:
                    yield {name: row[parent_column]}

    def _check(
        self, spec: TableSpec, row: Mapping[str, Any], identity: Identity, asked: Mapping[str, Any]
    ) -> None:
        if spec.key not in row:
            raise StoreMismatch(self.spec.id, spec.name, f"a row without its key {spec.key!r}")
        for kind, name in spec.identity.items():
            if kind in asked and not identity.matches(kind, row.get(name)):
                raise StoreMismatch(
                    self.spec.id, spec.name, f"it returned a row whose {name} is another person's"
                )
        for name in spec.references:
            if name in asked and str(row.get(name)) != str(asked[name]):
                raise StoreMismatch(
                    self.spec.id, spec.name, f"it returned a row of another {name} than asked"
                )

    def _call(
        self,
        method: str,
        path: str,
        values: Mapping[str, Any],
        resource: str,
        *,
        gone_ok: bool = False,
    ) -> Any:
        filled = path
        for name, value in values.items():
            filled = filled.replace("{" + name + "}", quote(str(value), safe=""))
        kind = HTTPSConnection if self._scheme == "https" else HTTPConnection
        connection = kind(self._host, self._port, timeout=self.spec.timeout_seconds)
        try:
            connection.request(
                method,
                self._prefix + filled,
                headers={"Accept": "application/json", **self.spec.headers},
            )
            response = connection.getresponse()
            body = response.read(8 * 1024 * 1024 + 1)
        except TimeoutError:
            raise StoreUnavailable(
                self.spec.id, f"{resource}: no answer within {self.spec.timeout_seconds:g} s"
            ) from None
        except (OSError, HTTPException) as error:
            raise StoreUnavailable(self.spec.id, f"{resource}: {error}") from None
        finally:
            connection.close()
        if gone_ok and response.status == 404:
            return None
        if not 200 <= response.status < 300:
            raise StoreUnavailable(self.spec.id, f"{resource}: answered {response.status}")
        if len(body) > 8 * 1024 * 1024:
            raise StoreUnavailable(self.spec.id, f"{resource}: an answer over 8 MiB")
        if not body:
            return None
        try:
            return json.loads(body)
        except ValueError:
            raise StoreUnavailable(self.spec.id, f"{resource}: the answer is not JSON") from None


def _operation(operation: HttpOperation | None, spec: TableSpec) -> HttpOperation:
    if operation is None:  # the stores file's check requires both for an http store
        raise ValueError(f"{spec.name}: an http resource needs 'access' and 'erase'")
    return operation


def _rows_at(answer: Any, where: str | None, store: str, resource: str) -> list[dict[str, Any]]:
    value = answer
    for step in (where or "").split(".") if where else ():
        value = value.get(step) if isinstance(value, dict) else None
    if value is None:
        return []
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
        raise StoreMismatch(store, resource, "the answer holds no list of objects")
    return value


def as_day(value: Any) -> date | None:
    """A stored day (a date, a time, or ISO text) as a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None
