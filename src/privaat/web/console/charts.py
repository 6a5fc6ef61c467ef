"""Console pages: consent rates and withdrawals as charts (issue 10 item 8)."""

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
