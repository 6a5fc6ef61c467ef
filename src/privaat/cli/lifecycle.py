"""Commands: account inactivity and audit-trail checkpoints (issue 13 item 1).

``jobs close-inactive`` notices and then closes the accounts the policy's
``account_activity`` calls inactive (P20, L52); ``audit checkpoint`` signs the trail's head
and ``audit prune`` deletes the entries older than the security log's retention, up to a
signed checkpoint (L53, ``privaat.store.audit_checkpoints``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import typer
from pydantic import ValidationError
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from privaat.bootstrap import open_database, open_master_key
from privaat.cli._apps import audit_app, jobs_app
from privaat.domain.activities import SECURITY_LOG
from privaat.domain.clock import SystemClock
from privaat.domain.errors import AccessDenied
from privaat.domain.principal import SystemJob
from privaat.policy.loader import PolicyError, load_policy_file
from privaat.services.errors import Conflict
from privaat.settings import Settings
from privaat.store.audit_checkpoints import AuditCheckpoints, NoCheckpoint
from privaat.store.key_errors import KeyStoreError
from privaat.store.key_store import KeyStore
from privaat.store.tables import subjects
from privaat.store.unit_of_work import UnitOfWork

AUDIT_CLI = "system:audit-cli"  # the actor the prune's own audit entry names
KEEP_CLI = SystemJob("inactivity-answer")  # the operator recording the holder's answer


def _fail(message: str) -> typer.Exit:
    typer.echo(f"privaat: {message}", err=True)
    return typer.Exit(2)


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        raise _fail(f"invalid PRIVAAT_ settings: {error}") from None


def _checkpoints(settings: Settings) -> AuditCheckpoints:
    try:
        return AuditCheckpoints(KeyStore(open_master_key(settings, create=False)))
    except KeyStoreError as error:
        raise _fail(str(error)) from None


def _database_error(error: SQLAlchemyError) -> typer.Exit:
    reason = str(error.orig if hasattr(error, "orig") else error).splitlines()[0]
    return _fail(f"cannot use the audit trail: {reason}")


@audit_app.command("checkpoint")
def checkpoint_command() -> None:
    """Sign the head of the audit trail (its seq and hash) with a key the master key wraps:
    the anchor `audit verify` starts from once older entries are pruned (L53)."""
    settings = _settings()
    checkpoints = _checkpoints(settings)
    engine = open_database(settings)
    try:
        with UnitOfWork(engine) as uow, uow.writing() as conn:
            made = checkpoints.make(conn, at=SystemClock().now())
    except ValueError as error:
        raise _fail(str(error)) from None
    except KeyStoreError as error:
        raise _fail(str(error)) from None
    except SQLAlchemyError as error:
        raise _database_error(error) from None
    finally:
        engine.dispose()
    typer.echo(f"checkpoint of entry {made.seq}, hash {made.entry_hash}")


def _before_default(settings: Settings) -> datetime:
    try:
        policy = load_policy_file(settings.policy_file)
    except PolicyError as error:
        raise _fail(str(error)) from None
    try:
        period = policy.activity(SECURITY_LOG).retention.period
    except KeyError:
        raise _fail(f"the policy declares no {SECURITY_LOG} activity: give --before DATE") from None
    return period.before(SystemClock().now())


def _parse_day(text: str) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise _fail(f"--before: {text!r} is not a date (YYYY-MM-DD)") from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _prune(engine: Engine, checkpoints: AuditCheckpoints, before: datetime) -> tuple[int, int]:
    with UnitOfWork(engine) as uow:
        outcome = checkpoints.prune(uow, before=before, at=SystemClock().now(), actor=AUDIT_CLI)
    return outcome.deleted, outcome.first_kept_seq


@audit_app.command("prune")
def prune_command(
    before: str | None = typer.Option(
        None,
        "--before",
        help="Delete entries older than this date (YYYY-MM-DD); default: the policy's "
        "security_logging retention before today.",
    ),
) -> None:
    """Delete the audit entries older than the retention, up to the newest signed checkpoint
    older than it; refused (exit 2, nothing deleted) without one (L53)."""
    settings = _settings()
    cutoff = _parse_day(before) if before is not None else _before_default(settings)
    checkpoints = _checkpoints(settings)
    engine = open_database(settings)
    try:
        deleted, first_kept = _prune(engine, checkpoints, cutoff)
    except NoCheckpoint as error:
        raise _fail(str(error)) from None
    except KeyStoreError as error:
        raise _fail(str(error)) from None
    except SQLAlchemyError as error:
        raise _database_error(error) from None
    finally:
        engine.dispose()
    if deleted:
        typer.echo(
            f"deleted {deleted} audit entries older than {cutoff.date().isoformat()}; "
            f"the trail now starts at the checkpoint of entry {first_kept}"
        )
    else:
        typer.echo(f"no audit entries to prune before {cutoff.date().isoformat()}")


@jobs_app.command("close-inactive")
def close_inactive_command() -> None:
    """Notice the accounts inactive for the policy's `account_activity.inactive_after` (by
    e-mail, once), close those noticed longer ago than its `notice` period and still
    inactive, and withdraw the notice of an account used again (P20, L52); run it daily."""
    from privaat.cli.jobs import _context, _run  # the one way to start a job (exit 2)

    context = _context()
    if context.inactivity.rule is None:
        context.close()
        typer.echo("the policy defines no account_activity: no account is closed for inactivity")
        return
    report = _run(context, context.inactivity.run)
    typer.echo(
        f"noticed {report.noticed} inactive account(s), closed {report.closed}, "
        f"withdrew {report.cancelled} notice(s) of accounts used again"
    )


@jobs_app.command("keep-account")
def keep_account_command(
    pseudonym: str = typer.Argument(..., help="The account's pseudonym (as the console shows)."),
) -> None:
    """Record that the holder answered the inactivity notice to keep the account (P20): the
    pending notice is withdrawn, and the next comes only after another `inactive_after`."""
    from privaat.cli.jobs import _context, _run

    context = _context()
    with context.engine.connect() as connection:
        subject_id = connection.execute(
            select(subjects.c.id).where(subjects.c.pseudonym == pseudonym)
        ).scalar_one_or_none()
    if subject_id is None:
        context.close()
        raise _fail(f"{pseudonym!r}: no subject with this pseudonym")
    try:
        withdrawn = _run(context, lambda uow: context.inactivity.keep(uow, KEEP_CLI, subject_id))
    except (Conflict, AccessDenied) as error:
        raise _fail(f"{pseudonym}: {error}") from None
    typer.echo(
        f"{pseudonym}: kept active"
        + ("; the pending inactivity notice is withdrawn" if withdrawn else "")
    )
