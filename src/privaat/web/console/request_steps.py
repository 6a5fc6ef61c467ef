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

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from privaat.bootstrap import Context
from privaat.domain.principal import StaffMember
from privaat.i18n import N_, translations
from privaat.services.erasure import ErasureIncomplete, ErasureWaits
from privaat.services.errors import Conflict, InvalidField, NotPermitted, ServiceError
from privaat.services.objections import ObjectionFinal
from privaat.services.rectification import CORRECTABLE
from privaat.services.request_tasks import ApprovalDenied, ApprovalPending, TasksOpen
from privaat.services.subject_requests import RequestNotFound
from privaat.store.unit_of_work import UnitOfWork
from privaat.web.console.access import ConsoleRoute, CurrentStaff, authorise
from privaat.web.console.requests import FIELD_LABELS, _detail_page, _not_found
from privaat.web.deps import ContextDep, UowDep
from privaat.web.pages.csrf import CheckedForm
from privaat.web.pages.forms import Form
from privaat.web.pages.layout import page_language, redirect
from privaat.web.task_words import GATE_MESSAGES

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
    **GATE_MESSAGES,  # the manual tasks and four-eyes approval (web.console.request_tasks)
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


@dataclass(frozen=True, slots=True)
class StepPage:
    """The request page a step is taken on: who takes it, on which request, and the answers
    the step can give (the page again with a refusal next to its form)."""

    request: Request
    ctx: Context
    uow: UnitOfWork
    staff: StaffMember
    reference: str

    @property
    def lang(self) -> str:
        return page_language(self.request)

    def done(self, notice: str) -> Response:
        """Back to the request page, with the step's notice (303)."""
        return redirect(f"/console/requests/{self.reference}?notice={notice}")

    def shown(self, **extra: Any) -> Response:
        return _detail_page(self.request, self.ctx, self.uow, self.staff, self.reference, **extra)

    def refused(
        self,
        step: str,
        fields: dict[str, str],
        *,
        key: str,
        status: int = 422,
        field: str = "",
        detail: str = "",
    ) -> Response:
        """The page again, ``key``'s words next to the step's form (or its ``field``)."""
        message = translations(self.lang).gettext(_MESSAGES[key])
        if detail:  # the service's own words: references, field names, policy ids, dates
            message = f"{message} ({detail})"
        where = field if field in _FORM_FIELDS[step] else ""
        return self.shown(step_errors={step: {where: message}}, typed={step: fields}, status=status)

    def service_refused(self, step: str, fields: dict[str, str], error: ServiceError) -> Response:
        """A service's refusal as the page: its status, its words in the page's language."""
        if isinstance(error, RequestNotFound):
            return _not_found(self.request)
        if isinstance(error, InvalidField):
            key = error.field if error.field in _FIELD_KEYS else "field"
            if step == "restrict" and error.field in ("activity", "category"):
                key = "declared"
            # the service's words name the field or the id it did not know: shown with ours
            detail = str(error) if key in ("field", "declared") else ""
            return self.refused(step, fields, key=key, field=error.field, detail=detail)
        if isinstance(error, NotPermitted):
            return self.refused(step, fields, key="forbidden", status=403)
        for kind, key in _CONFLICTS:
            if isinstance(error, kind):
                return self.refused(step, fields, key=key, status=409)
        return self.refused(step, fields, key="conflict", status=409, detail=str(error))


# the refusals that have words of their own (any other Conflict shows the service's)
_CONFLICTS: tuple[tuple[type[ServiceError], str], ...] = (
    (ErasureWaits, "waits"),
    (ErasureIncomplete, "incomplete"),
    (ObjectionFinal, "final"),
    (TasksOpen, "tasks"),
    (ApprovalPending, "approval"),
    (ApprovalDenied, "denied"),
)


def _step_page(
    request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff, reference: str
) -> StepPage:
    return StepPage(request, ctx, uow, staff, reference)


Page = Annotated[StepPage, Depends(_step_page)]


_REFUSED = (
    RequestNotFound,
    InvalidField,
    NotPermitted,
    Conflict,
    ErasureWaits,
    ErasureIncomplete,
)


