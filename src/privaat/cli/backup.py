"""Commands: backups that keep erasure true (issue 16 item 7; services.backups).

privaat backup create DIR       the data database to DIR, with a manifest (SHA-256)
privaat backup restore FILE     restored, then the list of erasures replayed
privaat backup check [--fix]    listed pseudonyms the data still holds; --fix erases them

Stop the app before a restore. Nothing personal is printed: file names, counts, pseudonyms
are not shown either (a count and the hold that keeps any).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from privaat.cli._apps import app
from privaat.cli.requests import _context, _fail
from privaat.services.backups import Replayed
from privaat.services.errors import Conflict, InvalidField, StorageFull

backup_app = typer.Typer(
    help="Backups of the data, and restores that replay the list of erasures.",
    no_args_is_help=True,
)
app.add_typer(backup_app, name="backup")


@backup_app.command("create")
def create_command(
    directory: Annotated[Path, typer.Argument(help="Where the backup and its manifest go.")],
) -> None:
    """A consistent copy of the data database, with its manifest."""
    context = _context()
    try:
        done = context.backups.create(directory)
    except (InvalidField, Conflict, StorageFull) as error:
        raise _fail(str(error), 1) from None
    finally:
        context.close()
    typer.echo(f"backup {done.path} ({done.size} bytes, sha256 {done.sha256})")


@backup_app.command("restore")
def restore_command(
    file: Annotated[Path, typer.Argument(help="A backup made by `privaat backup create`.")],
) -> None:
    """Restore the data from FILE, then erase again everyone erased since (stop the app first)."""
    context = _context()
    try:
        with context.unit_of_work() as uow:
            replayed = context.backups.restore(uow, file)
    except (InvalidField, Conflict) as error:
        raise _fail(str(error), 1) from None
    finally:
        context.close()
    typer.echo(f"restored {file.name}")
    _report(replayed)


@backup_app.command("check")
def check_command(
    fix: Annotated[bool, typer.Option("--fix", help="Erase the ones still present.")] = False,
) -> None:
    """Listed erasures whose person the data still holds; exit 1 when any is left."""
    context = _context()
    try:
        with context.unit_of_work() as uow:
            replayed = context.backups.replay(uow, fix=fix)
    finally:
        context.close()
    _report(replayed)
    if (replayed.found and not fix) or replayed.waiting:
        raise typer.Exit(1)


def _report(replayed: Replayed) -> None:
    typer.echo(
        f"list of erasures: {replayed.listed} pseudonyms; {len(replayed.found)} still present "
        f"in the data, {replayed.erased} erased again"
    )
    if replayed.waiting:
        typer.echo(f"{len(replayed.waiting)} kept by a legal hold: erase them once it is lifted")
