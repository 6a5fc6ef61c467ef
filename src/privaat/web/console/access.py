"""Who may open which console page: one role × route table, enforced by one dependency.

    request ─▶ ConsoleRoute (its errors become pages; NotAuthenticated → /console/login)
            ─▶ authorise: ROLE_TABLE["GET /console/ropa"]
                 ANYONE ───────────────▶ the page (log-in, enrolment)
                 no staff session ─────▶ NotAuthenticated ─▶ 303 /console/login?next=…
                 role not in the set ──▶ 403 page
                 a route not in the table ▶ 403 page (closed by default)

The dependency sits on the console's router, so no console route can be added without it;
a test walks the whole table for every role and anonymously. The staff session cookie is
the console's own: HttpOnly, SameSite=Strict (never sent with a request another site
starts), Secure and ``__Host-`` prefixed on https, and bound into the pages' CSRF tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Final

from fastapi import Depends, HTTPException, Request, Response
from fastapi.routing import APIRoute

from privaat.bootstrap import Context
from privaat.domain.principal import StaffMember, StaffRole
from privaat.i18n import N_
from privaat.services.errors import NotAuthenticated
from privaat.services.staff import StaffLoggedIn
from privaat.web.deps import ContextDep, UowDep
from privaat.web.pages import csrf
from privaat.web.pages.page_errors import PageRoute

__all__ = [
    "ANYONE",
    "LOGIN_PATH",
    "NAVIGATION",
    "ROLE_NAMES",
    "ROLE_TABLE",
    "STAFF_COOKIE",
    "ConsoleRoute",
    "CurrentStaff",
    "allows",
    "authorise",
    "clear_staff_cookie",
    "set_staff_cookie",
    "staff_cookie_name",
]

LOGIN_PATH = "/console/login"
STAFF_COOKIE = "privaat_console"  # over plain http (the demo on 127.0.0.1)
SECURE_STAFF_COOKIE = "__Host-privaat_console"  # RFC 6265bis §4.1.3.2, as the customer's
for _name in (STAFF_COOKIE, SECURE_STAFF_COOKIE):
    csrf.bind_session_cookie(_name)  # a token from before log-in is worthless after it

ANYONE: Final = None  # the route is how a staff member gets a session: no role yet
_ALL = frozenset(StaffRole)
_PO, _SUPPORT = StaffRole.PRIVACY_OFFICER, StaffRole.SUPPORT
_ADMIN = StaffRole.ADMINISTRATOR

# "METHOD path" (the route's path template) → the roles that may use it, or ANYONE
ROLE_TABLE: Mapping[str, frozenset[StaffRole] | None] = MappingProxyType(
    {
        "GET /console/login": ANYONE,
        "POST /console/login": ANYONE,
        "GET /console/enrol/{token}": ANYONE,
        "POST /console/enrol/{token}": ANYONE,
        "POST /console/logout": _ALL,
        "GET /console": _ALL,  # counts only
        # the register and the data map: the DPO's, and operations'; no customer data in them
        "GET /console/ropa": frozenset({_PO, _ADMIN}),
        "GET /console/data-map": frozenset({_PO, _ADMIN}),
        # the audit trail names pseudonyms and staff: accountability, art. 5(2), 32
        "GET /console/audit": frozenset({_PO, _ADMIN}),
        "POST /console/audit/verify": frozenset({_PO, _ADMIN}),
        # counts and templates; recipients only for the privacy officer (services.console)
        "GET /console/outbox": frozenset({_PO, _SUPPORT, _ADMIN}),
        # a customer's account, read under the role's activity through the seam; marketing
        # works on audiences (L13) and administrators hold no customer data
        "GET /console/customers": frozenset({_PO, _SUPPORT}),
        "POST /console/customers": frozenset({_PO, _SUPPORT}),
        # consent figures: counts from the ledger, no person in them (issue 10 item 8)
        "GET /console/consents": frozenset({_PO, StaffRole.MARKETING}),
        # audiences: counts and initials of those the guard admits (issue 10 item 4, L13)
        "GET /console/marketing": frozenset({StaffRole.MARKETING}),
        "POST /console/marketing/send": frozenset({StaffRole.MARKETING}),
        # data-subject requests: the privacy officer's work (art. 38(4), 39); the request page
        # decrypts the requester's words under rights_handling (issue 11 item 11)
        **dict.fromkeys(
            (
                "GET /console/requests",
                "GET /console/requests/new",
                "POST /console/requests/new",
                "GET /console/requests/figures",
                "GET /console/requests/{reference}",
                "GET /console/requests/{reference}/mails/{mail_id}",
                "POST /console/requests/{reference}/act",
                "POST /console/requests/{reference}/classify",
                "POST /console/requests/{reference}/answer",
                # ctx.rights on the request page (issue 11 items 5-8): art. 16-18, 21
                "POST /console/requests/{reference}/rectify",
                "POST /console/requests/{reference}/erase",
                "POST /console/requests/{reference}/restrict",
                "POST /console/requests/{reference}/lift",
                "POST /console/requests/{reference}/object",
                "POST /console/requests/{reference}/grounds",
                "POST /console/requests/{reference}/uphold",
            ),
            frozenset({_PO}),
        ),
    }
)

ROLE_NAMES: Mapping[StaffRole, str] = MappingProxyType(
    {
        StaffRole.PRIVACY_OFFICER: N_("privacy officer"),
        StaffRole.SUPPORT: N_("customer support"),
        StaffRole.MARKETING: N_("marketing"),
        StaffRole.ADMINISTRATOR: N_("administrator"),
    }
)

# the console's menu: each entry shown only to the roles the table lets open it
NAVIGATION: tuple[tuple[str, str, str], ...] = (
    ("/console", "dashboard", N_("Dashboard")),
    ("/console/ropa", "ropa", N_("Register of processing")),
    ("/console/data-map", "data-map", N_("Data map")),
    ("/console/audit", "audit", N_("Audit trail")),
    ("/console/outbox", "outbox", N_("Outbox")),
    ("/console/customers", "customers", N_("Customer look-up")),
    ("/console/consents", "consents", N_("Consent figures")),
    ("/console/marketing", "marketing", N_("Audiences")),
    ("/console/requests", "requests", N_("Privacy requests")),
)


class ConsoleRoute(PageRoute):
    """A page route of the console: without a staff session, to the console's log-in."""

    login_path = LOGIN_PATH


