"""Commands: ``requests tasks``, ``requests task-done`` and ``requests task-waive`` (the manual
tasks of a request, issue 15 item 3). The operator at the command line acts as the privacy
officer, as for every other request step; a four-eyes approval needs two staff accounts and
is given in the console."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from privaat.cli._apps import requests_app
from privaat.cli.requests import OPERATOR, _context, _fail
from privaat.domain.request_tasks import TaskDone
from privaat.services.errors import Conflict, InvalidField, NotPermitted
from privaat.services.request_tasks import MAX_FILE_BYTES, TaskView
from privaat.services.subject_requests import RequestNotFound

_REFUSED = (Conflict, InvalidField, NotPermitted, RequestNotFound)


def _line(task: TaskView) -> str:
    done = f" {task.done_at.date().isoformat()} by {task.done_by}" if task.done_at else ""
    return (
        f"{task.system}\t{task.status.value}\t{task.role}\tdue {task.due_on.isoformat()}"
        f"\tevidence: {', '.join(task.evidence)}{done}"
    )


@requests_app.command("tasks")
def tasks_command(
    reference: str = typer.Argument(..., help="The request's id, e.g. PR-7KQ2M9XD."),
) -> None:
    """List a request's manual tasks: system, status, role, due date, evidence asked."""
    context = _context()
    try:
        with context.unit_of_work() as uow:
            tasks = context.tasks.tasks(uow, OPERATOR, reference)
    except _REFUSED as error:
        raise _fail(str(error), 1) from None
    finally:
        context.close()
    if not tasks:
        typer.echo(f"{reference}: no manual tasks")
    for task in tasks:
        typer.echo(_line(task))


@requests_app.command("task-done")
def task_done_command(
    reference: str = typer.Argument(..., help="The request's id."),
    system: str = typer.Argument(..., help="The manual system, as `requests tasks` lists it."),
    note: str = typer.Option("", "--note", help="What was done."),
    checked: bool = typer.Option(False, "--checked", help="Done as the instructions say."),
    file: Annotated[
        Path | None,
        typer.Option("--file", exists=True, dir_okay=False, help="PDF, PNG, JPEG or text."),
    ] = None,
) -> None:
    """Mark a manual task done with the evidence its system asks for."""
    data = None
    if file is not None:
        if file.stat().st_size > MAX_FILE_BYTES:
            raise _fail(f"--file: larger than {MAX_FILE_BYTES // 1024 // 1024} MB", 2)
        data = file.read_bytes()
    evidence = TaskDone(note=note, checked=checked, file_name=file.name if file else None)
    context = _context()
    try:
        with context.unit_of_work() as uow:
            task = context.tasks.done(uow, OPERATOR, reference, system, evidence, data)
    except _REFUSED as error:
        raise _fail(str(error), 1) from None
    finally:
        context.close()
    typer.echo(_line(task))


@requests_app.command("task-waive")
def task_waive_command(
    reference: str = typer.Argument(..., help="The request's id."),
    system: str = typer.Argument(..., help="The manual system."),
    reason: str = typer.Option(..., "--reason", help="Why the task is not needed."),
) -> None:
    """Waive a manual task that is not needed after all, with the reason."""
    context = _context()
    try:
        with context.unit_of_work() as uow:
            task = context.tasks.waive(uow, OPERATOR, reference, system, reason)
    except _REFUSED as error:
        raise _fail(str(error), 1) from None
    finally:
        context.close()
    typer.echo(_line(task))
