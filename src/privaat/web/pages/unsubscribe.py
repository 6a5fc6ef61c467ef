"""One-click unsubscribe (RFC 8058) from a marketing mail (issue 10 item 5; LEGAL L14).

    GET  /unsubscribe          what the link in every marketing mail does (the statement's
                               ``unsubscribe_link`` channel points here, ``web.channels``)
    GET  /unsubscribe/{token}  a page with one button: a link scanner that opens the link
                               unsubscribes nobody (RFC 8058 §4: GET must not unsubscribe)
    POST /unsubscribe/{token}  the button, or the mail client's one-click POST with the body
                               ``List-Unsubscribe=One-Click`` ─▶ Campaigns.unsubscribe: the
                               consent withdrawn (method email_link), suppressed; no log-in
    forged, altered, cut ─────▶ 400 page; expired ─▶ 410 page; nothing changes

The POST carries no CSRF token of ours on purpose: the signed token in the address is the
proof (only its mail's holder has it), and a mail client posting RFC 8058's body has no
cookie or form of ours to send. The page's language is the mail's (``?lang=`` of the footer
link), Dutch by default.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from privaat.i18n import N_
from privaat.services.campaign_tokens import TokenExpired, TokenInvalid
from privaat.services.consents import Evidence
from privaat.web.channels import PREFERENCES
from privaat.web.deps import ClientIp, ContextDep, UowDep
from privaat.web.pages.layout import render
from privaat.web.pages.page_errors import PageRoute

__all__ = ["router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

_INVALID = N_(
    "This unsubscribe link is not valid. Nothing was changed. You can stop marketing e-mail "
    "in your privacy choices after logging in."
)
_EXPIRED = N_(
    "This unsubscribe link has expired. Nothing was changed. You can stop marketing e-mail "
    "in your privacy choices after logging in, or use the link in a newer e-mail."
)


def _refused(request: Request, error: TokenInvalid | TokenExpired) -> Response:
    expired = isinstance(error, TokenExpired)
    return render(
        request,
        "unsubscribe.html.j2",
        # RFC 9110 §15.5.11: a link that once worked and never will again is Gone
        status_code=410 if expired else 400,
        state="refused",
        message=_EXPIRED if expired else _INVALID,
        action="",
        preferences=PREFERENCES,
    )


@router.get("/unsubscribe")
def about_unsubscribing(request: Request) -> Response:
    """Where the unsubscribe link is and what it does; the other way to stop (P4)."""
    return render(
        request,
        "unsubscribe.html.j2",
        state="about",
        message="",
        action="",
        preferences=PREFERENCES,
    )


@router.get("/unsubscribe/{token}")
def unsubscribe_page(request: Request, token: str, ctx: ContextDep, uow: UowDep) -> Response:
    """The confirmation page: one button; opening the link changes nothing."""
    try:
        ctx.campaigns.unsubscribe_language(uow, token)
    except (TokenInvalid, TokenExpired) as error:
        return _refused(request, error)
    query = f"?lang={request.query_params['lang']}" if "lang" in request.query_params else ""
    return render(
        request,
        "unsubscribe.html.j2",
        state="confirm",
        message="",
        action=f"/unsubscribe/{token}{query}",
        preferences=PREFERENCES,
    )


@router.post("/unsubscribe/{token}")
def unsubscribe(
    request: Request, token: str, ctx: ContextDep, uow: UowDep, ip: ClientIp
) -> Response:
    """Withdraw the marketing consent of the mail's recipient: the button or the one-click
    POST (the body is not needed: the address alone names the person and the campaign)."""
    evidence = Evidence(ip=ip, user_agent=request.headers.get("user-agent"))
    try:
        ctx.campaigns.unsubscribe(uow, token, evidence=evidence)
    except (TokenInvalid, TokenExpired) as error:
        return _refused(request, error)
    return render(
        request,
        "unsubscribe.html.j2",
        state="done",
        message="",
        action="",
        preferences=PREFERENCES,
    )
