"""The registry of hosting customers' sites (issue 14 item 7): scopes, domains, look-up by host.

    declare(site file)  ── one writing transaction: the scope row (the file as canonical JSON),
                           its domains; a domain of another customer's scope refuses it all
    remove(customer)    ── its domains freed (they fall back to the provider's banner); the
                           scope row, its visitors and its ledger stay (art. 7(1) proof)
    resolve(Host)       ── the live scope of the host's domain, or None: the provider's banner

Customers are companies (controllers of their own sites): nothing here names a person, so the
registry needs no enforcement seam; the audit trail records each declaration and removal.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from privaat.domain.clock import Clock
from privaat.domain.customer_sites import SiteFile, host_of
from privaat.domain.principal import Principal
from privaat.services.errors import Conflict, ServiceError
from privaat.store.audit import AuditTrail
from privaat.store.tables_sites import site_domains, site_scopes
from privaat.store.unit_of_work import UnitOfWork

__all__ = [
    "DomainTaken",
    "NoSuchSite",
    "SiteRegistry",
    "SiteScope",
    "vendors_sha256",
]


class NoSuchSite(ServiceError):
    """No scope of that customer id (or it was removed)."""

    def __init__(self, customer: str) -> None:
        super().__init__(f"no customer site '{customer}'")
        self.customer = customer


class DomainTaken(Conflict):
    """A domain of the file is in another customer's scope: a domain has one scope only."""

    def __init__(self, taken: dict[str, str]) -> None:
        listed = ", ".join(f"{domain} (customer '{owner}')" for domain, owner in taken.items())
        super().__init__(
            f"domains already in another customer's scope: {listed}; nothing was stored"
        )
        self.taken = taken


@dataclass(frozen=True)
class SiteScope:
    """A live consent scope: the customer's site file as stored, and its row."""

    id: int
    site: SiteFile
    vendors_sha256: str  # of its categories' companies: another list asks again (L42)
    updated_at: datetime
    removed_at: datetime | None = None

    @property
    def customer(self) -> str:
        return self.site.customer


def vendors_sha256(site: SiteFile) -> str:
    """The hash of each category's companies, as the provider's banner keeps it (L42)."""
    listed = [[c.id, sorted(c.companies)] for c in site.categories]
    return hashlib.sha256(json.dumps(listed).encode()).hexdigest()


@lru_cache(maxsize=256)
def _parsed(definition: str) -> SiteFile:
    # the stored file was validated on its way in; parsing it again per request costs ~100 µs
    return SiteFile.model_validate_json(definition)


