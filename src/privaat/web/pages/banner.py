"""The cookie banner for the provider's websites (issue 10 item 7; P14, P16, P17).

    GET  /consent/banner.js, banner.css  the banner a site includes with one <script> tag;
                                         cached (ETag), readable by any site
    GET  /consent/choices?lang=          the categories from the policy (purposes, companies,
                                         cookies, the exact request text) and the visitor's
                                         choice, or none; Sec-GPC is reported back
    POST /consent/choices                {"choices": {"analytics": true, ...}, "lang": "nl",
                                         "gpc": false} → the ledger (method cookie_banner);
                                         the first choice sets the visitor cookie; a
                                         withdrawal expires the category's cookies
                                         (web/pages/cookie_clearing.py, issue 14 item 4)
    GET  /consent/records, …/receipt     the visitor's ledger and its receipts (art. 7(1), 15)
    POST /consent/{category}/collect     an analytics event: 204 with consent, else 403
    GET  /.well-known/gpc.json           Global Privacy Control support (GPC spec §4)
    GET  /cookies                        the cookie settings page (channel cookie_settings)

On a domain of a hosting customer's site (issue 14 item 7) every ``/consent/`` route answers
for that customer's scope instead (``web.pages.site_banner``, docs/customer-sites.md).

The visitor cookie is first-party: privaat answers under the site's own origin (a reverse
proxy sends ``/consent/`` to it), so the banner's calls are same-origin and credentialed
without CORS; a cookie set from another origin would be a third-party cookie, which
browsers block and the law treats as tracking. The cookie is HttpOnly: the banner learns
the choice from ``GET /consent/choices``, never from the cookie.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib.resources import files
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from privaat.bootstrap import Context
from privaat.domain.principal import DataSubject
from privaat.i18n import LANGUAGES, N_, translations
from privaat.policy.consent_mode import GoogleConsentMode
from privaat.policy.schema import NECESSARY_BANNER_CATEGORY
from privaat.services.consent_receipts import ReceiptFormat
from privaat.services.consents import Evidence
from privaat.services.errors import InvalidField
from privaat.services.visitors import (
    VISITOR_COOKIE,
    VISITOR_COOKIE_SECONDS,
    UnknownVisitor,
    VisitorChoice,
)
from privaat.web.deps import ClientIp, ContextDep, UowDep
from privaat.web.pages import site_banner
from privaat.web.pages.cookie_clearing import expire_withdrawn
from privaat.web.pages.cookies import is_secure
from privaat.web.pages.layout import page_language, render
from privaat.web.problems import problem_response

__all__ = ["BANNER_TEXTS", "GPC_LAST_UPDATE", "router"]

router = APIRouter(include_in_schema=False)
router.include_router(site_banner.router)  # POST /consent/carry on a customer's site

GPC_LAST_UPDATE = "2026-12-01"  # when this support for Global Privacy Control was published
_STATIC = files("privaat.web.pages") / "static"
_ASSETS = {
    name: (data, hashlib.sha256(data).hexdigest()[:32])
    for name in ("banner.js", "banner.css")
    for data in [(_STATIC / name).read_bytes()]
}
_TYPES = {"banner.js": "text/javascript; charset=utf-8", "banner.css": "text/css; charset=utf-8"}
_NO_STORE = {"Cache-Control": "no-store"}
# the words of the banner itself; the purposes, companies and cookies come from the policy
BANNER_TEXTS = {
    "title": N_("Cookies on this website"),
    "intro": N_(
        "We use cookies that the website needs. With your consent we also use the cookies "
        "below. You choose: the website works either way."
    ),
    "accept": N_("Accept"),
    "refuse": N_("Refuse"),
    "settings": N_("Settings"),
    "save": N_("Save choice"),
    "reopen": N_("Cookie settings"),
    "always_on": N_("Always on"),
    "companies": N_("Companies"),
    "cookies": N_("Cookies"),
    "gpc": N_(
        "Your browser sends a Global Privacy Control signal. We take it as a refusal. You can "
        "still choose yourself in the settings."
    ),
    "failed": N_("Your choice could not be saved. Please try again."),
    "privacy": N_("Privacy statement"),
    # an embed's placeholder (issue 14 item 6): once records nothing, always is a consent
    "once": N_("Allow this once"),
    "always": N_("Always allow"),
}
# banner.js's slot for the policy's Google Consent Mode v2 block (a JSON literal is valid JS)
_CONSENT_MODE_SLOT = b"/*privaat:consent-mode*/null"


class BannerChoice(BaseModel):
    """A visitor's choice: each asked category yes or no; one left out is no (L8)."""

    model_config = ConfigDict(extra="forbid")

    choices: dict[Annotated[str, Field(max_length=64)], bool] = Field(max_length=32)
    lang: str | None = Field(default=None, max_length=8)
    gpc: bool = False  # navigator.globalPrivacyControl, as the banner read it


