"""The console's page of deliveries to processors (issue 14 item 2, LEGAL L11).

    GET /console/processors   every delivery of a consent, objection or suppression change to
                              a processor, failing ones first: state, attempts (each with its
                              status and error), next attempt, acknowledgement; the person by
                              pseudonym, never an address; and the processors the engine
                              cannot tell (no ``notify`` block in the policy)

Only the privacy officer opens it (the role table).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from privaat.i18n import N_
from privaat.web.console.access import ConsoleRoute, CurrentStaff, authorise
from privaat.web.console.routes import _page
from privaat.web.deps import ContextDep, UowDep

__all__ = ["STATE_WORDS", "router"]

router = APIRouter(
    prefix="/console",
    route_class=ConsoleRoute,
    include_in_schema=False,
    dependencies=[Depends(authorise)],  # the role table, for every route below
)

STATE_WORDS = {
    "pending": N_("waiting for its first attempt"),
    "failing": N_("failing: retried later"),
    "acknowledged": N_("acknowledged"),
    "mailed": N_("sent by e-mail through the outbox"),
}
MAIL_WORDS = {
    "queued": N_("in the outbox"),
    "sent": N_("handed to the mail server"),
    "given up": N_("given up by the outbox"),
    "gone": N_("no longer in the outbox"),
}


@router.get("/processors")
def deliveries(request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff) -> Response:
    """The deliveries, failing first, with their attempts."""
    rows = ctx.processors.deliveries(uow)
    attempts = ctx.processors.attempts(uow, [row.id for row in rows])
    return _page(
        request,
        "console/processors.html.j2",
        staff,
        rows=rows,
        attempts=attempts,
        failing=sum(1 for row in rows if row.state.value == "failing"),
        untold=ctx.processors.untold(),
        state_words=STATE_WORDS,
        mail_words=MAIL_WORDS,
    )
