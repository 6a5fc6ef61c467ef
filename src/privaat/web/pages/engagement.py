"""E-mail engagement: the open pixel and the click redirect (issue 10 item 6; P11, L18).

    GET /e/o/{token}.gif ─▶ Campaigns.record_open (only with email_engagement consent)
                         ─▶ a 1×1 transparent GIF, never cached
    GET /e/c/{token}     ─▶ Campaigns.click ─▶ 302 to the campaign's own link it names
    a token not ours, or naming no link of its campaign ─▶ a 404 page, nothing recorded

The redirect's target comes from the campaign's stored link set, never from the address:
there is nothing in the request that could send a person elsewhere (no open redirect).
"""

from __future__ import annotations

import base64

from fastapi import APIRouter, HTTPException, Response
from fastapi.responses import RedirectResponse

from privaat.services.campaign_tokens import TokenInvalid
from privaat.services.campaigns import LinkNotFound
from privaat.web.deps import ContextDep, UowDep
from privaat.web.pages.page_errors import PageRoute

__all__ = ["PIXEL", "router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# the smallest transparent GIF89a: 1×1, one colour, fully transparent
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@router.get("/e/o/{token}.gif")
def open_pixel(token: str, ctx: ContextDep, uow: UowDep) -> Response:
    """Record an open (if the recipient consented to engagement tracking) and answer the pixel."""
    try:
        ctx.campaigns.record_open(uow, token)
    except TokenInvalid:
        raise HTTPException(status_code=404) from None
    return Response(PIXEL, media_type="image/gif", headers=_NO_STORE)


@router.get("/e/c/{token}")
def click(token: str, ctx: ContextDep, uow: UowDep) -> Response:
    """Go on to the campaign link the token names, recording the click if consented."""
    try:
        url = ctx.campaigns.click(uow, token)
    except (TokenInvalid, LinkNotFound):
        raise HTTPException(status_code=404) from None
    return RedirectResponse(url, status_code=302, headers=_NO_STORE)
