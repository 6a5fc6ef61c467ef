"""Tracker scans of the provider's websites (issue 14 items 3, 4).

    tracker_scans          one row per ``privaat scan``: the origin and host scanned, when
      ├─ tracker_scan_pages     each page of each pass: ok, timeout or error
      ├─ tracker_scan_cookies   each cookie seen: name, domain, path, expiry, flags
      ├─ tracker_scan_storage   each localStorage / sessionStorage key
      └─ tracker_scan_requests  each request to another origin, without its query

No row names a subject and no cookie value, storage value or query string is stored: a scan
runs in a fresh browser profile with no account, so what it records is how the site behaves,
not who visited it. The newest finished scan of a host tells the cookie banner which cookies
to expire when a visitor withdraws a category (``services/tracker_scans.py``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from privaat.store.registry import Unlinked, technical
from privaat.store.tables import UTC_TIME, metadata

__all__ = [
    "tracker_scan_cookies",
    "tracker_scan_pages",
    "tracker_scan_requests",
    "tracker_scan_storage",
    "tracker_scans",
]

_ID = BigInteger().with_variant(Integer(), "sqlite")
_WHY = "a scan of a website in a fresh browser: how the site behaves, no visitor and no value"

tracker_scans = Table(
    "tracker_scans",
    metadata,
    technical("id", _ID, primary_key=True, autoincrement=True),
    technical("site", String(512), nullable=False),  # the origin, e.g. https://www.example.com
    technical("host", String(255), nullable=False),  # its host name, as a request names it
    technical("started_at", UTC_TIME, nullable=False),
    technical("finished_at", UTC_TIME, nullable=False),
    technical("pages", Integer, nullable=False),  # the page limit the scan ran with
    Index("ix_tracker_scans_host", "host", "finished_at"),
    info={"subject": Unlinked(_WHY)},
)


def _child(name: str, *columns: Column[Any]) -> Table:
    """A table of what one scan saw, per pass and page, deleted with its scan."""
    return Table(
        name,
        metadata,
        technical("id", _ID, primary_key=True, autoincrement=True),
        technical(
            "scan_id", _ID, ForeignKey("tracker_scans.id", ondelete="CASCADE"), nullable=False
        ),
        technical("scan_pass", String(16), nullable=False),  # before, refused, accepted
        technical("page", Text, nullable=False),  # the page URL, without query
        *columns,
        Index(f"ix_{name}_scan", "scan_id"),
        info={"subject": Unlinked(_WHY)},
    )


tracker_scan_pages = _child(
    "tracker_scan_pages",
    technical("outcome", String(16), nullable=False),  # ok, timeout, error
    technical("status", Integer, nullable=True),  # the HTTP status, when one came
    technical("detail", String(200), nullable=True),  # the browser's error, if any
)
tracker_scan_cookies = _child(
    "tracker_scan_cookies",
    technical("name", String(256), nullable=False),  # never the value
    technical("domain", String(255), nullable=False),  # ".example.com" or a host (host-only)
    technical("path", String(1024), nullable=False),
    technical("expires_at", UTC_TIME, nullable=True),  # null: a session cookie
    technical("http_only", Boolean, nullable=False),
    technical("secure", Boolean, nullable=False),
    technical("same_site", String(8), nullable=False),
)
tracker_scan_storage = _child(
    "tracker_scan_storage",
    technical("area", String(8), nullable=False),  # local, session
    technical("origin", String(512), nullable=False),
    technical("key", String(1024), nullable=False),  # never the value
)
tracker_scan_requests = _child(
    "tracker_scan_requests",
    technical("origin", String(512), nullable=False),
    technical("url", Text, nullable=False),  # without query and fragment
)
