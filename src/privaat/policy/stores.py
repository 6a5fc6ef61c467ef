"""The stores outside privaat that hold a person's data, and what each field of them is
(issue 15 item 1): the *stores file*, ``PRIVAAT_STORES_FILE``.

    stores:
      - id: billing                       kind sql: any SQLAlchemy URL (PostgreSQL, SQLite,
        kind: sql                         MariaDB), ``${VARIABLE}`` read from the environment
        url: ${BILLING_URL}               so no password sits in the file
        activity: account                 the policy's activity whose data it holds: the
        tables:                           guard decides on it, its legal holds keep rows
          - name: customers
            key: id
            identity: {email: email}      identity kind -> the column that holds it: where a
            fields:                       search for the person starts
              id: {}                      no category: technical (an id, a reference, a sum)
              email: {category: email_address, mask: keyed_hash}
          - name: invoices
            key: id
            references: {customer_id: customers.id}   reached from the customer's rows
            hold: {since: issued_on}      under the activity's legal hold (L34): masked, not
            fields: ...                   deleted, until ``since`` + the longest hold
      - id: webmail
        kind: http                        templated requests per operation ({email}, or a
        base_url: http://127.0.0.1:8025   referenced row's column), JSON rows at ``rows``
        tables:
          - name: mailboxes
            identity: {email: address}
            access: {method: GET, path: "/api/mailboxes?address={email}", rows: mailboxes}
            erase: {method: DELETE, path: "/api/mailboxes/{id}"}

    manual:                               systems without an API (issue 15 item 3): a task per
      - id: pbx                           request, for a person of a staff role to do by hand
        name: {nl: Telefooncentrale, en: PBX appliance}
        activity: call_detail_records
        kinds: [access, erasure]          the request kinds it is made for
        role: support_lead                who does it (the privacy officer may do any)
        due_days: 10                      days after the request is started, never past its due
        when: {activity: call_detail_records}   only if privaat holds such data of the person
        evidence: [note]                  what marking it done needs: note, file, checkbox
        instructions: {nl: ..., en: ...}
        processor_email: pbx@vendor.example     optional: an external processor confirms by a
                                          single-use link, without an account

Loading checks the file against the policy: every category and activity must be the
policy's, references must name a table and column of the same store and form no cycle, a
held table needs a ``since`` column and a SQL store (an HTTP API is erased, not masked), and
every identity column must be masked to something other than ``keep`` wherever it may stay:
a search for the person afterwards must find nothing but what is listed as held. Errors name
the store, table and field. Pure: the caller reads the file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from graphlib import CycleError, TopologicalSorter
from typing import Any, Literal

import yaml
from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from privaat.domain.request_tasks import Evidence
from privaat.policy.schema import LegalHold, Policy, Text

__all__ = [
    "IDENTITY_KINDS",
    "FieldSpec",
    "HttpOperation",
    "ManualSystem",
    "Mask",
    "StoreSpec",
    "StoresFile",
    "StoresFileError",
    "TableSpec",
    "declared_categories",
    "holds_for",
    "load_stores",
    "parse_stores",
]

# what privaat knows of a person and can search another store by
IDENTITY_KINDS = ("email", "phone")
_NAME = r"[A-Za-z_][A-Za-z0-9_]{0,62}"
_VARIABLE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class StoresFileError(ValueError):
    """The stores file is unreadable, or does not fit the policy; the message says where."""


class Mask(StrEnum):
    """What becomes of a field of a row that must stay (a legal hold) once its person goes."""

    NULL = "null"  # emptied
    KEYED_HASH = "keyed_hash"  # HMAC-SHA256 under privaat's key: equal values stay equal
    RANDOM = "random"  # random letters and digits of the same length
    FORMAT_PRESERVING = "format_preserving"  # an IBAN stays a valid-looking IBAN, an address
    KEEP = "keep"  # an amount, a date: what the accounts need


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldSpec(_Strict):
    """One column: its data category (None: technical) and its mask under a hold."""

    category: str | None = None
    mask: Mask | None = None  # default: null for a personal field, keep for a technical one

    @property
    def personal(self) -> bool:
        return self.category is not None

    @property
    def held_as(self) -> Mask:
        if self.mask is not None:
            return self.mask
        return Mask.NULL if self.personal else Mask.KEEP


class HttpOperation(_Strict):
    """One templated request: ``{name}`` in the path is an identity or a row's column."""

    method: Literal["GET", "POST", "DELETE", "PUT", "PATCH"] = "GET"
    path: str = Field(min_length=1, pattern=r"^/")
    rows: str | None = None  # where the rows are in the JSON answer (dotted); None: the body

    @property
    def placeholders(self) -> tuple[str, ...]:
        return tuple(_PLACEHOLDER.findall(self.path))


class Hold(_Strict):
    """Rows kept under the store activity's legal hold, each from its own ``since`` day."""

    since: str = Field(pattern=f"^{_NAME}$")
    # the hold counts from the end of the (calendar) financial year of ``since`` (AWR 52(4))
    from_year_end: bool = False


