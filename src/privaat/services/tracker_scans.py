"""Stored tracker scans: what ``privaat scan`` saw, and the cookies a withdrawal expires.

    save(uow, scan)                 one transaction: the scan, its pages, cookies, storage
                                    keys and third-party requests (never a value)
    last(uow, host=None)            the newest scan (of that host), read back whole
    expiries(uow, host, category)   the Set-Cookie expiries for a withdrawn category on
                                    ``host``: the newest scan of that host and the policy's
                                    names (``domain.tracker_scan.expiry_cookies``)

A scan names no subject, so nothing here passes the guard or the access log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from sqlalchemy import Connection, Table, insert, select

from privaat.domain.tracker_scan import (
    CookieExpiry,
    Declaration,
    Pass,
    ScanObservations,
    SeenCookie,
    SeenRequest,
    SeenStorage,
    StorageArea,
    expiry_cookies,
)
from privaat.store.tables_scans import (
    tracker_scan_cookies,
    tracker_scan_pages,
    tracker_scan_requests,
    tracker_scan_storage,
    tracker_scans,
)
from privaat.store.unit_of_work import UnitOfWork

__all__ = ["PageOutcome", "PageVisit", "StoredScan", "TrackerScans"]


class PageOutcome(StrEnum):
    """How loading one page of a pass ended."""

    OK = "ok"  # loaded (whatever its HTTP status)
    TIMEOUT = "timeout"  # did not load in time: reported, the scan goes on
    ERROR = "error"  # the browser could not load it (refused, reset, not a page)


@dataclass(frozen=True, slots=True)
class PageVisit:
    """One page of one pass, and how it went."""

    scan_pass: Pass
    url: str
    outcome: PageOutcome
    status: int | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class StoredScan:
    """A scan as stored: its id, limits and pages, and what it saw."""

    id: int
    pages_limit: int
    finished_at: datetime
    visits: tuple[PageVisit, ...]
    observed: ScanObservations


class TrackerScans:
    """The scans of the provider's websites, kept for the report, the check and item 4."""

    def save(
        self,
        uow: UnitOfWork,
        observed: ScanObservations,
        visits: Sequence[PageVisit],
        *,
        pages_limit: int,
        finished_at: datetime,
    ) -> int:
        """Store one finished scan in one transaction; returns its id."""
        with uow.writing() as connection:
            scan_id = int(
                connection.execute(
                    insert(tracker_scans)
                    .values(
                        site=observed.site,
                        host=_host(observed.site),
                        started_at=observed.at,
                        finished_at=finished_at,
                        pages=pages_limit,
                    )
                    .returning(tracker_scans.c.id)
                ).scalar_one()
            )
            _insert(
                connection,
                tracker_scan_pages,
                [
                    {
                        "scan_pass": v.scan_pass.value,
                        "page": v.url,
                        "outcome": v.outcome.value,
                        "status": v.status,
                        "detail": (v.detail or None) and v.detail[:200],
                    }
                    for v in visits
                ],
                scan_id,
            )
            _insert(
                connection,
                tracker_scan_cookies,
                [
                    {
                        "scan_pass": c.scan_pass.value,
                        "page": c.page,
                        "name": c.name,
                        "domain": c.domain,
                        "path": c.path,
                        "expires_at": c.expires,
                        "http_only": c.http_only,
                        "secure": c.secure,
                        "same_site": c.same_site,
                    }
                    for c in observed.cookies
                ],
                scan_id,
            )
            _insert(
                connection,
                tracker_scan_storage,
                [
                    {
                        "scan_pass": s.scan_pass.value,
                        "page": s.page,
                        "area": s.area.value,
                        "origin": s.origin,
                        "key": s.key,
                    }
                    for s in observed.storage
                ],
                scan_id,
            )
            _insert(
                connection,
                tracker_scan_requests,
                [
                    {
                        "scan_pass": r.scan_pass.value,
                        "page": r.page,
                        "origin": r.origin,
                        "url": r.url,
                    }
                    for r in observed.requests
                ],
                scan_id,
            )
        return scan_id

    def last(self, uow: UnitOfWork, host: str | None = None) -> StoredScan | None:
        """The newest finished scan, of ``host`` when given; None when there is none."""
        query = select(tracker_scans.c.id).order_by(
            tracker_scans.c.finished_at.desc(), tracker_scans.c.id.desc()
        )
        if host is not None:
            query = query.where(tracker_scans.c.host == host.lower())
        with uow.reading() as connection:
            scan_id = connection.execute(query.limit(1)).scalar()
        return None if scan_id is None else self.get(uow, int(scan_id))

    def get(self, uow: UnitOfWork, scan_id: int) -> StoredScan | None:
        """The scan ``scan_id`` read back whole; None when there is none."""
        with uow.reading() as connection:
            row = connection.execute(
                select(tracker_scans).where(tracker_scans.c.id == scan_id)
            ).first()
            if row is None:
                return None
            return StoredScan(
                row.id,
                row.pages,
                row.finished_at,
                tuple(_visits(connection, row.id)),
                ScanObservations(
                    row.site,
                    row.started_at,
                    tuple(_cookies(connection, row.id)),
                    tuple(_storage(connection, row.id)),
                    tuple(_requests(connection, row.id)),
                ),
            )

    def expiries(
        self,
        uow: UnitOfWork,
        host: str,
        categories: Iterable[str],
        table: Sequence[Declaration],
        sent: Iterable[str],
        *,
        secure: bool,
    ) -> list[CookieExpiry]:
        """The expiries for every withdrawn category on ``host`` (see the module docstring)."""
        wanted = list(categories)
        if not wanted:
            return []  # nothing withdrawn: no read at all
        with uow.reading() as connection:
            scan_id = connection.execute(
                select(tracker_scans.c.id)
                .where(tracker_scans.c.host == host.lower())
                .order_by(tracker_scans.c.finished_at.desc(), tracker_scans.c.id.desc())
                .limit(1)
            ).scalar()
            seen = [] if scan_id is None else list(_cookies(connection, scan_id))
        names = list(sent)
        out: list[CookieExpiry] = []
        for category in wanted:
            out.extend(expiry_cookies(host, category, table, seen, names, secure=secure))
        return out