def route_key(method: str, path: str) -> str:
    """The table's key of a route: ``"GET /console/ropa"`` (HEAD is the GET's)."""
    return f"{'GET' if method == 'HEAD' else method} {path}"


def allows(role: StaffRole, key: str) -> bool:
    """Whether ``role`` may use the route ``key`` (an unknown route: nobody)."""
    allowed = ROLE_TABLE.get(key, frozenset())
    return allowed is ANYONE or role in allowed


def staff_cookie_name(ctx: Context) -> str:
    return SECURE_STAFF_COOKIE if ctx.settings.base_url.startswith("https://") else STAFF_COOKIE


def authorise(request: Request, ctx: ContextDep, uow: UowDep) -> StaffMember | None:
    """The staff member the table lets open this route (None on an ANYONE route)."""
    route = request.scope.get("route")
    key = route_key(request.method, route.path if isinstance(route, APIRoute) else "")
    if key not in ROLE_TABLE:
        raise HTTPException(status_code=403)  # closed by default: a route the table forgot
    allowed = ROLE_TABLE[key]
    if allowed is ANYONE:
        return None
    staff = ctx.staff.staff_of(uow, request.cookies.get(staff_cookie_name(ctx)))
    if staff.role not in allowed:
        raise HTTPException(status_code=403)
    return staff


def current_staff(staff: Annotated[StaffMember | None, Depends(authorise)]) -> StaffMember:
    """The route's staff member (``authorise`` ran once for the request, as the router's)."""
    if staff is None:
        raise NotAuthenticated()
    return staff


CurrentStaff = Annotated[StaffMember, Depends(current_staff)]


def set_staff_cookie(response: Response, ctx: Context, session: StaffLoggedIn) -> None:
    """Give the browser its staff session: HttpOnly, SameSite=Strict, Secure on https."""
    response.set_cookie(
        staff_cookie_name(ctx),
        session.token,
        max_age=int((session.expires_at - ctx.clock.now()).total_seconds()),
        httponly=True,
        samesite="strict",  # issue 8 item 5: not even a link from another site carries it
        secure=ctx.settings.base_url.startswith("https://"),
        path="/",  # the language switch (/language) checks a CSRF token bound to it
    )


def clear_staff_cookie(response: Response, ctx: Context) -> None:
    response.delete_cookie(
        staff_cookie_name(ctx),
        path="/",
        secure=ctx.settings.base_url.startswith("https://"),
        httponly=True,
        samesite="strict",
    )