class TableSpec(_Strict):
    """A table (SQL) or a resource (HTTP) of a store, and how a person's rows are found."""

    name: str = Field(pattern=f"^{_NAME}$")
    key: str = Field(default="id", pattern=f"^{_NAME}$")
    identity: dict[str, str] = Field(default_factory=dict)  # kind -> column
    references: dict[str, str] = Field(default_factory=dict)  # column -> "table.column"
    hold: Hold | None = None
    fields: dict[str, FieldSpec]
    access: HttpOperation | None = None  # HTTP only
    erase: HttpOperation | None = None  # HTTP only

    def parents(self) -> tuple[str, ...]:
        return tuple(sorted({target.split(".", 1)[0] for target in self.references.values()}))

    @property
    def identity_columns(self) -> frozenset[str]:
        return frozenset(self.identity.values())


class StoreSpec(_Strict):
    """One store outside privaat."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    name: Text
    kind: Literal["sql", "http"]
    url: str | None = None  # sql
    base_url: str | None = None  # http
    headers: dict[str, str] = Field(default_factory=dict)  # http, e.g. Authorization
    activity: str
    timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    tables: tuple[TableSpec, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _kind_fields(self) -> StoreSpec:
        if self.kind == "sql" and not self.url:
            raise ValueError("a sql store needs 'url'")
        if self.kind == "http" and not self.base_url:
            raise ValueError("an http store needs 'base_url'")
        return self

    def table(self, name: str) -> TableSpec:
        return next(table for table in self.tables if table.name == name)

    def order(self) -> tuple[TableSpec, ...]:
        """The tables parents first: the order access reads them in (erasure: reversed)."""
        graph = {table.name: set(table.parents()) for table in self.tables}
        names = tuple(TopologicalSorter(graph).static_order())
        return tuple(self.table(name) for name in names)


class TaskCondition(_Strict):
    """When a manual task is made: only if privaat holds data of ``activity`` of the person
    (a PBX task only for a person with call detail records)."""

    activity: str


class ManualSystem(_Strict):
    """A system without an API (the PBX appliance, a paper archive, a small processor): each
    request of ``kinds`` gets a task for ``role`` (issue 15 item 3)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    name: Text
    activity: str
    kinds: tuple[
        Literal["access", "portability", "rectification", "erasure", "restriction", "objection"],
        ...,
    ] = Field(min_length=1)
    role: Literal["privacy_officer", "support", "support_lead", "fraud", "marketing"]
    due_days: int = Field(default=10, ge=1, le=90)
    when: TaskCondition | None = None
    evidence: tuple[Evidence, ...] = Field(default=(Evidence.NOTE,), min_length=1)
    instructions: Text
    processor_email: str | None = None

    def applies(self, kind: str) -> bool:
        return kind in self.kinds


class StoresFile(_Strict):
    stores: tuple[StoreSpec, ...] = ()
    manual: tuple[ManualSystem, ...] = ()

    def manual_system(self, system_id: str) -> ManualSystem | None:
        return next((system for system in self.manual if system.id == system_id), None)


def parse_stores(
    text: str, policy: Policy, *, environ: Mapping[str, str] | None = None
) -> StoresFile:
    """The stores file's text, read and checked against ``policy``; StoresFileError else."""
    env = os.environ if environ is None else environ
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        raise StoresFileError(f"not YAML: {error}") from None
    if not isinstance(raw, dict):
        raise StoresFileError("the stores file must be a mapping with 'stores'")
    try:
        parsed = StoresFile.model_validate(_substituted(raw, env))
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise StoresFileError(f"{where}: {first['msg']}") from None
    _check(parsed, policy)
    return parsed


def load_stores(text: str | None, policy: Policy) -> StoresFile:
    """No file: no stores outside privaat."""
    return StoresFile() if text is None else parse_stores(text, policy)


