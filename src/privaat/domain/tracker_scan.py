"""What a tracker scan saw, held against the policy's cookie table (issue 14 items 3, 4).

    observations (three passes) ──┐
        cookies  name, domain, path, expiry, HttpOnly, Secure, SameSite
        storage  localStorage / sessionStorage keys
        requests every request to another origin (URL without its query)
    declarations (the policy) ────┴─▶ findings(...) ─▶ Finding(kind, ...)
                                                       violation or information

    Pass.BEFORE    a fresh browser, no choice made    only the necessary category may act
    Pass.REFUSED   a fresh browser after "Weigeren"   only the necessary category may act
    Pass.ACCEPTED  a fresh browser after "Accepteren" every declared category may act

Each finding kind is one rule (``FindingKind``): a cookie or storage key the table does not
declare, one of a consent category (or an undeclared one) set before a choice or after a
refusal (Tw 11.7a, ePD 5(3); LEGAL L39), a request to another origin then (L39, L44, L45), a
lifetime longer than declared, a declaration never seen (information only).

``expiry_cookies`` is the other half (item 4): which cookies a first-party response may
expire for a withdrawn category, by the domain-match rule of RFC 6265 §5.1.3: a browser
ignores a ``Set-Cookie`` whose Domain the response's host does not domain-match, so a cookie
of another site's domain is reported by the scan, never "cleared".

Pure: no browser, no database. Cookie values are never part of an observation.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from privaat.policy.period import Period
from privaat.policy.schema import NECESSARY_BANNER_CATEGORY, Policy, StorageKind

__all__ = [
    "LIFETIME_SLACK",
    "CookieExpiry",
    "Declaration",
    "Finding",
    "FindingKind",
    "Pass",
    "ScanObservations",
    "SeenCookie",
    "SeenRequest",
    "SeenStorage",
    "StorageArea",
    "declarations",
    "declared_for",
    "domain_matches",
    "expiry_cookies",
    "findings",
    "name_matches",
]

# a cookie set at second x of the scan with the declared lifetime may read a little longer
# once rounded by the browser or set a moment later than the scan's clock: one day of slack
LIFETIME_SLACK = timedelta(days=1)
# RFC 6265 §4.1.1: a cookie name is an HTTP token
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_PLACEHOLDER = re.compile(r"<[^<>]+>")


class Pass(StrEnum):
    """One of the scan's three runs over the site, each in a fresh browser profile."""

    BEFORE = "before"  # no choice made: the first visit
    REFUSED = "refused"  # after the banner's refuse button
    ACCEPTED = "accepted"  # after the banner's accept button


class StorageArea(StrEnum):
    """Where a page stored a key (Tw 11.7a covers every storage, not only cookies)."""

    LOCAL = "local"  # localStorage
    SESSION = "session"  # sessionStorage


class FindingKind(StrEnum):
    """One rule the scan checks; ``violation`` says whether it fails the scan."""

    UNDECLARED_COOKIE = "undeclared_cookie"  # not in the statement's cookie table
    UNDECLARED_STORAGE = "undeclared_storage"  # a storage key not in the table
    COOKIE_BEFORE_CONSENT = "cookie_before_consent"  # non-necessary, before a choice (L39)
    COOKIE_AFTER_REFUSAL = "cookie_after_refusal"  # non-necessary, after "Weigeren" (L39)
    STORAGE_BEFORE_CONSENT = "storage_before_consent"  # undeclared or non-necessary key (L39)
    STORAGE_AFTER_REFUSAL = "storage_after_refusal"
    REQUEST_BEFORE_CONSENT = "request_before_consent"  # another origin called (L39, L44, L45)
    REQUEST_AFTER_REFUSAL = "request_after_refusal"
    LIFETIME_LONGER = "lifetime_longer"  # expires later than the table says
    DECLARED_NOT_SEEN = "declared_not_seen"  # information: the table names what did not come

    @property
    def violation(self) -> bool:
        return self is not FindingKind.DECLARED_NOT_SEEN


