"""The banner on hosting customers' sites (issue 14 item 7; docs/customer-sites.md).

    Host of the request ── a domain of a customer's scope? ── no: the provider's banner
                                                           └─ yes: that scope's categories,
                                                              visitors and ledger
    POST /consent/carry  {"token": …}  a choice made on another domain of the same scope:
                                       this domain's visitor cookie for the same visitor

``web.pages.banner`` asks ``scope_of`` first on every ``/consent/`` route and hands a
customer's request to the functions here; a request on any other host is answered as before.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from privaat.bootstrap import Context
from privaat.domain.customer_sites import host_of, site_declarations
from privaat.i18n import translations
from privaat.services.consents import Evidence
from privaat.services.customer_sites import CarryTokenUsed, SiteConsentMissing
from privaat.services.errors import InvalidField
from privaat.services.site_registry import SiteScope
from privaat.services.site_tokens import CarryTokenExpired, CarryTokenInvalid, OtherScope
from privaat.services.tracker_scans import TrackerScans
from privaat.services.visitors import (
    VISITOR_COOKIE,
    VISITOR_COOKIE_SECONDS,
    UnknownVisitor,
    VisitorChoice,
)
from privaat.store.unit_of_work import UnitOfWork
from privaat.web.deps import ContextDep, UowDep
from privaat.web.pages.cookies import is_secure
from privaat.web.problems import problem_response

__all__ = [
    "choice_body",
    "choices",
    "choose",
    "collect",
    "config",
    "forget_visitor_cookie",
    "records",
    "router",
    "scope_of",
    "set_visitor_cookie",
]

router = APIRouter(include_in_schema=False)
_NO_STORE = {"Cache-Control": "no-store"}
_SCANS = TrackerScans()


class CarryRequest(BaseModel):
    """A carry token, as the banner took it from the link the visitor followed."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=160)


def scope_of(request: Request, ctx: Context, uow: UnitOfWork) -> SiteScope | None:
    """The customer scope the request's Host names; None on the provider's own sites."""
    return ctx.sites.resolve(uow, request.headers.get("host"))


def set_visitor_cookie(response: Response, request: Request, ctx: Context, token: str) -> None:
    """The visitor cookie, first-party on the host the request came to (no Domain)."""
    response.set_cookie(
        VISITOR_COOKIE,
        token,
        max_age=VISITOR_COOKIE_SECONDS,
        httponly=True,  # the banner reads the choice from the API, never the cookie
        samesite="lax",
        secure=is_secure(request, ctx),
        path="/",
    )


def forget_visitor_cookie(response: Response, request: Request, ctx: Context) -> None:
    """Remove a visitor cookie that names no visitor (here): the next choice starts afresh."""
    response.delete_cookie(
        VISITOR_COOKIE, path="/", httponly=True, samesite="lax", secure=is_secure(request, ctx)
    )


def choice_body(choice: VisitorChoice | None) -> dict[str, Any] | None:
    """The visitor's choice as the banner reads it, or None before any."""
    if choice is None:
        return None
    return {
        "given": dict(choice.given),
        "current": choice.current,
        "gpc": choice.gpc,
        "at": choice.chosen_at.isoformat(),
    }


def _unknown_visitor(request: Request, ctx: Context) -> Response:
    response = problem_response(
        request,
        400,
        "unknown-visitor",
        "Unknown visitor",
        "the visitor cookie names no visitor of this website; it is removed, so the next "
        "choice starts afresh",
    )
    forget_visitor_cookie(response, request, ctx)
    return response


def choices(
    request: Request,
    ctx: Context,
    uow: UnitOfWork,
    scope: SiteScope,
    *,
    lang: str,
    texts: dict[str, str],
    gpc: bool,
) -> Response:
    """GET /consent/choices on a customer's site: its banner and the visitor's choice there."""
    token = request.cookies.get(VISITOR_COOKIE)
    choice: VisitorChoice | None = None
    subject_id: int | None = None
    forget = False
    if token:
        try:
            subject_id = ctx.sites.subject_of(uow, scope, token)
            choice = ctx.sites.state(uow, scope, token)
        except UnknownVisitor:
            forget = True  # a cookie of another scope, forged or erased: ask afresh
    body = config(
        ctx,
        uow,
        scope,
        lang=lang,
        texts=texts,
        choice=choice_body(choice),
        gpc=gpc,
        subject_id=subject_id,
        host=host_of(request.headers.get("host")),
    )
    response = JSONResponse(body, headers=_NO_STORE)
    if forget:
        forget_visitor_cookie(response, request, ctx)
    return response


def choose(
    request: Request,
    ctx: Context,
    uow: UnitOfWork,
    scope: SiteScope,
    choices: dict[str, bool],
    *,
    lang: str,
    gpc: bool,
    evidence: Evidence,
) -> Response:
    """POST /consent/choices on a customer's site: the choice in the scope's own ledger."""
    token = request.cookies.get(VISITOR_COOKIE)
    try:
        before = ctx.sites.state(uow, scope, token).given if token else {}
        chosen = ctx.sites.choose(
            uow, scope, token or None, choices, lang=lang, gpc=gpc, evidence=evidence
        )
        subject_id = ctx.sites.subject_of(uow, scope, chosen.new_token or token or "")
    except UnknownVisitor:
        return _unknown_visitor(request, ctx)
    body = {
        "choice": choice_body(chosen.choice),
        "carry": ctx.sites.carry_token(uow, scope, subject_id),
    }
    response = JSONResponse(body, headers=_NO_STORE)
    # a withdrawal expires the category's cookies from the server too, HttpOnly ones included
    # (issue 14 item 4, as on the provider's sites): the site file's names and what the
    # newest scan of this host saw
    withdrawn = [c for c, given in before.items() if given and not chosen.choice.given.get(c)]
    host = host_of(request.headers.get("host"))
    if withdrawn and host:
        secure = is_secure(request, ctx)
        table = site_declarations(scope.site)
        sent = request.cookies.keys()
        for expiry in _SCANS.expiries(uow, host, withdrawn, table, sent, secure=secure):
            response.headers.append("set-cookie", expiry.header(secure=secure))
    if chosen.new_token:
        set_visitor_cookie(response, request, ctx, chosen.new_token)
    return response


