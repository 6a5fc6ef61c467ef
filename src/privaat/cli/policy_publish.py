"""Commands: publishing a policy version (issue 13 item 3).

``privaat policy publish FILE [--effective DATE]`` (``services.policy_publishing``): a file
that does not load, a date in the past, a version that does not follow the stored ones, or
a material change with fewer than PRIVAAT_POLICY_NOTICE_DAYS days of notice changes
nothing and says why (exit 2).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from privaat.cli._apps import policy_app
from privaat.policy.loader import PolicyError, PolicyTooLarge, load_policy_file
from privaat.services.policy_publishing import PublishRefused

EXIT_REFUSED = 2


def _refuse(message: str) -> NoReturn:
    typer.echo(f"privaat: {message}", err=True)
    raise typer.Exit(EXIT_REFUSED)


def _effective(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        _refuse(f"--effective: {value!r} is not a date (YYYY-MM-DD)")


@policy_app.command("publish")
def publish(
    file: Annotated[Path, typer.Argument(help="The new policy file, e.g. policies/v2.yaml.")],
    effective: Annotated[
        str | None,
        typer.Option(
            "--effective",
            metavar="DATE",
            help="The day it takes effect (YYYY-MM-DD); default: the file's policy.effective, "
            "else today. A material change needs PRIVAAT_POLICY_NOTICE_DAYS days of notice.",
        ),
    ] = None,
) -> None:
    """Publish a new policy version: stored, dated, announced to every active account by
    e-mail and in the privacy centre when the change is material (art. 13(3); L48-L50)."""
    day = _effective(effective)
    try:
        policy = load_policy_file(file)
    except PolicyTooLarge as error:
        _refuse(f"{file}: cannot read the policy file: {error.reason}")
    except PolicyError as error:
        for problem in error.problems:
            typer.echo(str(problem), err=True)
        count = len(error.problems)
        _refuse(f"{file}: invalid — {count} problem{'s' if count != 1 else ''}; nothing published")
    except OSError as error:
        _refuse(f"{file}: cannot read the policy file: {error.strerror or error}")
    from privaat.cli.jobs import _context  # the one way to start (exit 2)

    context = _context()
    if policy.policy.id != context.policy.policy.id:
        context.close()
        _refuse(
            f"{file}: policy.id is {policy.policy.id!r}, but this app runs "
            f"{context.policy.policy.id!r}; nothing published"
        )
    try:
        with context.unit_of_work() as uow:
            done = context.publishing.publish(uow, policy, effective=day)
    except (PublishRefused, PolicyError) as error:
        _refuse(f"{file}: {error}; nothing published")
    finally:
        context.close()
    typer.echo(
        f"published version {done.version} (last updated {done.last_updated}), "
        f"in force from {done.effective}"
    )
    if done.material:
        typer.echo(f"material changes ({len(done.changes)}):")
        for change in done.changes:
            where = f"{change.activity_id}: " if change.activity_id else ""
            typer.echo(f"  {where}{change.field}: {change.reason}")
        typer.echo(
            f"queued {done.mails_queued} change e-mail(s) to active accounts; the privacy "
            f"centre shows a notice until 30 days after {done.effective}"
        )
    else:
        typer.echo("no material change: no e-mail, no site notice")
    if done.business_notices:
        typer.echo(
            f"sub-processor change: {done.business_notices} notice(s) to business customers, "
            f"open to objection until {done.effective} (art. 28(2); privaat jobs business-notices "
            "mails them)"
        )
