"""Command: ``privaat policy check FILE`` validates a policy file and lists every problem."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from privaat.cli._apps import policy_app
from privaat.policy.loader import PolicyError, PolicyTooLarge, load_policy_file

# exit codes: 0 valid, 1 the file has problems, 2 the file cannot be read (missing, not
# permitted, or beyond the loader's limits on size and nodes)
EXIT_INVALID = 1
EXIT_UNREADABLE = 2


@policy_app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="The policy file, e.g. policies/flexibelt.yaml.")],
) -> None:
    """Check a policy file: schema, references, vocabulary and promise coverage."""
    try:
        policy = load_policy_file(file)
    except PolicyTooLarge as error:
        typer.echo(f"{file}: cannot read the policy file: {error.reason}", err=True)
        raise typer.Exit(EXIT_UNREADABLE) from None
    except PolicyError as error:
        for problem in error.problems:
            typer.echo(str(problem), err=True)
        count = len(error.problems)
        typer.echo(f"{file}: invalid — {count} problem{'s' if count != 1 else ''}", err=True)
        raise typer.Exit(EXIT_INVALID) from None
    except OSError as error:
        reason = error.strerror or str(error)
        typer.echo(f"{file}: cannot read the policy file: {reason}", err=True)
        raise typer.Exit(EXIT_UNREADABLE) from None
    typer.echo(
        f"{file}: valid — {len(policy.activities)} activities, "
        f"{len(policy.data_categories)} categories, {len(policy.recipients)} recipients"
    )
