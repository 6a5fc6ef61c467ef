"""A person's data in the stores outside privaat, for access and erasure (issue 15 items 1,
2 and 6; GDPR art. 15, 17; LEGAL L34, L59).

    identity_of(opened)   the account's e-mail address and phone number (E.164 and the
                          national form), read through the guard's opening: no store is
                          reached for a person the guard did not let the caller open
    parts(identity)       each store's tables as parts of the access export, named
                          ``<store>/<table>``, each field with the store's activity and the
                          category its annotation gives
    erase(identity)       first every store is read (any failure: nothing changed anywhere),
                          then each store erased in turn, its own transaction (SQL) or its
                          idempotent requests (HTTP); a store that fails stops the erasure
                          with the stores before it done and recorded by the caller, so a
                          retry finishes the rest and the certificate holds both
    search(values)        every store's every field, for the values: what is still there

The masking key is the blind index's HMAC under the kind ``mask`` (store.crypto): no key
of its own to keep, and ``keys rotate`` leaves earlier masks comparable.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import phonenumbers
from sqlalchemy import String, cast, func, or_, select

from privaat.domain.masking import Keyed
from privaat.policy.schema import Policy
from privaat.policy.stores import (
    StoresFile,
    StoresFileError,
    StoreSpec,
    TableSpec,
    holds_for,
    parse_stores,
)
from privaat.policy.wording import legal_basis_words
from privaat.services.connectors import (
    Connector,
    Identity,
    SqlConnector,
    StoreUnavailable,
    TableOutcome,
    as_day,
    connector_for,
)
from privaat.services.subject_access import Opened
from privaat.services.subject_export import ExportField, StreamedPart

__all__ = [
    "ExternalStores",
    "Hit",
    "StoreOutcome",
    "StoreUnavailable",
    "identity_of",
    "phone_forms",
]


@dataclass(frozen=True, slots=True)
class StoreOutcome:
    """What an erasure did in one store, for the certificate."""

    store: str
    name: str
    kind: str
    activity: str
    tables: tuple[TableOutcome, ...]

    def document(self, policy: Policy, lang: str = "en") -> dict[str, Any]:
        activity = policy.activity(self.activity)
        held = [t for t in self.tables if t.masked]
        entry: dict[str, Any] = {
            "store": self.store,
            "name": self.name,
            "kind": self.kind,
            "tables": [
                {
                    "table": t.table,
                    "before": t.before,
                    "deleted": t.deleted,
                    "masked": t.masked,
                    "after": t.after,
                    **({"masks": dict(sorted(t.masked_fields.items()))} if t.masked else {}),
                    **({"held_until": t.held_until.isoformat()} if t.held_until else {}),
                }
                for t in self.tables
            ],
        }
        if held:
            grounds = [h.ground.in_language(lang) for h in activity.retention.legal_holds]
            entry["held"] = {
                "activity": activity.id,
                "legal_basis": legal_basis_words(activity.legal_basis, lang),
                "ground": "; ".join(grounds),
            }
        return entry


@dataclass(frozen=True, slots=True)
class Hit:
    """A value found in a store: where, never what (the value is the caller's own)."""

    store: str
    table: str
    key: str
    field: str


def identity_of(opened: Opened, region: str = "NL") -> Identity:
    """The person's identities as privaat holds them, read through the guard's opening."""
    values: dict[str, frozenset[str]] = {}
    email = opened.decrypt("accounts.email", opened.record.get("email_enc"))
    if email:
        values["email"] = frozenset({email.strip().lower()})
    phone = opened.decrypt("accounts.phone", opened.record.get("phone_enc"))
    if phone:
        values["phone"] = phone_forms(phone, region)
    return Identity(values)


def phone_forms(phone: str, region: str = "NL") -> frozenset[str]:
    """The number as typed, in E.164 and in the national form without spaces: the ways a
    store is likely to have written it down."""
    forms = {phone.strip()}
    try:
        number = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return frozenset(forms)
    forms.add(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    forms.add("".join(ch for ch in national if ch.isdigit()))
    return frozenset(forms)


def read_stores_file(path: Path | None, policy: Policy) -> StoresFile:
    """The stores file at ``path`` checked against the policy; none: no stores outside."""
    if path is None:
        return StoresFile()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise StoresFileError(f"{path}: {error.strerror or error}") from None
    return parse_stores(text, policy)


class ExternalStores:
    """The stores the stores file declares, each behind its connector."""

    def __init__(self, stores: StoresFile, policy: Policy) -> None:
        self._policy = policy
        self.file = stores  # its manual systems too (services.request_tasks)
        self.specs = stores.stores
        self._connectors: dict[str, Connector] = {s.id: connector_for(s) for s in self.specs}

    def __bool__(self) -> bool:
        return bool(self.specs)

    def close(self) -> None:
        for connector in self._connectors.values():
            connector.close()

    def parts(self, identity: Identity) -> list[StreamedPart]:
        """Every store's rows about the person, as parts of the access export; read before
        any is handed over, so a failing store fails the whole answer (art. 15(3))."""
        parts = []
        for spec in self.specs:
            found = self._connectors[spec.id].find(identity)
            for table in spec.order():
                rows = found[table.name]
                fields = tuple(
                    ExportField(name, spec.activity if f.personal else None, f.category)
                    for name, f in table.fields.items()
                )
                parts.append(
                    StreamedPart(f"{spec.id}/{table.name}", fields, _exported(rows, table))
                )
        return parts

    def found(self, identity: Identity) -> dict[str, int]:
        """Per store, how many rows are the person's (a preflight: every store answers)."""
        counts = {}
        for spec in self.specs:
            rows = self._connectors[spec.id].find(identity)
            counts[spec.id] = sum(len(found) for found in rows.values())
        return counts

    def erase(
        self, identity: Identity, *, keyed: Keyed, today: date, skip: Iterable[str] = ()
    ) -> Iterator[StoreOutcome]:
        """Erase the person from every store not in ``skip``, one store at a time: each
        outcome is yielded as soon as its store is done (the caller records it before the
        next starts); StoreUnavailable stops it."""
        done = set(skip)
        pending = [spec for spec in self.specs if spec.id not in done]
        for spec in pending:  # every store answers before any is changed
            self._connectors[spec.id].find(identity)

        def release(table: TableSpec, row: Mapping[str, Any]) -> date | None:
            return self._release(table, row, today)

        for spec in pending:
            tables = self._connectors[spec.id].erase(
                identity, keyed=keyed, release=release, today=today
            )
            yield StoreOutcome(spec.id, spec.name.en, spec.kind, spec.activity, tuple(tables))

    def _release(self, table: TableSpec, row: Mapping[str, Any], today: date) -> date | None:
        """The last day a held row is kept: its ``since`` day (or that year's end) plus the
        longest legal hold that keeps one of its categories."""
        if table.hold is None:
            return None
        spec = next(s for s in self.specs if any(t is table for t in s.tables))
        holds = holds_for(self._policy, spec, table)
        since = as_day(row.get(table.hold.since))
        if since is None:  # no date to count from: kept, counted from today (L34)
            since = today
        if table.hold.from_year_end:
            since = date(since.year, 12, 31)
        return max(hold.period.after_date(since) for hold in holds)

    def search(self, values: Iterable[str], identity: Identity) -> list[Hit]:
        """Where any of ``values`` still appears: every field of every SQL table (as text,
        in any case), and what each HTTP store answers for the identity."""
        wanted = sorted({v.strip().lower() for v in values if v and v.strip()})
        hits: list[Hit] = []
        for spec in self.specs:
            connector = self._connectors[spec.id]
            if isinstance(connector, SqlConnector):
                hits.extend(_sql_search(connector, spec, wanted))
                continue
            for name, rows in connector.find(identity).items():
                key = spec.table(name).key
                hits.extend(Hit(spec.id, name, str(row.get(key)), "*") for row in rows)
        return hits


def _sql_search(connector: SqlConnector, spec: StoreSpec, wanted: list[str]) -> list[Hit]:
    if not wanted:
        return []
    hits = []
    with connector.engine().connect() as connection:
        for table in spec.tables:
            clause = connector.clause(table.name)
            for name in table.fields:
                text = func.lower(cast(clause.c[name], String))
                matches = or_(*(text.contains(value, autoescape=True) for value in wanted))
                statement = select(clause.c[table.key]).where(matches)
                for (key,) in connection.execute(statement):
                    hits.append(Hit(spec.id, table.name, str(key), name))
    return hits


def _exported(
    rows: list[dict[str, Any]], table: TableSpec
) -> Iterator[tuple[Mapping[str, Any], tuple[tuple[str, bytes], ...]]]:
    for row in rows:
        values = {}
        for name in table.fields:
            value = row.get(name)
            if isinstance(value, datetime | date):
                value = value.isoformat()
            elif isinstance(value, bytes):
                value = value.hex()
            elif value is not None and not isinstance(value, str | int | float | bool):
                value = str(value)
            values[name] = value
        yield values, ()
