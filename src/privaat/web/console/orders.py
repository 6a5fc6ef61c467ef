"""The console's orders, their fraud reasons and the manual review queue (issue 12 items 4, 6).

    GET  /console/orders                       every order: reference, status, amount (and the
                                               score for the fraud team); nobody's name
    GET  /console/orders/review                the orders a person must review (fraud team);
                                               declared before /{reference}, which would match it
    GET  /console/orders/{reference}           the order, decrypted under shop_orders
                                               (access-logged); the score's reasons only for
                                               the fraud team (L32)
    POST /console/orders/{reference}/review    approve or refuse, with a reason (fraud team);
                                               the customer is told
    POST /console/orders/{reference}/ship      hand it to the carrier: the minimum fields
                                               (L33), recorded as a disclosure (P11)

Every POST is CSRF-checked and answers with a redirect and ``?notice=`` when it worked; a
refused step is the page again with the reason at its form, and nothing changed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from privaat.domain.fraud import Decision
from privaat.domain.principal import StaffMember, StaffRole
from privaat.domain.shop import PRODUCTS, OrderStatus
from privaat.i18n import N_, translations
from privaat.services.errors import Conflict, InvalidField, NotPermitted
from privaat.services.shop import OrderNotFound
from privaat.web.console.access import ConsoleRoute, CurrentStaff, authorise
from privaat.web.console.routes import _page
from privaat.web.deps import ContextDep, UowDep
from privaat.web.pages.csrf import CheckedForm
from privaat.web.pages.layout import notice, page_language, redirect
from privaat.web.pages.orders import COUNTRY_NAMES, PAYMENT_WORDS, STATUS_WORDS, euros
from privaat.web.pages.page_errors import status_page

__all__ = ["router"]

router = APIRouter(
    prefix="/console",
    route_class=ConsoleRoute,
    include_in_schema=False,
    dependencies=[Depends(authorise)],  # the role table, for every route below
)

_NOTICES = {
    "approved": N_("The order is approved; the customer is told."),
    "refused": N_("The order is refused; the customer is told the reason."),
    "shipped": N_("The order is handed to the carrier: only name and delivery address."),
}
DECISION_WORDS = {
    Decision.NONE: N_("no decision yet"),
    Decision.APPROVED: N_("approved"),
    Decision.REFUSED: N_("refused"),
}
_SERVICE_WORDS = {
    "reason": N_("Write the reason: the customer reads it when the order is refused."),
    "decision": N_("Choose approve or refuse."),
    "carrier": N_("Name the carrier, such as PostNL."),
}


def _not_found(request: Request) -> Response:
    page = status_page(request, 404)
    assert page is not None  # noqa: S101  (the site has a 404 page)
    return page


def _rows(request: Request, rows: list[Any], staff: StaffMember) -> list[dict[str, Any]]:
    _ = translations(page_language(request)).gettext
    return [
        {
            "reference": row.reference,
            "placed": row.placed_at.strftime("%Y-%m-%d %H:%M"),
            "total": euros(row.total_cents),
            "status": _(STATUS_WORDS[row.status]),
            "payment": _(PAYMENT_WORDS[row.payment_status]),
            "score": row.score if staff.role is StaffRole.FRAUD else None,
            "in_review": row.status is OrderStatus.IN_REVIEW,
        }
        for row in rows
    ]


@router.get("/orders")
def orders(request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff) -> Response:
    """Every order, newest first; the list names nobody."""
    rows = _rows(request, ctx.shop.all_orders(uow), staff)
    return _page(request, "console/orders.html.j2", staff, rows=rows, review=False, notice=None)


@router.get("/orders/review")
def review_queue(request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff) -> Response:
    """The orders waiting for a person's review (L32)."""
    rows = _rows(request, ctx.shop.all_orders(uow, in_review=True), staff)
    return _page(request, "console/orders.html.j2", staff, rows=rows, review=True, notice=None)