@router.post("/requests/{reference}/rectify")
def rectify(page: Page, fields: CheckedForm) -> Response:
    """Correct the account (art. 16): the fields filled in; an empty one stays as it is."""
    typed = {n.removeprefix("set-"): v for n, v in fields.items() if n.startswith("set-")}
    form = Form(page.lang, "step-rectify", FIELD_LABELS, typed)
    changes: dict[str, str | None] = {}
    for field in typed:
        value = form.text(field)  # the text rule (NFC, trimmed, no control characters)
        if value is not None:
            changes[field] = value
    if form.invalid:
        [field, *_] = [*form.errors, ""]
        return page.refused("rectify", fields, key="field", field=field)
    try:
        page.ctx.rights.rectify(page.uow, page.staff, page.reference, changes)
    except _REFUSED as error:
        return page.service_refused("rectify", fields, error)
    return page.done("rectify")


@router.post("/requests/{reference}/erase")
def erase(page: Page, fields: CheckedForm) -> Response:
    """Erase the requester (art. 17), once the officer confirmed it; the result at once."""
    if "confirm" not in fields:  # an erasure cannot be undone: the box is the second look
        return page.refused("erase", fields, key="confirm", field="confirm")
    try:
        done = page.ctx.rights.erase(page.uow, page.staff, page.reference)
    except _REFUSED as error:
        return page.service_refused("erase", fields, error)
    # the result (kept, why, until when, the receipt's hash) is this answer's alone: shown
    # now, not kept in the address; the browser keeps no copy of it
    response = page.shown(erased=done)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/requests/{reference}/restrict")
def restrict(page: Page, fields: CheckedForm) -> Response:
    """Restrict processing (art. 18): all of it, or the activities and categories ticked."""
    activities = [n.removeprefix("activity-") for n in fields if n.startswith("activity-")]
    categories = [n.removeprefix("category-") for n in fields if n.startswith("category-")]
    if fields.get("scope") != "some":
        activities, categories = [], []  # the whole person: nothing ticked counts
    elif not activities and not categories:
        return page.refused("restrict", fields, key="scope", field="scope")
    try:
        page.ctx.rights.restrict(
            page.uow, page.staff, page.reference, activities=activities, categories=categories
        )
    except _REFUSED as error:
        return page.service_refused("restrict", fields, error)
    return page.done("restrict")


@router.post("/requests/{reference}/lift")
def lift(page: Page, fields: CheckedForm) -> Response:
    """Tell the person the restriction ends in ``days`` days (art. 18(3), L65)."""
    text = fields.get("days", "").strip()
    if not text.isdigit() or len(text) > 4:
        return page.refused("lift", fields, key="days", field="days")
    try:
        page.ctx.rights.lift(page.uow, page.staff, page.reference, days=int(text))
    except _REFUSED as error:
        return page.service_refused("lift", fields, error)
    return page.done("lift")


@router.post("/requests/{reference}/object")
def object_(page: Page, fields: CheckedForm) -> Response:
    """Record the objection (art. 21): the processing stops for the person at once."""
    activity = fields.get("activity", "")
    if not activity:
        return page.refused("object", fields, key="activity", field="activity")
    try:
        taken = page.ctx.rights.object(page.uow, page.staff, page.reference, activity=activity)
    except _REFUSED as error:
        return page.service_refused("object", fields, error)
    key = "object_done" if taken.completed else "object"
    return page.done(key)


@router.post("/requests/{reference}/grounds")
def grounds(page: Page, fields: CheckedForm) -> Response:
    """The privacy officer's decision that compelling grounds override it (art. 21(1))."""
    form = Form(page.lang, "step-grounds", {"reason": "reason"}, fields)
    reason = form.text("reason", multiline=True) or ""
    try:
        page.ctx.rights.grounds(
            page.uow, page.staff, page.reference, activity=fields.get("activity", ""), reason=reason
        )
    except _REFUSED as error:
        return page.service_refused("grounds", fields, error)
    return page.done("grounds")


@router.post("/requests/{reference}/uphold")
def uphold(page: Page, fields: CheckedForm) -> Response:
    """The objection stands: the person is told, the request completes."""
    try:
        page.ctx.rights.uphold(page.uow, page.staff, page.reference)
    except _REFUSED as error:
        return page.service_refused("uphold", fields, error)
    return page.done("uphold")