@dataclass(frozen=True, slots=True)
class Declaration:
    """One row of the cookie table: a name (or pattern such as ``_ga_<container-id>``)."""

    pattern: str
    category: str  # "necessary", or the banner category of its consent-based activity
    activity: str
    kind: StorageKind
    lifetime: Period | None  # None: a session cookie, gone when the browser closes

    @property
    def necessary(self) -> bool:
        return self.category == NECESSARY_BANNER_CATEGORY

    @property
    def wildcard(self) -> bool:
        return _PLACEHOLDER.search(self.pattern) is not None


@dataclass(frozen=True, slots=True)
class SeenCookie:
    """A cookie in the browser's jar after a page (its value is never kept)."""

    name: str
    domain: str  # as the browser holds it: ".example.com" for a domain cookie, else the host
    path: str
    expires: datetime | None  # None: a session cookie
    http_only: bool
    secure: bool
    same_site: str  # Strict, Lax or None, as the browser reports it
    scan_pass: Pass
    page: str  # the page after which it was first seen in this pass

    @property
    def host_only(self) -> bool:
        return not self.domain.startswith(".")


@dataclass(frozen=True, slots=True)
class SeenStorage:
    """A key a page put in localStorage or sessionStorage (the value is never kept)."""

    area: StorageArea
    key: str
    origin: str
    scan_pass: Pass
    page: str


@dataclass(frozen=True, slots=True)
class SeenRequest:
    """A request a page made to another origin than the site's."""

    origin: str
    url: str  # without query or fragment: those may carry identifiers
    scan_pass: Pass
    page: str