@router.get("/consent/banner.js")
@router.get("/consent/banner.css")
def asset(request: Request, ctx: ContextDep, uow: UowDep) -> Response:
    """The banner's script or style: cached a day, revalidated by ETag, usable by any site."""
    name = request.url.path.rsplit("/", 1)[1]
    data, etag = _ASSETS[name]
    if name == "banner.js":
        mode = ctx.policy.google_consent_mode
        if site_banner.scope_of(request, ctx, uow) is not None:
            mode = None  # the provider's mapping is not a customer's: its site file has none
        data, etag = _script(_consent_mode(mode))
    headers = {
        "Cache-Control": "public, max-age=86400",
        "ETag": f'"{etag}"',
        # CORP: a site on another origin may include it (Fetch §3.7)
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if request.headers.get("if-none-match") == f'"{etag}"':
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=_TYPES[name], headers=headers)


@router.get("/.well-known/gpc.json")
def gpc_support() -> JSONResponse:
    """The GPC support resource: this site honours the signal (GPC spec §4.1)."""
    return JSONResponse(
        {"gpc": True, "lastUpdate": GPC_LAST_UPDATE},
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.get("/consent/choices")
def choices(request: Request, ctx: ContextDep, uow: UowDep) -> Response:
    """What the banner shows, in the page's language, and the visitor's choice (or null)."""
    lang = _language(request, request.query_params.get("lang"))
    scope = site_banner.scope_of(request, ctx, uow)
    if scope is not None:
        texts = _texts(lang)
        return site_banner.choices(
            request, ctx, uow, scope, lang=lang, texts=texts, gpc=_gpc_header(request)
        )
    token = request.cookies.get(VISITOR_COOKIE)
    choice: VisitorChoice | None = None
    forget = False
    if token:
        try:
            choice = ctx.visitors.state(uow, token)
        except UnknownVisitor:
            forget = True  # a forged or erased visitor: ask afresh
    response = JSONResponse(_config(ctx, lang, choice, _gpc_header(request)), headers=_NO_STORE)
    if forget:
        _forget(response, request, ctx)
    return response


@router.post("/consent/choices")
def choose(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    ip: ClientIp,
    body: Annotated[BannerChoice, Body()],
) -> Response:
    """Record the visitor's choice in the ledger; a GPC signal makes every category a no."""
    # FastAPI parses only an application/json body (anything else is a 422): a form posted
    # from another site cannot make a choice, so the route needs no CSRF token
    lang = _language(request, body.lang)
    token = request.cookies.get(VISITOR_COOKIE)
    gpc = body.gpc or _gpc_header(request)
    evidence = Evidence(ip=ip, user_agent=request.headers.get("user-agent"))
    scope = site_banner.scope_of(request, ctx, uow)
    if scope is not None:
        return site_banner.choose(
            request, ctx, uow, scope, dict(body.choices), lang=lang, gpc=gpc, evidence=evidence
        )
    try:
        before = ctx.visitors.state(uow, token).given if token else {}
        chosen = ctx.visitors.choose(
            uow, token or None, body.choices, lang=lang, gpc=gpc, evidence=evidence
        )
    except UnknownVisitor:
        return _unknown_visitor(request, ctx)
    response = JSONResponse({"choice": _choice(chosen.choice)}, headers=_NO_STORE, status_code=200)
    expire_withdrawn(request, response, ctx, uow, before, chosen.choice.given)
    if chosen.new_token:
        response.set_cookie(
            VISITOR_COOKIE,
            chosen.new_token,
            max_age=VISITOR_COOKIE_SECONDS,
            httponly=True,  # the banner reads the choice from the API, never the cookie
            samesite="lax",
            secure=is_secure(request, ctx),
            path="/",
        )
    return response


@router.get("/consent/records")
def records(request: Request, ctx: ContextDep, uow: UowDep) -> Response:
    """The visitor's own ledger, newest first, each with its receipt (art. 7(1), 15)."""
    scope = site_banner.scope_of(request, ctx, uow)
    if scope is not None:
        return site_banner.records(request, ctx, uow, scope)
    subject_id = _visitor(request, ctx, uow)
    if isinstance(subject_id, Response):
        return subject_id
    history = ctx.consents.history(uow, _self(subject_id), subject_id)
    return JSONResponse(
        {
            "records": [
                {
                    "id": r.id,
                    "activity": r.activity,
                    "given": r.given,
                    "at": r.at.isoformat(),
                    "method": r.method.value,
                    "receipt": f"/consent/records/{r.id}/receipt",
                }
                for r in history
            ]
        },
        headers=_NO_STORE,
    )


@router.get("/consent/records/{record_id}/receipt")
def receipt(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    record_id: int,
    fmt: Annotated[ReceiptFormat, Query(alias="format")] = ReceiptFormat.KANTARA,
) -> Response:
    """One record of the visitor's ledger as a Kantara or ISO/IEC TS 27560 receipt."""
    if site_banner.scope_of(request, ctx, uow) is not None:
        return problem_response(
            request,
            404,
            "no-receipt",
            "No receipt",
            "receipts are not served for a hosting customer's site: its records are listed at "
            "/consent/records (docs/customer-sites.md)",
        )
    subject_id = _visitor(request, ctx, uow)
    if isinstance(subject_id, Response):
        return subject_id
    body = ctx.consents.receipt(uow, _self(subject_id), subject_id, record_id, fmt)
    return JSONResponse(body, headers=_NO_STORE)


@router.post("/consent/{category}/collect")
def collect(request: Request, ctx: ContextDep, uow: UowDep, category: str) -> Response:
    """An analytics event: let in (204) only with the visitor's consent to the category."""
    scope = site_banner.scope_of(request, ctx, uow)
    if scope is not None:
        return site_banner.collect(request, ctx, uow, scope, category)
    try:
        ctx.visitors.category(category)
    except InvalidField:
        return problem_response(
            request, 404, "unknown-category", f"The cookie banner has no category '{category}'"
        )
    token = request.cookies.get(VISITOR_COOKIE)
    if not token:
        return problem_response(
            request,
            403,
            "processing-not-allowed",
            "Processing not allowed",
            f"no consent to '{category}': this visitor made no choice in the cookie banner "
            "(ePD art. 5(3), LEGAL L39)",
            reason="no_consent",
        )
    try:
        ctx.visitors.collect(uow, token, category)
    except UnknownVisitor:
        return _unknown_visitor(request, ctx)
    return Response(status_code=204, headers=_NO_STORE)


@router.get("/cookies")
def cookie_settings(request: Request, ctx: ContextDep) -> Response:
    """The cookie settings: every category and cookie, and the banner to choose again."""
    lang = page_language(request)
    return render(
        request,
        "cookies.html.j2",
        categories=ctx.visitors.categories(),
        in_lang=lambda text: text.in_language(lang),
        headers={
            # the banner's own script and its calls to us; still no inline script or style
            "Content-Security-Policy": (
                "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
                "img-src 'self' data:; form-action 'self'; base-uri 'none'; "
                "frame-ancestors 'none'"
            )
        },
    )


# --- the steps -----------------------------------------------------------------------------


def _consent_mode(mode: GoogleConsentMode | None) -> str:
    """The policy's consent-mode block as the JSON banner.js reads ("null" without one)."""
    if mode is None:
        return "null"
    grants = {c: [t.value for t in types] for c, types in mode.grants.items()}
    always = grants.pop(NECESSARY_BANNER_CATEGORY, [])
    return json.dumps(
        {"wait_for_update": mode.wait_for_update, "always": always, "grants": grants},
        sort_keys=True,
        separators=(",", ":"),
    )


@lru_cache(maxsize=8)
def _script(consent_mode: str) -> tuple[bytes, str]:
    # json.dumps escapes every non-ASCII character (U+2028 too): safe inside the script
    data = _ASSETS["banner.js"][0].replace(_CONSENT_MODE_SLOT, consent_mode.encode("ascii"), 1)
    return data, hashlib.sha256(data).hexdigest()[:32]


def _language(request: Request, asked: str | None) -> str:
    if asked and asked.lower() in LANGUAGES:
        return asked.lower()
    return page_language(request)


def _gpc_header(request: Request) -> bool:
    # GPC spec §3.1: the header's only valid value is "1"
    return request.headers.get("sec-gpc", "").strip() == "1"


def _self(subject_id: int) -> DataSubject:
    return DataSubject(subject_id)


def _visitor(request: Request, ctx: Context, uow: Any) -> int | Response:
    token = request.cookies.get(VISITOR_COOKIE)
    if not token:
        return problem_response(
            request, 401, "no-visitor", "No visitor cookie", "make a choice in the banner first"
        )
    try:
        return ctx.visitors.subject_of(uow, token)
    except UnknownVisitor:
        return _unknown_visitor(request, ctx)


def _unknown_visitor(request: Request, ctx: Context) -> Response:
    response = problem_response(
        request,
        400,
        "unknown-visitor",
        "Unknown visitor",
        "the visitor cookie names no visitor; it is removed, so the next choice starts afresh",
    )
    _forget(response, request, ctx)
    return response


_forget = site_banner.forget_visitor_cookie
_choice = site_banner.choice_body


def _texts(lang: str) -> dict[str, str]:
    gettext = translations(lang).gettext
    return {key: gettext(msgid) for key, msgid in BANNER_TEXTS.items()}


def _config(ctx: Context, lang: str, choice: VisitorChoice | None, gpc: bool) -> dict[str, Any]:
    gettext = translations(lang).gettext
    categories = []
    for category in ctx.visitors.categories():
        activity = None if category.required else category.activity
        categories.append(
            {
                "id": category.id,
                "required": category.required,
                "name": (
                    gettext("Strictly necessary")
                    if activity is None
                    else activity.name.in_language(lang)
                ),
                "purpose": " ".join(a.description.in_language(lang) for a in category.activities),
                # the exact text whose hash the ledger keeps when the box is ticked (L86)
                "request": (
                    None
                    if activity is None or activity.consent is None
                    else activity.consent.request.in_language(lang)
                ),
                "companies": [r.name for r in category.recipients],
                "cookies": [
                    {
                        "name": cookie.name,
                        "purpose": cookie.purpose.in_language(lang),
                        "lifetime": str(cookie.lifetime) if cookie.lifetime else None,
                    }
                    for cookie in category.cookies
                ],
            }
        )
    return {
        "lang": lang,
        "texts": {key: gettext(msgid) for key, msgid in BANNER_TEXTS.items()},
        "privacy": f"/privacy?lang={lang}",
        "vendors": ctx.visitors.vendors_sha256,
        "gpc": gpc,
        "categories": categories,
        "choice": _choice(choice),
    }
