"""The console's page of the newest tracker scan (issue 14 item 3; L39, L44, L45).

    GET /console/scans   the newest ``privaat scan``: the site, when, the pages of each pass
                         and how they went, and its findings held against the policy in force
                         now (so a changed cookie table shows at once, as ``scan --check``)

A scan holds no personal data; the privacy officer and administrators open it (the role
table). Scans are made with the command, not here.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from privaat.domain.tracker_scan import declarations, findings
from privaat.render.tracker_scan_report import KIND_TITLES, PASS_TITLES
from privaat.services.tracker_scans import TrackerScans
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


@router.get("/scans")
def last_scan(request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff) -> Response:
    """The newest scan and its findings against today's policy."""
    scan = TrackerScans().last(uow)
    found = [] if scan is None else findings(scan.observed, declarations(ctx.policy))
    return _page(
        request,
        "console/scans.html.j2",
        staff,
        scan=scan,
        violations=[f for f in found if f.violation],
        information=[f for f in found if not f.violation],
        kind_titles=KIND_TITLES,
        pass_titles=PASS_TITLES,
    )
