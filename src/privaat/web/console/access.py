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
_LEAD, _FRAUD = StaffRole.SUPPORT_LEAD, StaffRole.FRAUD
_DESK = frozenset({_SUPPORT, _LEAD})  # the support desk: agents and their team leaders

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
        # the under-16 flag (issue 13 item 2, P18, L47): processing stops, the erasure follows
        "GET /console/customers/{pseudonym}/minor": frozenset({_PO, _SUPPORT}),
        "POST /console/customers/{pseudonym}/minor": frozenset({_PO, _SUPPORT}),
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
                # manual tasks and four-eyes approval (issue 15 items 3-4)
                "POST /console/requests/{reference}/tasks/{system}/done",
                "POST /console/requests/{reference}/tasks/{system}/waive",
                "POST /console/requests/{reference}/approve",
            ),
            frozenset({_PO}),
        ),
        # support cases (issue 12 item 2, P5, P7): the desk's work under support_desk
        **dict.fromkeys(
            (
                "GET /console/support",
                "GET /console/support/new",
                "POST /console/support/new",
                "GET /console/support/{reference}",
                "POST /console/support/{reference}/note",
                "POST /console/support/{reference}/close",
            ),
            _DESK,
        ),
        # support calls: the announcement and the caller's choice, logged by the agent; only
        # team leaders play a recording, every playback logged (L26-L28)
        **dict.fromkeys(
            (
                "GET /console/calls",
                "POST /console/calls",
                "GET /console/calls/{call_id}",
                "POST /console/calls/{call_id}/segments",
                "POST /console/calls/{call_id}/refuse",  # the caller changes their mind
            ),
            _DESK,
        ),
        "GET /console/calls/{call_id}/segments/{segment_id}/audio": frozenset({_LEAD}),
        # support access: an account opened only under the customer's live grant (L29)
        **dict.fromkeys(
            (
                "GET /console/support-access",
                "GET /console/support-access/{grant_id}",
                "GET /console/support-access/{grant_id}/{section}",
            ),
            _DESK,
        ),
        # web shop orders (P8): the desk sees orders; the fraud team alone sees scores and
        # reasons and decides the manual review (L32, art. 22)
        **dict.fromkeys(
            (
                "GET /console/orders",
                "GET /console/orders/{reference}",
                "POST /console/orders/{reference}/ship",
            ),
            frozenset({_SUPPORT, _LEAD, _FRAUD}),
        ),
        **dict.fromkeys(
            (
                "GET /console/orders/review",
                "POST /console/orders/{reference}/review",
            ),
            frozenset({_FRAUD}),
        ),
        # the breach register (issue 13 item 4, P10, art. 33/34): the privacy officer's alone
        **dict.fromkeys(
            (
                "GET /console/breaches",
                "GET /console/breaches/new",
                "POST /console/breaches/new",
                "GET /console/breaches/{breach_id}",
                "GET /console/breaches/{breach_id}/notification",
                "POST /console/breaches/{breach_id}/update",
                "POST /console/breaches/{breach_id}/reported",
                "POST /console/breaches/{breach_id}/not-reported",
                "POST /console/breaches/{breach_id}/assess",
                "POST /console/breaches/{breach_id}/exempt",
                "POST /console/breaches/{breach_id}/notify",
            ),
            frozenset({_PO}),
        ),
        # the disclosure register (issue 13 item 5, P12, L36): the privacy officer's alone
        **dict.fromkeys(
            (
                "GET /console/disclosures",
                "GET /console/disclosures/new",
                "POST /console/disclosures/new",
                "GET /console/disclosures/{disclosure_id}",
            ),
            frozenset({_PO}),
        ),
        # the DPIA register (issue 15 item 9, art. 35, 36): read beside the register of
        # processing (no customer data in it); only the privacy officer records a version
        # a role's own manual tasks of requests (issue 15 item 3): whom a task is for
        **dict.fromkeys(
            ("GET /console/tasks", "POST /console/tasks/{reference}/{system}/done"),
            frozenset(
                {_PO, _SUPPORT, StaffRole.SUPPORT_LEAD, StaffRole.FRAUD, StaffRole.MARKETING}
            ),
        ),
        "GET /console/dpia": frozenset({_PO, _ADMIN}),
        "GET /console/dpia/{activity_id}": frozenset({_PO, _ADMIN}),
        "POST /console/dpia/{activity_id}": frozenset({_PO}),
        # processors told of consent changes (issue 14 item 2, L11): the privacy officer's
        "GET /console/processors": frozenset({_PO}),
        # the newest tracker scan (issue 14 item 3): how the website behaves, no person in it
        "GET /console/scans": frozenset({_PO, _ADMIN}),
    }
)

ROLE_NAMES: Mapping[StaffRole, str] = MappingProxyType(
    {
        StaffRole.PRIVACY_OFFICER: N_("privacy officer"),
        StaffRole.SUPPORT: N_("customer support"),
        StaffRole.SUPPORT_LEAD: N_("customer support team leader"),
        StaffRole.FRAUD: N_("fraud team"),
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
    ("/console/tasks", "tasks", N_("Request tasks")),
    ("/console/support", "support", N_("Support cases")),
    ("/console/calls", "calls", N_("Calls")),
    ("/console/support-access", "support-access", N_("Support access")),
    ("/console/orders", "orders", N_("Orders")),
    ("/console/orders/review", "review", N_("Fraud review")),
    ("/console/breaches", "breaches", N_("Breach register")),
    ("/console/disclosures", "disclosures", N_("Disclosure register")),
    ("/console/dpia", "dpia", N_("DPIA register")),
    ("/console/processors", "processors", N_("Processor deliveries")),
    ("/console/scans", "scans", N_("Tracker scan")),
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
