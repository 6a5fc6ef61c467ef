"""Console pages: audiences for the marketing role (issue 10 item 4; P4, L13, L15).

``GET /console/marketing?topic=…&language=…&country=…&city=…&service=…&run=1``: the filters
of ``domain.marketing`` from a GET form (a selection changes nothing but the access log),
the count of the people the guard admits and a preview of a few by initials, never the
list. A filter the policy does not offer is the page again with the reason (422).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from privaat.domain.marketing import Audience, InvalidFilter, parse_filters
from privaat.services.errors import InvalidField
from privaat.web.console.access import ConsoleRoute, CurrentStaff, authorise
from privaat.web.console.routes import _page
from privaat.web.deps import ContextDep, UowDep

__all__ = ["router"]

router = APIRouter(
    prefix="/console",
    route_class=ConsoleRoute,
    include_in_schema=False,
    dependencies=[Depends(authorise)],  # the role table, for every route below
)

_KEYS = ("topic", "language", "country", "city", "service")


@router.get("/marketing")
def audiences(request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff) -> Response:
    """Build an audience from filters: its count and a preview of a few, by initials."""
    params = request.query_params
    pairs = [(key, value) for key in _KEYS for value in params.getlist(key) if value.strip()]
    chosen = {key: params.getlist(key) for key in _KEYS}
    audience: Audience | None = None
    error: str | None = None
    if params.get("run"):
        try:
            wanted = parse_filters(pairs)
            audience = ctx.marketing.audience(uow, staff, wanted)
        except InvalidFilter as refused:
            error = str(refused)
        except InvalidField as refused:
            error = str(refused)
    response = _page(
        request,
        "console/marketing.html.j2",
        staff,
        topics=[(t.id, t.name) for t in ctx.preferences.topics],
        services=[(s.id, s.name) for s in ctx.preferences.services],
        language_ids=ctx.preferences.languages,
        chosen=chosen,
        audience=audience,
        error=error,
    )
    if error is not None:
        response.status_code = 422
    return response
