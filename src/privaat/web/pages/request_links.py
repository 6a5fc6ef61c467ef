"""The links of a data-subject request: its confirmation (issue 11 item 2; LEGAL L57), the
download of its answer (item 4; L61) and an external processor's manual task (issue 15 item
3; art. 28(3)(e)).

The acknowledgement of a request sent by e-mail carries a one-time link to the address the
request came from (the account's, when it has one). Opening it shows one button; pressing it
confirms that the person controls that address, and only then does anything personal go out.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from privaat.domain.request_tasks import TaskDone
from privaat.i18n import translations
from privaat.services.errors import InvalidField
from privaat.services.request_tasks import LinkSpent
from privaat.web.deps import ContextDep, UowDep
from privaat.web.pages.csrf import CheckedForm
from privaat.web.pages.layout import page_language, render
from privaat.web.pages.page_errors import PageRoute
from privaat.web.task_words import EVIDENCE_MESSAGES

__all__ = ["router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/requests/confirm")
def confirm_page(request: Request, token: str = "") -> Response:
    """One button: a mail scanner that opens the link confirms nothing."""
    return render(request, "request_confirm.html.j2", token=token[:128], state="ask")


@router.post("/requests/confirm")
def confirm(request: Request, ctx: ContextDep, uow: UowDep, fields: CheckedForm) -> Response:
    """Spend the link: the request is confirmed as the person's."""
    try:
        reference = ctx.requests.confirm(uow, fields.get("token", ""))
    except InvalidField:  # unknown, used, expired, or the request moved on: one answer
        return render(
            request, "request_confirm.html.j2", status_code=422, token="", state="invalid"
        )
    return render(request, "request_confirm.html.j2", token="", state="done", reference=reference)


@router.get("/requests/download")
def download_page(request: Request, token: str = "") -> Response:
    """One button: a mail scanner that opens the link downloads nothing."""
    return render(request, "request_download.html.j2", token=token[:128], invalid=False)


@router.post("/requests/download")
def download(request: Request, ctx: ContextDep, uow: UowDep, fields: CheckedForm) -> Response:
    """The answer's ZIP, while the link lives (7 days)."""
    try:
        name, package = ctx.answers.download(uow, fields.get("token", ""))
    except InvalidField:
        return render(request, "request_download.html.j2", status_code=422, token="", invalid=True)
    return Response(
        content=package,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",  # personal data: never in a shared or browser cache
        },
    )


@router.get("/requests/task")
def task_page(request: Request, ctx: ContextDep, uow: UowDep, token: str = "") -> Response:
    """The processor's task and its form: opening the link spends nothing."""
    try:
        task = ctx.tasks.link(uow, token[:128])
    except LinkSpent:
        return render(request, "request_task.html.j2", status_code=410, state="invalid")
    return render(request, "request_task.html.j2", state="ask", task=task, token=token[:128])


@router.post("/requests/task")
def task_confirm(request: Request, ctx: ContextDep, uow: UowDep, fields: CheckedForm) -> Response:
    """Confirm the task with its evidence: done, and the link spent."""
    token = fields.get("token", "")[:128]
    evidence = TaskDone(note=fields.get("note", ""), checked=fields.get("checked") == "on")
    try:
        ctx.tasks.confirm(uow, token, evidence)
    except LinkSpent:
        return render(request, "request_task.html.j2", status_code=410, state="invalid")
    except InvalidField as refused:
        task = ctx.tasks.link(uow, token)
        words = translations(page_language(request)).gettext
        error = words(EVIDENCE_MESSAGES.get(refused.field, EVIDENCE_MESSAGES["note"]))
        return render(
            request,
            "request_task.html.j2",
            status_code=422,
            state="ask",
            task=task,
            token=token,
            error=error,
        )
    return render(request, "request_task.html.j2", state="done")
