"""Commands: ``audit verify`` (recompute the hash chain of the audit trail).

Once checkpoints exist (``audit checkpoint``, ``audit prune`` in ``cli.lifecycle``), verifying
checks their signatures too, and a pruned trail from its checkpoint: that needs the master
key; a trail without checkpoints verifies without it."""

from __future__ import annotations

import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from privaat.bootstrap import open_database, open_master_key
from privaat.cli._apps import audit_app
from privaat.settings import Settings
from privaat.store.audit import AuditTrail
from privaat.store.audit_checkpoints import AuditCheckpoints, checkpoints_exist
from privaat.store.key_errors import KeyStoreError
from privaat.store.key_store import KeyStore
from privaat.store.unit_of_work import UnitOfWork


@audit_app.command()
def verify() -> None:
    """Check every entry's hash and link; exit 1 and name the first broken entry if any."""
    try:
        settings = Settings()
    except ValidationError as error:
        typer.echo(f"privaat: invalid PRIVAAT_ settings: {error}", err=True)
        raise typer.Exit(2) from None
    engine = open_database(settings)
    try:
        with UnitOfWork(engine) as uow, uow.reading() as conn:
            if checkpoints_exist(conn):
                keys = KeyStore(open_master_key(settings, create=False))
                verdict = AuditCheckpoints(keys).verify(conn)
            else:
                verdict = AuditTrail.verify(conn)
            head = AuditTrail.head(conn) if verdict.ok else None
    except KeyStoreError as error:
        typer.echo(f"privaat: cannot check the audit checkpoints: {error}", err=True)
        raise typer.Exit(2) from None
    except SQLAlchemyError as error:
        reason = str(error.orig if hasattr(error, "orig") else error).splitlines()[0]
        typer.echo(f"privaat: cannot read the audit trail: {reason}", err=True)
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    if not verdict.ok:
        typer.echo(f"audit trail broken at entry {verdict.first_broken_seq}: {verdict.reason}")
        raise typer.Exit(1)
    typer.echo(f"audit trail intact: {verdict.entries_checked} entries")
    if head is not None:
        # the chain cannot show its newest entries being removed: record this line elsewhere
        typer.echo(f"head: entry {head[0]}, hash {head[1]}")
