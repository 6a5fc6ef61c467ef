"""Console: the steps that carry out a request, on its page (issue 11 items 5-8, 11; GDPR
art. 16-19, 21; LEGAL L64-L67). Each POST calls one method of ``ctx.rights``::

    POST /console/requests/{reference}/rectify   set-<field>=value …  → rights.rectify
    POST /console/requests/{reference}/erase     confirm=on            → rights.erase
    POST /console/requests/{reference}/restrict  scope=all|some, activity-<id>, category-<id>
                                                                       → rights.restrict
    POST /console/requests/{reference}/lift      days (≥ 7)            → rights.lift
    POST /console/requests/{reference}/object    activity              → rights.object
    POST /console/requests/{reference}/grounds   activity, reason      → rights.grounds
    POST /console/requests/{reference}/uphold                          → rights.uphold

As the other steps of the page (requests.py): CSRF-checked (CheckedForm); success is a 303 to
the page with ``?notice=`` — but an erasure, whose result (what was kept, why, until when,
the receipt's SHA-256) exists only in the answer of its step, shows the page at once with
that result (no-store). A refusal is the page again with the reason next to the step's form
and the status of the service's error: 409 Conflict (and a waiting or unverified erasure),
422 InvalidField, 403 NotPermitted, 404 RequestNotFound; the service ran in one transaction,
so nothing changed.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from privaat.i18n import N_, translations
from privaat.services.erasure import ErasureIncomplete, ErasureWaits
from privaat.services.errors import Conflict, InvalidField, NotPermitted, ServiceError
from privaat.services.objections import ObjectionFinal
from privaat.services.rectification import CORRECTABLE
from privaat.services.subject_requests import RequestNotFound
from privaat.web.console.access import ConsoleRoute, CurrentStaff, authorise
from privaat.web.console.requests import FIELD_LABELS, _detail_page, _not_found
from privaat.web.deps import ContextDep, UowDep
from privaat.web.pages.csrf import CheckedForm
from privaat.web.pages.forms import Form
from privaat.web.pages.layout import page_language, redirect

__all__ = ["router"]

router = APIRouter(
    prefix="/console",
    route_class=ConsoleRoute,
    include_in_schema=False,
    dependencies=[Depends(authorise)],  # the role table: the privacy officer only
)

_MESSAGES = {
    "conflict": N_("This step is not possible for this request now."),
    "final": N_(
        "An objection to direct marketing is absolute: no grounds override it (GDPR art. 21(3))."
    ),
    "waits": N_(
        "A legal hold keeps this person's data for legal claims: the erasure waits "
        "until the hold is lifted. Nothing was erased."
    ),
    "incomplete": N_(
        "The erasure could not be verified: something that should be gone was "
        "still there. Nothing was erased; tell the administrator."
    ),
    "forbidden": N_("Only a privacy officer may take this step."),
    "field": N_("Not accepted: correct this value."),
    "fields": N_("Fill in at least one field to correct."),
    "confirm": N_("Tick the box to confirm: an erasure cannot be undone."),
    "scope": N_("Choose at least one activity or data category, or restrict all processing."),
    "days": N_(
        "Give at least 7 days' notice: the person is told before the restriction "
        "ends (GDPR art. 18(3))."
    ),
    "activity": N_(
        "Choose the activity the request objects to, from those the policy offers an objection to."
    ),
    "declared": N_("Choose only activities and data categories the policy declares."),
    "reason": N_("State the compelling grounds: the requester reads them and may complain."),
}
# the fields each step's form has: an InvalidField for another is shown above the form
_FORM_FIELDS = {
    "rectify": frozenset(CORRECTABLE),
    "erase": frozenset({"confirm"}),
    "restrict": frozenset({"scope"}),
    "lift": frozenset({"days"}),
    "object": frozenset({"activity"}),
    "grounds": frozenset({"activity", "reason"}),
    "uphold": frozenset(),
}
_FIELD_KEYS = frozenset({"fields", "confirm", "scope", "days", "activity", "reason"})


def _refused(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    reference: str,
    step: str,
    fields: dict[str, str],
    *,
    key: str,
    status: int,
    field: str = "",
    detail: str = "",
) -> Response:
    """The page again, ``key``'s words next to the step's form (or its ``field``)."""
    gettext = translations(page_language(request)).gettext
    message = gettext(_MESSAGES[key])
    if detail:  # the service's own words: references, field names, policy ids, dates
        message = f"{message} ({detail})"
    where = field if field in _FORM_FIELDS[step] else ""
    return _detail_page(
        request,
        ctx,
        uow,
        staff,
        reference,
        step_errors={step: {where: message}},
        typed={step: fields},
        status=status,
    )


def _service_refused(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    reference: str,
    step: str,
    fields: dict[str, str],
    error: ServiceError,
) -> Response:
    """A service's refusal as the page: its status, its words in the page's language."""
    if isinstance(error, RequestNotFound):
        return _not_found(request)
    args = (request, ctx, uow, staff, reference, step, fields)
    if isinstance(error, InvalidField):
        key = error.field if error.field in _FIELD_KEYS else "field"
        if step == "restrict" and error.field in ("activity", "category"):
            key = "declared"
        # the service's words name the field or the id it did not know: shown with ours
        detail = str(error) if key in ("field", "declared") else ""
        return _refused(*args, key=key, status=422, field=error.field, detail=detail)
    if isinstance(error, NotPermitted):
        return _refused(*args, key="forbidden", status=403)
    if isinstance(error, ErasureWaits):
        return _refused(*args, key="waits", status=409)
    if isinstance(error, ErasureIncomplete):
        return _refused(*args, key="incomplete", status=409)
    if isinstance(error, ObjectionFinal):
        return _refused(*args, key="final", status=409)
    return _refused(*args, key="conflict", status=409, detail=str(error))


_REFUSED = (
    RequestNotFound,
    InvalidField,
    NotPermitted,
    Conflict,
    ErasureWaits,
    ErasureIncomplete,
)


@router.post("/requests/{reference}/rectify")
def rectify(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    reference: str,
    fields: CheckedForm,
) -> Response:
    """Correct the account (art. 16): the fields filled in; an empty one stays as it is."""
    typed = {n.removeprefix("set-"): v for n, v in fields.items() if n.startswith("set-")}
    form = Form(page_language(request), "step-rectify", FIELD_LABELS, typed)
    changes: dict[str, str | None] = {}
    for field in typed:
        value = form.text(field)  # the text rule (NFC, trimmed, no control characters)
        if value is not None:
            changes[field] = value
    if form.invalid:
        [field, *_] = [*form.errors, ""]
        return _refused(
            request,
            ctx,
            uow,
            staff,
            reference,
            "rectify",
            fields,
            key="field",
            status=422,
            field=field,
        )
    try:
        ctx.rights.rectify(uow, staff, reference, changes)
    except _REFUSED as error:
        return _service_refused(request, ctx, uow, staff, reference, "rectify", fields, error)
    return redirect(f"/console/requests/{reference}?notice=rectify")


@router.post("/requests/{reference}/erase")
def erase(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    reference: str,
    fields: CheckedForm,
) -> Response:
    """Erase the requester (art. 17), once the officer confirmed it; the result at once."""
    if "confirm" not in fields:  # an erasure cannot be undone: the box is the second look
        return _refused(
            request,
            ctx,
            uow,
            staff,
            reference,
            "erase",
            fields,
            key="confirm",
            status=422,
            field="confirm",
        )
    try:
        done = ctx.rights.erase(uow, staff, reference)
    except _REFUSED as error:
        return _service_refused(request, ctx, uow, staff, reference, "erase", fields, error)
    # the result (kept, why, until when, the receipt's hash) is this answer's alone: shown
    # now, not kept in the address; the browser keeps no copy of it
    response = _detail_page(request, ctx, uow, staff, reference, erased=done)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/requests/{reference}/restrict")
def restrict(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    reference: str,
    fields: CheckedForm,
) -> Response:
    """Restrict processing (art. 18): all of it, or the activities and categories ticked."""
    activities = [n.removeprefix("activity-") for n in fields if n.startswith("activity-")]
    categories = [n.removeprefix("category-") for n in fields if n.startswith("category-")]
    if fields.get("scope") != "some":
        activities, categories = [], []  # the whole person: nothing ticked counts
    elif not activities and not categories:
        return _refused(
            request,
            ctx,
            uow,
            staff,
            reference,
            "restrict",
            fields,
            key="scope",
            status=422,
            field="scope",
        )
    try:
        ctx.rights.restrict(uow, staff, reference, activities=activities, categories=categories)
    except _REFUSED as error:
        return _service_refused(request, ctx, uow, staff, reference, "restrict", fields, error)
    return redirect(f"/console/requests/{reference}?notice=restrict")


@router.post("/requests/{reference}/lift")
def lift(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    reference: str,
    fields: CheckedForm,
) -> Response:
    """Tell the person the restriction ends in ``days`` days (art. 18(3), L65)."""
    text = fields.get("days", "").strip()
    if not text.isdigit() or len(text) > 4:
        return _refused(
            request,
            ctx,
            uow,
            staff,
            reference,
            "lift",
            fields,
            key="days",
            status=422,
            field="days",
        )
    try:
        ctx.rights.lift(uow, staff, reference, days=int(text))
    except _REFUSED as error:
        return _service_refused(request, ctx, uow, staff, reference, "lift", fields, error)
    return redirect(f"/console/requests/{reference}?notice=lift")


@router.post("/requests/{reference}/object")
def object_(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    reference: str,
    fields: CheckedForm,
) -> Response:
    """Record the objection (art. 21): the processing stops for the person at once."""
    activity = fields.get("activity", "")
    if not activity:
        return _refused(
            request,
            ctx,
            uow,
            staff,
            reference,
            "object",
            fields,
            key="activity",
            status=422,
            field="activity",
        )
    try:
        taken = ctx.rights.object(uow, staff, reference, activity=activity)
    except _REFUSED as error:
        return _service_refused(request, ctx, uow, staff, reference, "object", fields, error)
    key = "object_done" if taken.completed else "object"
    return redirect(f"/console/requests/{reference}?notice={key}")


@router.post("/requests/{reference}/grounds")
def grounds(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    reference: str,
    fields: CheckedForm,
) -> Response:
    """The privacy officer's decision that compelling grounds override it (art. 21(1))."""
    form = Form(page_language(request), "step-grounds", {"reason": "reason"}, fields)
    reason = form.text("reason", multiline=True) or ""
    try:
        ctx.rights.grounds(
            uow, staff, reference, activity=fields.get("activity", ""), reason=reason
        )
    except _REFUSED as error:
        return _service_refused(request, ctx, uow, staff, reference, "grounds", fields, error)
    return redirect(f"/console/requests/{reference}?notice=grounds")


@router.post("/requests/{reference}/uphold")
def uphold(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    reference: str,
    fields: CheckedForm,
) -> Response:
    """The objection stands: the person is told, the request completes."""
    try:
        ctx.rights.uphold(uow, staff, reference)
    except _REFUSED as error:
        return _service_refused(request, ctx, uow, staff, reference, "uphold", fields, error)
    return redirect(f"/console/requests/{reference}?notice=uphold")
