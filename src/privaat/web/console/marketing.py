"""Console pages: audiences for the marketing role (issue 10 item 4; P4, L13, L15).

``GET /console/marketing?topic=…&language=…&country=…&city=…&service=…&run=1``: the filters
of ``domain.marketing`` from a GET form (a selection changes nothing but the access log),
the count of the people the guard admits and a preview of a few by initials, never the
list. A filter the policy does not offer is the page again with the reason (422).
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Request, Response

from privaat.domain.marketing import Audience, InvalidFilter, parse_filters
from privaat.services.campaigns import CampaignNotFound, SendReport
from privaat.services.errors import InvalidField
from privaat.web.console.access import ConsoleRoute, CurrentStaff, authorise
from privaat.web.console.routes import _page
from privaat.web.deps import ContextDep, UowDep
from privaat.web.pages.csrf import CheckedForm

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
        audience, error = _build(ctx, uow, staff, pairs)
    return _audience_page(request, ctx, staff, chosen, audience, error)


def _build(
    ctx: ContextDep, uow: UowDep, staff: CurrentStaff, pairs: list[tuple[str, str]]
) -> tuple[Audience | None, str | None]:
    try:
        return ctx.marketing.audience(uow, staff, parse_filters(pairs)), None
    except (InvalidFilter, InvalidField) as refused:
        return None, str(refused)


@router.post("/marketing/send")
def send_campaign(
    request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff, fields: CheckedForm
) -> Response:
    """Queue a campaign (services.campaigns) for the audience the filters build now: the
    guard is asked again for every person at send time (L11, L13)."""
    try:
        described = json.loads(fields.get("filters", "{}"))
        pairs = [(str(key), ",".join(map(str, values))) for key, values in described.items()]
    except (ValueError, AttributeError, TypeError):
        pairs = [("filter", "")]
    chosen: dict[str, list[str]] = {key: [] for key in _KEYS}
    audience, error = _build(ctx, uow, staff, pairs)
    report: SendReport | None = None
    if audience is not None:
        try:
            campaign = ctx.campaigns.find(uow, fields.get("campaign", "").strip())
            report = ctx.campaigns.send(uow, staff, campaign.id, audience.subject_ids)
        except CampaignNotFound:
            error = "no campaign has this name"
    return _audience_page(request, ctx, staff, chosen, audience, error, report=report)


def _audience_page(
    request: Request,
    ctx: ContextDep,
    staff: CurrentStaff,
    chosen: dict[str, list[str]],
    audience: Audience | None,
    error: str | None,
    *,
    report: SendReport | None = None,
) -> Response:
    response = _page(
        request,
        "console/marketing.html.j2",
        staff,
        topics=[(t.id, t.name) for t in ctx.preferences.topics],
        services=[(s.id, s.name) for s in ctx.preferences.services],
        language_ids=ctx.preferences.languages,
        chosen=chosen,
        audience=audience,
        filters=json.dumps(audience.filter.described()) if audience is not None else "{}",
        report=report,
        error=error,
    )
    if error is not None:
        response.status_code = 422
    return response
