"""The double opt-in's link as a page (issue 14 item 5; LEGAL L7, L13).

    GET  /confirm/{token}  a page with one button: a mail scanner that opens the link gives
                           no consent (nor does a preview); it says what is being confirmed
    POST /confirm/{token}  the button ─▶ Consents.confirm: "confirmed" in the ledger (method
                           email_link), the consent counts from now; no log-in needed
    forged, altered, cut ──▶ 400 page; lapsed ─▶ 410 page; no longer standing (withdrawn or
                             asked again since, the text changed) ─▶ 409 page; nothing given

As for the unsubscribe link, the signed token in the address is the proof that the person
holds the mailbox the request went to; the POST carries no CSRF token of ours.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from privaat.i18n import N_
from privaat.services.campaign_tokens import TokenExpired, TokenInvalid
from privaat.services.consents import ConfirmationSpent, Evidence
from privaat.web.channels import PREFERENCES
from privaat.web.deps import ClientIp, ContextDep, UowDep
from privaat.web.pages.layout import render
from privaat.web.pages.page_errors import PageRoute

__all__ = ["router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

_INVALID = N_(
    "This confirmation link is not valid. Nothing was given. You can make your choices in "
    "your privacy choices after logging in."
)
_EXPIRED = N_(
    "This confirmation link has expired, so nothing was given. If you still want it, ask "
    "again in your privacy choices: you get a new link."
)
_SPENT = N_(
    "This confirmation link no longer counts: your choice was changed or asked again since, "
    "or the text you were asked to confirm has changed. Nothing was given. See your privacy "
    "choices."
)


def _page(request: Request, state: str, *, status_code: int = 200, message: str = "") -> Response:
    return render(
        request,
        "confirm_consent.html.j2",
        status_code=status_code,
        state=state,
        message=message,
        action=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        preferences=PREFERENCES,
    )


@router.get("/confirm/{token}")
def confirm_page(request: Request, token: str) -> Response:
    """One button; opening the link gives nothing. The token is checked on the POST."""
    del token  # read on the POST: the page itself reveals nothing about it
    return _page(request, "confirm")


@router.post("/confirm/{token}")
def confirm(request: Request, token: str, ctx: ContextDep, uow: UowDep, ip: ClientIp) -> Response:
    """Confirm the request the link names: from now on the consent counts."""
    evidence = Evidence(ip=ip, user_agent=request.headers.get("user-agent"))
    try:
        ctx.consents.confirm(uow, token, evidence=evidence)
    except TokenExpired:
        # RFC 9110 §15.5.11: a link that once worked and never will again is Gone
        return _page(request, "refused", status_code=410, message=_EXPIRED)
    except TokenInvalid:
        return _page(request, "refused", status_code=400, message=_INVALID)
    except ConfirmationSpent:
        return _page(request, "refused", status_code=409, message=_SPENT)
    return _page(request, "done")