def _substituted(value: Any, env: Mapping[str, str]) -> Any:
    if isinstance(value, str):

        def variable(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in env:
                raise StoresFileError(f"${{{name}}} is not set in the environment")
            return env[name]

        return _VARIABLE.sub(variable, value)
    if isinstance(value, list):
        return [_substituted(item, env) for item in value]
    if isinstance(value, dict):
        return {key: _substituted(item, env) for key, item in value.items()}
    return value


def _check(parsed: StoresFile, policy: Policy) -> None:
    categories = {category.id for category in policy.data_categories}
    activities = set(policy.activity_ids)
    seen: set[str] = set()
    for store in parsed.stores:
        if store.id in seen or store.id == "privaat":
            raise StoresFileError(f"stores.{store.id}: the id is used twice (or is 'privaat')")
        seen.add(store.id)
        if store.activity not in activities:
            raise StoresFileError(
                f"stores.{store.id}.activity: {store.activity!r} is not an activity of the policy"
            )
        names = [table.name for table in store.tables]
        if len(set(names)) != len(names):
            raise StoresFileError(f"stores.{store.id}: a table is declared twice")
        for table in store.tables:
            _check_table(store, table, categories, policy)
        try:
            store.order()
        except CycleError as error:
            cycle = " -> ".join(str(name) for name in error.args[1])
            raise StoresFileError(
                f"stores.{store.id}: the references form a cycle ({cycle})"
            ) from None
        if not any(table.identity for table in store.tables):
            raise StoresFileError(f"stores.{store.id}: no table names an identity to start from")
        _check_reachable(store)
    for system in parsed.manual:
        where = f"manual.{system.id}"
        if system.id in seen or system.id == "privaat":
            raise StoresFileError(f"{where}: the id is used twice (or is 'privaat')")
        seen.add(system.id)
        for name, activity in (
            ("activity", system.activity),
            ("when.activity", (system.when.activity if system.when else system.activity)),
        ):
            if activity not in activities:
                raise StoresFileError(
                    f"{where}.{name}: {activity!r} is not an activity of the policy"
                )
        if system.processor_email is not None:
            try:
                validate_email(system.processor_email, check_deliverability=False)
            except EmailNotValidError as error:
                raise StoresFileError(f"{where}.processor_email: {error}") from None


def _check_table(store: StoreSpec, table: TableSpec, categories: set[str], policy: Policy) -> None:
    where = f"stores.{store.id}.tables.{table.name}"
    for name, spec in table.fields.items():
        if spec.category is not None and spec.category not in categories:
            raise StoresFileError(
                f"{where}.fields.{name}: category {spec.category!r} is not in the policy's "
                "data_categories"
            )
    columns = set(table.fields)
    if table.key not in columns:
        raise StoresFileError(f"{where}.key: {table.key!r} is not one of its fields")
    for kind, column in table.identity.items():
        if kind not in IDENTITY_KINDS:
            raise StoresFileError(
                f"{where}.identity: {kind!r} is not an identity privaat knows "
                f"({', '.join(IDENTITY_KINDS)})"
            )
        if column not in columns:
            raise StoresFileError(f"{where}.identity.{kind}: {column!r} is not one of its fields")
    for column, target in table.references.items():
        if column not in columns:
            raise StoresFileError(f"{where}.references: {column!r} is not one of its fields")
        parent, _, parent_column = target.partition(".")
        known = {t.name: t for t in store.tables}
        if parent not in known or parent_column not in known[parent].fields:
            raise StoresFileError(
                f"{where}.references.{column}: {target!r} is not a table.column of this store"
            )
    if table.hold is not None:
        if store.kind != "sql":
            raise StoresFileError(f"{where}.hold: only a sql store can keep masked rows")
        if table.hold.since not in columns:
            raise StoresFileError(f"{where}.hold.since: {table.hold.since!r} is not a field")
        if not holds_for(policy, store, table):
            raise StoresFileError(
                f"{where}.hold: activity {store.activity!r} declares no legal hold for any "
                "category of this table"
            )
    # a row that stays (held, or referenced by a held row) must not keep who it was
    for name in sorted(table.identity_columns):
        if table.fields[name].held_as is Mask.KEEP:
            raise StoresFileError(
                f"{where}.fields.{name}: an identity column cannot be masked with 'keep'"
            )
    if store.kind == "http":
        if table.access is None or table.erase is None:
            raise StoresFileError(f"{where}: an http resource needs 'access' and 'erase'")
        allowed = set(IDENTITY_KINDS) | columns | set(table.references)
        for operation in (table.access, table.erase):
            unknown = [p for p in operation.placeholders if p not in allowed]
            if unknown:
                raise StoresFileError(
                    f"{where}: {{{unknown[0]}}} in {operation.path!r} is neither an identity "
                    "nor a field"
                )
    elif table.access is not None or table.erase is not None:
        raise StoresFileError(f"{where}: 'access' and 'erase' are for http stores")


def _check_reachable(store: StoreSpec) -> None:
    """Every table is found from an identity, directly or through its references."""
    reached: set[str] = set()
    for table in store.order():
        if table.identity or any(parent in reached for parent in table.parents()):
            reached.add(table.name)
        else:
            raise StoresFileError(
                f"stores.{store.id}.tables.{table.name}: neither an identity nor a reference "
                "to a table that has one: its rows could never be found"
            )


def holds_for(policy: Policy, store: StoreSpec, table: TableSpec) -> tuple[LegalHold, ...]:
    """The legal holds of the store's activity that keep one of the table's categories."""
    categories = {spec.category for spec in table.fields.values() if spec.category}
    holds = policy.activity(store.activity).retention.legal_holds
    return tuple(hold for hold in holds if categories & set(hold.categories))


def declared_categories(stores: Iterable[StoreSpec]) -> frozenset[str]:
    """Every data category some store holds (the register lists them per store)."""
    return frozenset(
        spec.category
        for store in stores
        for table in store.tables
        for spec in table.fields.values()
        if spec.category
    )
