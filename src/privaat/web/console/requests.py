"""Console pages: the queue of data-subject requests and each request (issue 11 item 11)."""

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
