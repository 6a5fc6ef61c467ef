"""Commands: ``marketing audience`` (issue 10 item 4): who a marketing e-mail would reach."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from privaat.bootstrap import bootstrap
from privaat.cli._apps import marketing_app
from privaat.domain.marketing import FILTER_KEYS, InvalidFilter, parse_filters
from privaat.domain.principal import SystemJob
from privaat.policy.loader import PolicyError
from privaat.services.activities import PolicyIncomplete
from privaat.services.errors import InvalidField
from privaat.settings import Settings
from privaat.store.key_errors import MasterKeyConfigError

CLI = SystemJob("cli_marketing")  # the access log names the command line as the reader


def _pairs(filters: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for item in filters:
        key, sep, value = item.partition("=")
        if not sep:
            raise InvalidFilter(key or "filter", f"'{item}' is not key=value")
        pairs.append((key, value))
    return pairs


@marketing_app.command("audience")
def audience(
    filters: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            help=f"key=value (keys: {', '.join(FILTER_KEYS)}); a,b for alternatives; repeatable.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ids_only: Annotated[
        bool,
        typer.Option(
            "--ids-only", help="Print only the ids, one a line (for mail campaign send --ids-file)."
        ),
    ] = False,
) -> None:
    """Count and list the subjects a marketing e-mail may reach (P4, L13, L15): live opt-in,
    no objection, restriction, closure or minor flag, then the filters."""
    try:
        wanted = parse_filters(_pairs(filters or []))
    except InvalidFilter as error:
        typer.echo(f"privaat: filter {error}", err=True)
        raise typer.Exit(2) from None
    try:
        context = bootstrap(Settings())
    except (PolicyError, PolicyIncomplete, MasterKeyConfigError) as error:
        typer.echo(f"privaat: {error}", err=True)
        raise typer.Exit(2) from None
    try:
        with context.unit_of_work() as uow:
            result = context.marketing.audience(uow, CLI, wanted, preview=0)
    except InvalidField as error:
        typer.echo(f"privaat: filter {error}", err=True)
        raise typer.Exit(2) from None
    finally:
        context.close()
    if as_json:
        document = {
            "count": result.count,
            "filter": wanted.described(),
            "subject_ids": list(result.subject_ids),
        }
        typer.echo(json.dumps(document))
        return
    if not ids_only:
        typer.echo(f"{result.count} subjects")
    for subject_id in result.subject_ids:
        typer.echo(str(subject_id))
