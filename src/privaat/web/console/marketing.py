"""Console pages: audiences and campaigns for the marketing role (issue 10 item 4)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from privaat.web.console.access import ConsoleRoute, authorise

__all__ = ["router"]

router = APIRouter(
    prefix="/console",
    route_class=ConsoleRoute,
    include_in_schema=False,
    dependencies=[Depends(authorise)],  # the role table, for every route below
)
