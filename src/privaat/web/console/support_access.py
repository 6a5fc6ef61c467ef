"""The console's support access: accounts opened under the customer's live grant (L29).

    GET  /console/support-access                        the live grants: whose, until when
    GET  /console/support-access/{grant_id}             the account's sections under one grant
    GET  /console/support-access/{grant_id}/{section}   one section's fields

Every request asks the service again whether the grant is live (not revoked, not ended, its
consent counting), so a revocation ends an agent's access at the very next request; no
grant, an ended one, or an id that names none: the same 403 page. Each page opened is a
``support_access_views`` row and an access-log entry, written before the page returns.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from privaat.domain.errors import AccessDenied
from privaat.i18n import N_
from privaat.services.errors import InvalidField
from privaat.services.support_access import NoLiveGrant
from privaat.web.console.access import ConsoleRoute, CurrentStaff, authorise
from privaat.web.console.routes import _page
from privaat.web.deps import ContextDep, UowDep
from privaat.web.pages.layout import page_language
from privaat.web.pages.page_errors import error_page
from privaat.web.pages.support_access import moment_words

__all__ = ["router"]

router = APIRouter(
    prefix="/console",
    route_class=ConsoleRoute,
    include_in_schema=False,
    dependencies=[Depends(authorise)],  # the role table, for every route below
)

_NO_GRANT = N_(
    "There is no live support access with this number. The customer did not grant it, "
    "withdrew it, or it ended. Ask the customer to grant access on their account page."
)


@router.get("/support-access")
def live_grants(request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff) -> Response:
    """The live grants, soonest end first."""
    grants = ctx.support_access.live_grants(uow, staff)
    return _page(
        request,
        "console/support_access.html.j2",
        staff,
        grants=grants,
        when=moment_words(page_language(request)),
    )


@router.get("/support-access/{grant_id}")
def grant_overview(
    request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff, grant_id: str
) -> Response:
    """The account's sections under one live grant (the view is recorded)."""
    return _section(request, ctx, uow, staff, grant_id, None)


@router.get("/support-access/{grant_id}/{section}")
def grant_section(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    grant_id: str,
    section: str,
) -> Response:
    """One section of the account under a live grant (the view is recorded)."""
    return _section(request, ctx, uow, staff, grant_id, section)


def _section(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    grant_id: str,
    section: str | None,
) -> Response:
    # an id that is no number names no grant: the same refusal as any other (no oracle)
    if not grant_id.isdigit() or len(grant_id) > 18:
        return error_page(request, 403, N_("No support access"), _NO_GRANT)
    try:
        view = ctx.support_access.open_section(uow, staff, int(grant_id), section)
    except (NoLiveGrant, AccessDenied):  # AccessDenied: its consent no longer counts
        return error_page(request, 403, N_("No support access"), _NO_GRANT)
    except InvalidField:
        return error_page(
            request, 404, N_("Page not found"), N_("There is no page at this address.")
        )
    finally:
        # L29: the record of what staff opened is durable before the page is shown
        ctx.access_log.flush()
    return _page(
        request,
        "console/support_access_grant.html.j2",
        staff,
        view=view,
        when=moment_words(page_language(request)),
    )