@dataclass(frozen=True, slots=True)
class ScanObservations:
    """Everything the three passes saw, and when the scan ran (lifetimes count from it)."""

    site: str  # the origin scanned, e.g. "https://www.example.com"
    at: datetime
    cookies: tuple[SeenCookie, ...]
    storage: tuple[SeenStorage, ...]
    requests: tuple[SeenRequest, ...]


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing the scan found, with where and in which pass."""

    kind: FindingKind
    name: str  # a cookie name, storage key, request URL, or declared pattern
    scan_pass: Pass | None = None
    page: str | None = None
    domain: str | None = None  # a cookie's domain, a request's origin
    category: str | None = None
    detail: str | None = None  # e.g. the lifetime seen against the one declared

    @property
    def violation(self) -> bool:
        return self.kind.violation


def declarations(policy: Policy) -> tuple[Declaration, ...]:
    """The policy's cookie table as the statement lists it: every activity's cookies and
    storage keys (pixels in e-mail are no storage on a website and are left out)."""
    out = []
    for activity in policy.activities:
        if activity.requires_consent:
            category = activity.banner_category or activity.id
        else:
            category = NECESSARY_BANNER_CATEGORY
        for cookie in activity.cookies:
            if cookie.kind is StorageKind.PIXEL:
                continue
            out.append(
                Declaration(cookie.name, category, activity.id, cookie.kind, cookie.lifetime)
            )
    return tuple(out)


def name_matches(pattern: str, name: str) -> bool:
    """Whether ``name`` is ``pattern``; each ``<placeholder>`` stands for one or more
    characters (``_ga_<container-id>`` is ``_ga_`` followed by an id, not ``_ga_`` alone)."""
    parts = _PLACEHOLDER.split(pattern)
    regex = ".+".join(re.escape(part) for part in parts)
    return re.fullmatch(regex, name) is not None


def declared_for(
    name: str, table: Sequence[Declaration], *, kind: StorageKind = StorageKind.COOKIE
) -> Declaration | None:
    """The row of the table that declares ``name``: an exact name before a pattern."""
    rows = [d for d in table if d.kind is kind]
    for row in rows:
        if not row.wildcard and row.pattern == name:
            return row
    for row in rows:
        if row.wildcard and name_matches(row.pattern, name):
            return row
    return None


def findings(observed: ScanObservations, table: Sequence[Declaration]) -> list[Finding]:
    """Every finding of the scan against the table, in a stable order (kind, name, pass)."""
    found: set[Finding] = set()
    for cookie in observed.cookies:
        found.update(_cookie_findings(cookie, table, observed.at))
    for item in observed.storage:
        row = declared_for(item.key, table, kind=StorageKind.LOCAL_STORAGE)
        if row is None:
            found.add(Finding(FindingKind.UNDECLARED_STORAGE, item.key, domain=item.origin))
        if row is None or not row.necessary:
            early = _early(item.scan_pass, storage=True)
            if early is not None:
                category = row.category if row else None
                found.add(
                    Finding(early, item.key, item.scan_pass, item.page, item.origin, category)
                )
    for request in observed.requests:
        kind = {
            Pass.BEFORE: FindingKind.REQUEST_BEFORE_CONSENT,
            Pass.REFUSED: FindingKind.REQUEST_AFTER_REFUSAL,
        }.get(request.scan_pass)
        if kind is not None:
            found.add(Finding(kind, request.url, request.scan_pass, request.page, request.origin))
    for row in table:
        if not _seen(row, observed):
            found.add(Finding(FindingKind.DECLARED_NOT_SEEN, row.pattern, category=row.category))
    one_each: dict[tuple[str, str | None], Finding] = {}
    for finding in sorted(
        (f for f in found if f.kind is FindingKind.LIFETIME_LONGER), key=lambda f: f.detail or ""
    ):
        one_each.setdefault((finding.name, finding.domain), finding)
    kept = [f for f in found if f.kind is not FindingKind.LIFETIME_LONGER]
    order = list(FindingKind)
    return sorted(
        [*kept, *one_each.values()],
        key=lambda f: (
            order.index(f.kind),
            f.name,
            list(Pass).index(f.scan_pass) if f.scan_pass else -1,
            f.page or "",
            f.domain or "",
        ),
    )


def _early(scan_pass: Pass, *, storage: bool = False) -> FindingKind | None:
    if scan_pass is Pass.BEFORE:
        return FindingKind.STORAGE_BEFORE_CONSENT if storage else FindingKind.COOKIE_BEFORE_CONSENT
    if scan_pass is Pass.REFUSED:
        return FindingKind.STORAGE_AFTER_REFUSAL if storage else FindingKind.COOKIE_AFTER_REFUSAL
    return None


def _cookie_findings(
    cookie: SeenCookie, table: Sequence[Declaration], at: datetime
) -> Iterable[Finding]:
    row = declared_for(cookie.name, table)
    if row is None:
        yield Finding(FindingKind.UNDECLARED_COOKIE, cookie.name, domain=cookie.domain)
    if row is None or not row.necessary:
        # an undeclared cookie is not on the allow-list either: it may not come before consent
        early = _early(cookie.scan_pass)
        if early is not None:
            category = row.category if row else None
            yield Finding(
                early, cookie.name, cookie.scan_pass, cookie.page, cookie.domain, category
            )
    if row is not None:
        longer = _longer(cookie, row, at)
        if longer is not None:
            yield Finding(
                FindingKind.LIFETIME_LONGER,
                cookie.name,
                domain=cookie.domain,
                category=row.category,
                detail=longer,
            )


def _longer(cookie: SeenCookie, row: Declaration, at: datetime) -> str | None:
    """Why the cookie lives longer than its row declares, or None when it does not."""
    if cookie.expires is None:
        return None  # a session cookie lives no longer than any declared lifetime
    declared = "session" if row.lifetime is None else str(row.lifetime)
    if row.lifetime is None or cookie.expires > row.lifetime.after(at) + LIFETIME_SLACK:
        days = max(0, (cookie.expires - at).days)
        return f"{days} days, declared {declared}"
    return None


def _seen(row: Declaration, observed: ScanObservations) -> bool:
    if row.kind is StorageKind.LOCAL_STORAGE:
        names = {item.key for item in observed.storage}
    else:
        names = {cookie.name for cookie in observed.cookies}
    return any(declared_for(name, [row], kind=row.kind) is row for name in names)


# --- clearing on withdrawal (item 4) -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CookieExpiry:
    """One ``Set-Cookie`` that expires a cookie: its name, Domain attribute (None: host-only)
    and Path."""

    name: str
    domain: str | None
    path: str
    http_only: bool = field(default=False, compare=False)  # said again, never needed

    def header(self, *, secure: bool) -> str:
        """The header value: empty, ``Max-Age=0`` and an Expires in the past (RFC 6265 §5.2.2,
        §5.3 step 11: a past expiry removes the stored cookie)."""
        parts = [f"{self.name}=", "Max-Age=0", "Expires=Thu, 01 Jan 1970 00:00:00 GMT"]
        parts.append(f"Path={self.path}")
        if self.domain is not None:
            parts.append(f"Domain={self.domain}")
        if secure:
            parts.append("Secure")  # a Secure cookie is overwritten only from a secure origin
        if self.http_only:
            parts.append("HttpOnly")
        return "; ".join(parts)


def domain_matches(host: str, domain: str) -> bool:
    """RFC 6265 §5.1.3: ``host`` is ``domain`` or a subdomain of it (an IP only itself)."""
    host, domain = host.lower().rstrip("."), domain.lower().lstrip(".").rstrip(".")
    if host == domain:
        return True
    if _is_ip(host):
        return False
    return host.endswith("." + domain)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def expiry_cookies(
    host: str,
    category: str,
    table: Sequence[Declaration],
    seen: Iterable[SeenCookie],
    sent: Iterable[str] = (),
    *,
    secure: bool,
) -> list[CookieExpiry]:
    """The expiries a response to ``host`` sends when ``category`` is withdrawn, only those a
    browser will honour: each cookie of the category the scan saw (name, domain, path) whose
    domain ``host`` domain-matches, and each declared name (a pattern expanded by the names
    the scan saw and the request ``sent``) host-only and for ``host`` itself, at Path=/."""
    rows = [d for d in table if d.category == category and d.kind is StorageKind.COOKIE]
    if not rows:
        return []
    out: set[CookieExpiry] = set()
    names: set[str] = {row.pattern for row in rows if not row.wildcard}
    for cookie in seen:
        if declared_for(cookie.name, rows) is None:
            continue
        if not domain_matches(host, cookie.domain):
            continue  # another site's cookie: the browser would ignore us (reported instead)
        if not cookie.host_only:
            names.add(cookie.name)  # a pattern's name, now known: also for this host
        if cookie.host_only and cookie.domain.lower() != host.lower():
            continue  # host-only on another host: only that host can expire it
        if cookie.secure and not secure:
            continue  # a Secure cookie is overwritten only from a secure origin (RFC 6265bis)
        domain = None if cookie.host_only else cookie.domain.lstrip(".")
        out.add(_expiry(cookie.name, domain, cookie.path, cookie.http_only))
    names.update(name for name in sent if declared_for(name, rows) is not None)
    for name in names:
        out.add(_expiry(name, None, "/", False))
        if not _is_ip(host):
            out.add(_expiry(name, host.lower(), "/", False))
    valid = (e for e in out if _valid(e, secure=secure))
    return sorted(valid, key=lambda e: (e.name, e.domain or "", e.path))


def _expiry(name: str, domain: str | None, path: str, http_only: bool) -> CookieExpiry:
    if name.startswith("__Host-"):
        domain, path = None, "/"  # RFC 6265bis §4.1.3.2: no Domain, Path=/
    return CookieExpiry(name, domain, path or "/", http_only)


def _valid(expiry: CookieExpiry, *, secure: bool) -> bool:
    if not _TOKEN.match(expiry.name) or any(c in expiry.path for c in ";\r\n"):
        return False
    # RFC 6265bis §4.1.3: prefixed cookies are set (and so expired) only with Secure
    return secure or not expiry.name.startswith(("__Host-", "__Secure-"))
