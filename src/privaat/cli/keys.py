"""Commands: ``keys generate`` (a new master key file) and ``keys rotate`` (re-wrap every key)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from privaat.bootstrap import open_database, open_master_key
from privaat.cli._apps import keys_app
from privaat.settings import Settings
from privaat.store.crypto import MasterKey
from privaat.store.key_errors import KeyStoreError
from privaat.store.key_rotation import rotate_master_key
from privaat.store.master_key import read_master_key_file, write_master_key_file
from privaat.store.unit_of_work import UnitOfWork


def _fail(message: str) -> typer.Exit:
    typer.echo(f"privaat: {message}", err=True)
    return typer.Exit(1)


@keys_app.command()
def generate(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="File to create (mode 0600); never overwritten.")
    ],
) -> None:
    """Write a new random master key (base64 of 32 bytes) to a new file only you can read."""
    key = MasterKey.generate()
    try:
        write_master_key_file(output, key)
    except FileExistsError:
        raise _fail(f"{output} already exists; a master key file is never overwritten") from None
    except OSError as error:
        raise _fail(f"cannot write {output}: {error.strerror or error}") from None
    typer.echo(f"wrote master key {key.id} to {output} (mode 0600)")
    typer.echo("Keep a copy offline: without it, every encrypted field is lost.")


@keys_app.command()
def rotate(
    new_key_file: Annotated[
        Path, typer.Option("--new-key-file", help="The new master key (from `keys generate`).")
    ],
    old_key_file: Annotated[
        Path | None,
        typer.Option("--old-key-file", help="The current master key; default: the configured one."),
    ] = None,
) -> None:
    """Re-wrap every data key and system key under a new master key, in one transaction."""
    try:
        settings = Settings()
    except ValidationError as error:
        raise _fail(f"invalid PRIVAAT_ settings: {error}") from None
    try:
        new = read_master_key_file(new_key_file, require_private=True)
        if old_key_file is not None:
            old = read_master_key_file(old_key_file, require_private=True)
        else:
            old = open_master_key(settings, create=False)
    except KeyStoreError as error:
        raise _fail(str(error)) from None
    engine = open_database(settings)
    try:
        with UnitOfWork(engine) as uow, uow.writing() as conn:
            report = rotate_master_key(conn, old, new)
    except KeyStoreError as error:
        raise _fail(f"rotation refused, nothing changed: {error}") from None
    except SQLAlchemyError as error:
        reason = str(error.orig if hasattr(error, "orig") else error).splitlines()[0]
        raise _fail(f"rotation failed, nothing changed: database error: {reason}") from None
    finally:
        engine.dispose()
    typer.echo(f"rotated master key {report.old_key_id} -> {report.new_key_id}")
    typer.echo(f"  subject keys re-wrapped: {report.subject_keys_rewrapped}")
    typer.echo(f"  hold keys re-wrapped:    {report.hold_keys_rewrapped}")
    typer.echo(f"  system keys re-wrapped:  {report.system_keys_rewrapped}")
    typer.echo(f"  already on the new key:  {report.already_on_new_key}")
    typer.echo(
        f"Now point PRIVAAT_MASTER_KEY_FILE at {new_key_file} (and unset PRIVAAT_MASTER_KEY) "
        "and restart every privaat process. Keep the old key only while backups made under "
        "it must stay restorable, then destroy it (LEGAL L64)."
    )