def _host(site: str) -> str:
    return (urlsplit(site).hostname or "").lower()


def _insert(
    connection: Connection, table: Table, rows: list[dict[str, object]], scan_id: int
) -> None:
    if rows:
        connection.execute(insert(table), [{**row, "scan_id": scan_id} for row in rows])


def _visits(connection: Connection, scan_id: int) -> Iterable[PageVisit]:
    query = select(tracker_scan_pages).where(tracker_scan_pages.c.scan_id == scan_id)
    for r in connection.execute(query.order_by(tracker_scan_pages.c.id)):
        yield PageVisit(Pass(r.scan_pass), r.page, PageOutcome(r.outcome), r.status, r.detail)


def _cookies(connection: Connection, scan_id: int) -> Iterable[SeenCookie]:
    query = select(tracker_scan_cookies).where(tracker_scan_cookies.c.scan_id == scan_id)
    for r in connection.execute(query.order_by(tracker_scan_cookies.c.id)):
        yield SeenCookie(
            r.name, r.domain, r.path, r.expires_at, r.http_only, r.secure, r.same_site,
            Pass(r.scan_pass), r.page,
        )  # fmt: skip


def _storage(connection: Connection, scan_id: int) -> Iterable[SeenStorage]:
    query = select(tracker_scan_storage).where(tracker_scan_storage.c.scan_id == scan_id)
    for r in connection.execute(query.order_by(tracker_scan_storage.c.id)):
        yield SeenStorage(StorageArea(r.area), r.key, r.origin, Pass(r.scan_pass), r.page)


def _requests(connection: Connection, scan_id: int) -> Iterable[SeenRequest]:
    query = select(tracker_scan_requests).where(tracker_scan_requests.c.scan_id == scan_id)
    for r in connection.execute(query.order_by(tracker_scan_requests.c.id)):
        yield SeenRequest(r.origin, r.url, Pass(r.scan_pass), r.page)
