"""Withdrawal clears the category's cookies from the server too (issue 14 item 4; L42).

When a visitor's choice takes a category from yes to no, the response to
``POST /consent/choices`` carries one expiring ``Set-Cookie`` per cookie the newest scan of
this host saw for the category (its name, domain and path; HttpOnly ones too, which no
script can delete), and per name the policy declares for it (a pattern such as
``_ga_<container-id>`` expanded by the names the scan saw and the request carried). Only
what a browser honours is sent (``domain.tracker_scan.expiry_cookies``): a cookie of another
site's domain cannot be expired by this response, and stays in the scan's report instead.
banner.js still deletes what its script can see, as a second line.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request, Response

from privaat.bootstrap import Context
from privaat.domain.tracker_scan import declarations
from privaat.services.tracker_scans import TrackerScans
from privaat.store.unit_of_work import UnitOfWork
from privaat.web.pages.cookies import is_secure

__all__ = ["expire_withdrawn"]

_SCANS = TrackerScans()


def expire_withdrawn(
    request: Request,
    response: Response,
    ctx: Context,
    uow: UnitOfWork,
    before: Mapping[str, bool],
    after: Mapping[str, bool],
) -> None:
    """Add the expiries of every category ``before`` had and ``after`` has not."""
    withdrawn = [c for c, given in before.items() if given and not after.get(c, False)]
    host = request.url.hostname
    if not withdrawn or not host:
        return  # a category kept, given or refused again expires nothing
    secure = is_secure(request, ctx)
    expiries = _SCANS.expiries(
        uow,
        host,
        withdrawn,
        declarations(ctx.policy),
        request.cookies.keys(),
        secure=secure,
    )
    for expiry in expiries:
        response.headers.append("set-cookie", expiry.header(secure=secure))