def _definition(site: SiteFile) -> str:
    return json.dumps(site.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


class SiteRegistry:
    """Hosting customers' consent scopes and the domains that name them."""

    def __init__(self, *, clock: Clock) -> None:
        self._clock = clock

    def declare(
        self, uow: UnitOfWork, principal: Principal, site: SiteFile, *, replace: bool = False
    ) -> SiteScope:
        """Store ``site`` as its customer's scope; Conflict when the customer has one (unless
        ``replace``), DomainTaken when a domain is another customer's. All or nothing."""
        now = self._clock.now()
        vendors = vendors_sha256(site)
        try:
            with uow.writing() as connection:
                row = connection.execute(
                    select(site_scopes.c.id, site_scopes.c.removed_at).where(
                        site_scopes.c.customer == site.customer
                    )
                ).first()
                if row is not None and not replace:
                    raise Conflict(
                        f"customer '{site.customer}' has a site scope already: "
                        "--replace re-declares it"
                    )
                taken = self._taken(connection, site)
                if taken:
                    raise DomainTaken(taken)
                values = {
                    "name": site.name,
                    "definition": _definition(site),
                    "vendors_sha256": vendors,
                    "updated_at": now,
                    "removed_at": None,
                }
                if row is None:
                    scope_id: int = connection.execute(
                        insert(site_scopes)
                        .values(customer=site.customer, created_at=now, **values)
                        .returning(site_scopes.c.id)
                    ).scalar_one()
                else:
                    scope_id = row.id
                    connection.execute(
                        update(site_scopes).where(site_scopes.c.id == scope_id).values(**values)
                    )
                    connection.execute(
                        delete(site_domains).where(site_domains.c.scope_id == scope_id)
                    )
                connection.execute(
                    insert(site_domains),
                    [{"domain": domain, "scope_id": scope_id} for domain in site.domains],
                )
                AuditTrail.append(
                    connection,
                    at=now,
                    actor=principal.actor,
                    action="sites.declared",
                    subject_pseudonym=None,
                    detail={"customer": site.customer, "domains": len(site.domains)},
                )
        except IntegrityError:
            # another add claimed a domain (or the customer id) between our read and write
            raise Conflict(
                f"customer '{site.customer}' or one of its domains was just claimed by another "
                "declaration; nothing was stored"
            ) from None
        return SiteScope(scope_id, site, vendors, now)

    def remove(self, uow: UnitOfWork, principal: Principal, customer: str) -> None:
        """Free the customer's domains; its visitors and records stay."""
        now = self._clock.now()
        with uow.writing() as connection:
            scope_id = connection.execute(
                select(site_scopes.c.id).where(
                    site_scopes.c.customer == customer, site_scopes.c.removed_at.is_(None)
                )
            ).scalar()
            if scope_id is None:
                raise NoSuchSite(customer)
            connection.execute(delete(site_domains).where(site_domains.c.scope_id == scope_id))
            connection.execute(
                update(site_scopes).where(site_scopes.c.id == scope_id).values(removed_at=now)
            )
            AuditTrail.append(
                connection,
                at=now,
                actor=principal.actor,
                action="sites.removed",
                subject_pseudonym=None,
                detail={"customer": customer},
            )

    def scopes(self, uow: UnitOfWork) -> list[SiteScope]:
        """Every scope, removed ones too, by customer id."""
        with uow.reading() as connection:
            rows = connection.execute(select(site_scopes).order_by(site_scopes.c.customer)).all()
        return [_scope(row._mapping) for row in rows]

    def scope(self, uow: UnitOfWork, customer: str) -> SiteScope:
        """The customer's scope (removed too); NoSuchSite when there is none."""
        with uow.reading() as connection:
            row = connection.execute(
                select(site_scopes).where(site_scopes.c.customer == customer)
            ).first()
        if row is None:
            raise NoSuchSite(customer)
        return _scope(row._mapping)

    def resolve(self, uow: UnitOfWork, host_header: str | None) -> SiteScope | None:
        """The live scope the request's Host names; None for the provider's own sites."""
        domain = host_of(host_header)
        if domain is None:
            return None
        with uow.reading() as connection:
            return self.resolve_in(connection, domain)

    def resolve_in(self, connection: Connection, domain: str) -> SiteScope | None:
        row = connection.execute(
            select(site_scopes)
            .join(site_domains, site_domains.c.scope_id == site_scopes.c.id)
            .where(site_domains.c.domain == domain, site_scopes.c.removed_at.is_(None))
        ).first()
        return None if row is None else _scope(row._mapping)

    @staticmethod
    def _taken(connection: Connection, site: SiteFile) -> dict[str, str]:
        """The file's domains that another customer's scope holds, with that customer."""
        rows = connection.execute(
            select(site_domains.c.domain, site_scopes.c.customer)
            .join(site_scopes, site_scopes.c.id == site_domains.c.scope_id)
            .where(site_domains.c.domain.in_(site.domains))
        ).all()
        return {row.domain: row.customer for row in rows if row.customer != site.customer}


def _scope(row: RowMapping) -> SiteScope:
    return SiteScope(
        id=row["id"],
        site=_parsed(row["definition"]),
        vendors_sha256=row["vendors_sha256"],
        updated_at=row["updated_at"],
        removed_at=row["removed_at"],
    )