def records(request: Request, ctx: Context, uow: UnitOfWork, scope: SiteScope) -> Response:
    """GET /consent/records on a customer's site: the visitor's records in its ledger."""
    token = request.cookies.get(VISITOR_COOKIE)
    if not token:
        return problem_response(
            request, 401, "no-visitor", "No visitor cookie", "make a choice in the banner first"
        )
    try:
        subject_id = ctx.sites.subject_of(uow, scope, token)
    except UnknownVisitor:
        return _unknown_visitor(request, ctx)
    history = reversed(ctx.sites.records(uow, scope, subject_id))
    body = {
        "controller": scope.site.name,
        "records": [
            {
                "id": r.id,
                "category": r.category,
                "given": r.given,
                "at": r.at.isoformat(),
                "method": r.method.value,
                "text_sha256": r.text_sha256,
                "receipt": None,  # receipts of a customer's records: docs/customer-sites.md
            }
            for r in history
        ],
    }
    return JSONResponse(body, headers=_NO_STORE)


def collect(
    request: Request, ctx: Context, uow: UnitOfWork, scope: SiteScope, category: str
) -> Response:
    """POST /consent/{category}/collect on a customer's site: 204 only with consent."""
    try:
        ctx.sites.category(scope, category)
    except InvalidField:
        return problem_response(
            request, 404, "unknown-category", f"This website's banner has no category '{category}'"
        )
    token = request.cookies.get(VISITOR_COOKIE)
    try:
        if not token:
            raise SiteConsentMissing(category)
        ctx.sites.collect(uow, scope, token, category)
    except UnknownVisitor:
        return _unknown_visitor(request, ctx)
    except SiteConsentMissing as error:
        return problem_response(
            request,
            403,
            "processing-not-allowed",
            "Processing not allowed",
            str(error),
            reason="no_consent",
        )
    return Response(status_code=204, headers=_NO_STORE)


def config(
    ctx: Context,
    uow: UnitOfWork,
    scope: SiteScope,
    *,
    lang: str,
    texts: dict[str, str],
    choice: dict[str, Any] | None,
    gpc: bool,
    subject_id: int | None,
    host: str | None,
) -> dict[str, Any]:
    """What the banner shows on a customer's site: its categories, its other domains, and a
    carry token once the visitor has chosen."""
    site = scope.site
    gettext = translations(lang).gettext
    visitor_cookie = next(
        (c for c in ctx.visitors.categories()[0].cookies if c.name == VISITOR_COOKIE), None
    )
    remembers = visitor_cookie.purpose.in_language(lang) if visitor_cookie else VISITOR_COOKIE
    categories: list[dict[str, Any]] = [
        {
            "id": "necessary",
            "required": True,
            "name": gettext("Strictly necessary"),
            "purpose": remembers,
            "request": None,
            "companies": [],
            "cookies": [{"name": VISITOR_COOKIE, "purpose": remembers, "lifetime": "P6M"}],
        }
    ]
    for category in site.categories:
        name = category.name.in_language(lang)
        categories.append(
            {
                "id": category.id,
                "required": False,
                "name": name,
                "purpose": category.purpose.in_language(lang),
                # the exact text whose hash the scope's ledger keeps when ticked (L86)
                "request": category.request.in_language(lang),
                "companies": list(category.companies),
                "cookies": [
                    {"name": c, "purpose": name, "lifetime": None} for c in category.cookies
                ],
            }
        )
    carry = None
    if subject_id is not None:
        carry = ctx.sites.carry_token(uow, scope, subject_id)
    return {
        "lang": lang,
        "texts": texts,
        "privacy": site.privacy_url,
        "controller": site.name,
        "vendors": scope.vendors_sha256,
        "gpc": gpc,
        "categories": categories,
        "choice": choice,
        # the scope's other domains: the banner carries a choice to these, and only these
        "domains": [d for d in site.domains if d != host],
        "carry": carry,
    }


@router.post("/consent/carry")
def carry(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    body: Annotated[CarryRequest, Body()],
) -> Response:
    """Take a choice made on another domain of this site's scope: this domain's visitor
    cookie then names the same visitor. Any other token is refused and nothing recorded."""
    scope = scope_of(request, ctx, uow)
    if scope is None:
        return problem_response(
            request,
            404,
            "no-customer-site",
            "Not a customer's site",
            "this host is no domain of a hosting customer's site: there is no choice to carry",
        )
    try:
        token = ctx.sites.carry(uow, scope, body.token)
    except CarryTokenInvalid as error:
        return problem_response(request, 400, "invalid-carry-token", "Invalid token", str(error))
    except CarryTokenExpired as error:
        return problem_response(request, 410, "carry-token-expired", "Token expired", str(error))
    except OtherScope as error:
        return problem_response(request, 409, "other-scope", "Another customer's site", str(error))
    except CarryTokenUsed as error:
        return problem_response(request, 409, "carry-token-used", "Token used", str(error))
    except UnknownVisitor:
        return problem_response(
            request,
            400,
            "unknown-visitor",
            "Unknown visitor",
            "the carry token names no visitor of this website (erased since): nothing recorded",
        )
    response = JSONResponse({"carried": True}, headers=_NO_STORE)
    set_visitor_cookie(response, request, ctx, token)
    return response