@router.get("/orders/{reference}")
def order_page(
    request: Request, reference: str, ctx: ContextDep, uow: UowDep, staff: CurrentStaff
) -> Response:
    """One order; the fraud team also sees its score and every reason."""
    if not ctx.shop.exists(uow, reference):
        return _not_found(request)
    return _order(request, ctx, uow, staff, reference)


@router.post("/orders/{reference}/review")
def review(
    request: Request,
    reference: str,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    fields: CheckedForm,
) -> Response:
    """A person's decision on an order in review: approve or refuse, with a reason."""
    if not ctx.shop.exists(uow, reference):
        return _not_found(request)
    typed = {"decision": fields.get("decision", ""), "reason": fields.get("reason", "")}
    try:
        decision = Decision(typed["decision"])
    except ValueError:
        decision = Decision.NONE
    try:
        ctx.shop.review(uow, staff, reference, decision, typed["reason"])
    except InvalidField as error:
        return _order(request, ctx, uow, staff, reference, errors={"review": error}, typed=typed)
    except (Conflict, NotPermitted) as error:
        code = 403 if isinstance(error, NotPermitted) else 409
        return _order(
            request, ctx, uow, staff, reference, errors={"review": error}, typed=typed, code=code
        )
    return redirect(f"/console/orders/{reference}?notice={decision.value}")


@router.post("/orders/{reference}/ship")
def ship(
    request: Request,
    reference: str,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    fields: CheckedForm,
) -> Response:
    """Hand the order to the carrier, recorded as a disclosure to the carriers (P11, L33)."""
    if not ctx.shop.exists(uow, reference):
        return _not_found(request)
    try:
        ctx.shop.ship(uow, staff, reference, fields.get("carrier", ""))
    except (InvalidField, Conflict) as error:
        code = 409 if isinstance(error, Conflict) else 422
        return _order(request, ctx, uow, staff, reference, errors={"ship": error}, code=code)
    return redirect(f"/console/orders/{reference}?notice=shipped")


def _order(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: StaffMember,
    reference: str,
    *,
    errors: dict[str, Exception] | None = None,
    typed: dict[str, str] | None = None,
    code: int = 422,
) -> Response:
    _ = translations(page_language(request)).gettext
    try:
        view = ctx.shop.order(uow, staff, reference)
    except OrderNotFound:
        return _not_found(request)
    score = ctx.shop.score_of(uow, staff, reference) if staff.role is StaffRole.FRAUD else None
    messages: dict[str, str] = {}
    for step, error in (errors or {}).items():
        if isinstance(error, InvalidField):
            messages[step] = _(_SERVICE_WORDS.get(error.field, N_("This value is not accepted.")))
        elif isinstance(error, Conflict):
            messages[step] = _(N_("This step is not possible for the order as it stands now."))
        else:
            messages[step] = _(N_("You may not do this."))
    lines = [
        {
            "name": _(PRODUCTS[line.product].name) if line.product in PRODUCTS else line.product,
            "quantity": line.quantity,
            "amount": euros(line.price_cents * line.quantity),
        }
        for line in view.lines
    ]
    response = _page(
        request,
        "console/order.html.j2",
        staff,
        order=view,
        lines=lines,
        total=euros(view.total_cents),
        status=_(STATUS_WORDS[view.status]),
        payment=_(PAYMENT_WORDS[view.payment_status]),
        country=_(COUNTRY_NAMES.get(view.address.country, view.address.country)),
        score=score,
        reasons=[(r.points, r.words(_)) for r in score.reasons] if score else [],
        decision=_(DECISION_WORDS[score.decision]) if score else None,
        can_review=staff.role is StaffRole.FRAUD and view.status is OrderStatus.IN_REVIEW,
        can_ship=view.status is OrderStatus.CONFIRMED,
        step_errors=messages,
        typed=typed or {},
        notice=notice(request, _NOTICES),
    )
    if errors:
        response.status_code = code
    return response
