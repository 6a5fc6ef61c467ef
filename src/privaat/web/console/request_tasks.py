"""Console: a request's manual tasks and its four-eyes approval, on the request's page (issue
15 items 3-4). Each POST calls one method of ``ctx.tasks``::

    POST /console/requests/{reference}/tasks/{system}/done    note, checked, file (multipart)
    POST /console/requests/{reference}/tasks/{system}/waive   reason
    POST /console/requests/{reference}/approve                step (erase | answer)
    GET  /console/tasks                                        a role's own open tasks
    POST /console/tasks/{reference}/{system}/done             as above, from that list

CSRF-checked as every step; success is a 303 to the page with ``?notice=``; a refusal is the
page again with the reason next to the task's form, and the status of the service's error
(422 evidence missing or a wrong file, 409 a task no longer open or an approval by the one
who asked, 403 another role); the service ran in one transaction, so nothing changed.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from privaat.domain.request_tasks import Step, TaskDone
from privaat.i18n import N_, translations
from privaat.services.errors import Conflict, InvalidField, NotPermitted, ServiceError
from privaat.services.request_tasks import MAX_FILE_BYTES
from privaat.services.subject_requests import RequestNotFound
from privaat.web.console.access import ConsoleRoute, CurrentStaff, authorise
from privaat.web.console.calls import CheckedUpload
from privaat.web.console.requests import _detail_page, _not_found
from privaat.web.console.routes import _page
from privaat.web.deps import ContextDep, UowDep
from privaat.web.pages.csrf import CheckedForm
from privaat.web.pages.layout import notice, page_language, redirect
from privaat.web.task_words import EVIDENCE_MESSAGES

__all__ = ["router"]

router = APIRouter(
    prefix="/console",
    route_class=ConsoleRoute,
    include_in_schema=False,
    dependencies=[Depends(authorise)],  # the role table: the privacy officer only
)

# the words for each refused field (the service's InvalidField.field) and conflict
_MESSAGES = {
    **EVIDENCE_MESSAGES,
    "system": N_("This request has no such task."),
    "conflict": N_("This task is no longer open."),
    "forbidden": N_("This task is for another role or the privacy officer."),
    "same": N_("The officer who asked for this step cannot approve it: another one must."),
    "approve": N_("There is nothing to approve for this step now."),
}


def _refused(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    reference: str,
    where: str,
    error: ServiceError,
) -> Response:
    if isinstance(error, RequestNotFound):
        return _not_found(request)
    key, status = _key(error)
    if where == "approve" and status == 409:
        key = "same" if "cannot approve" in str(error) else "approve"
    message = translations(page_language(request)).gettext(_MESSAGES[key])
    return _detail_page(
        request, ctx, uow, staff, reference, step_errors={where: {"": message}}, status=status
    )


async def _hand_in(
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    reference: str,
    system: str,
    sent: tuple[dict[str, str], UploadFile | None],
) -> None:
    """The posted evidence (a note, the box, at most one file) handed to ``ctx.tasks.done``."""
    fields, upload = sent
    data = await upload.read(MAX_FILE_BYTES + 1) if upload is not None else b""
    name = (upload.filename or "evidence") if upload is not None and data else None
    if upload is not None:
        await upload.close()
    evidence = TaskDone(
        note=fields.get("note", ""), checked=fields.get("checked") == "on", file_name=name
    )
    await run_in_threadpool(ctx.tasks.done, uow, staff, reference, system, evidence, data or None)


@router.post("/requests/{reference}/tasks/{system}/done")
async def task_done(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    reference: str,
    system: str,
    sent: CheckedUpload,
) -> Response:
    """Mark a manual task done with its evidence: a note, the box, a file."""
    try:
        await _hand_in(ctx, uow, staff, reference, system, sent)
    except (InvalidField, NotPermitted, Conflict, RequestNotFound) as error:
        return await run_in_threadpool(
            _refused, request, ctx, uow, staff, reference, f"task-{system}", error
        )
    return redirect(f"/console/requests/{reference}?notice=task-done")


@router.post("/requests/{reference}/tasks/{system}/waive")
def task_waive(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    reference: str,
    system: str,
    fields: CheckedForm,
) -> Response:
    """Waive a manual task that is not needed, with the reason."""
    try:
        ctx.tasks.waive(uow, staff, reference, system, fields.get("reason", ""))
    except (InvalidField, NotPermitted, Conflict, RequestNotFound) as error:
        return _refused(request, ctx, uow, staff, reference, f"task-{system}", error)
    return redirect(f"/console/requests/{reference}?notice=task-waived")


@router.post("/requests/{reference}/approve")
def approve(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    reference: str,
    fields: CheckedForm,
) -> Response:
    """A second privacy officer approves the step another one asked for."""
    try:
        step = Step(fields.get("step", ""))
    except ValueError:
        error: ServiceError = Conflict("no such step")
        return _refused(request, ctx, uow, staff, reference, "approve", error)
    try:
        ctx.tasks.approve(uow, staff, reference, step)
    except (NotPermitted, Conflict, RequestNotFound) as refused:
        return _refused(request, ctx, uow, staff, reference, "approve", refused)
    return redirect(f"/console/requests/{reference}?notice=approved")


# --- a role's own list: the tasks of every request its role does (the PBX for the support
# team leader); the request pages stay the privacy officer's


@router.get("/tasks")
def tasks_page(request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff) -> Response:
    """The open tasks this staff member's role does, soonest due first."""
    return _tasks_page(request, ctx, uow, staff)


def _tasks_page(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    response = _page(
        request,
        "console/tasks.html.j2",
        staff,
        listed=ctx.tasks.open_for(uow, staff),
        errors=errors or {},
        notice=notice(request, {"task-done": N_("The task is done; its evidence is kept.")}),
        utc=lambda at: at.strftime("%Y-%m-%d %H:%M"),
    )
    response.status_code = status
    return response


@router.post("/tasks/{reference}/{system}/done")
async def role_task_done(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    reference: str,
    system: str,
    sent: CheckedUpload,
) -> Response:
    """Mark one's own role's task done with its evidence, from the list."""
    try:
        await _hand_in(ctx, uow, staff, reference, system, sent)
    except (InvalidField, NotPermitted, Conflict, RequestNotFound) as error:
        key, status = _key(error)
        words = translations(page_language(request)).gettext
        errors = {f"{reference}-{system}": words(_MESSAGES[key])}
        return await run_in_threadpool(
            lambda: _tasks_page(request, ctx, uow, staff, errors=errors, status=status)
        )
    return redirect("/console/tasks?notice=task-done")


def _key(error: ServiceError) -> tuple[str, int]:
    if isinstance(error, InvalidField):
        return (error.field if error.field in _MESSAGES else "note"), 422
    if isinstance(error, NotPermitted):
        return "forbidden", 403
    if isinstance(error, RequestNotFound):
        return "system", 404
    return "conflict", 409
