"""Commands for the support desk and its calls (issue 12 item 2)."""

from __future__ import annotations

import json

import typer

from privaat.cli._apps import app
from privaat.domain.principal import SystemJob
from privaat.services.support_desk import CaseStatus

support_app = typer.Typer(
    help="The support desk: cases, calls and recordings.", no_args_is_help=True
)
app.add_typer(support_app, name="support")


# --- cases (issue 12 item 2, P5, P7, L5) -----------------------------------------------------

SUPPORT_CLI = SystemJob("support-cli")  # the operator's listing: access-logged as this job


@support_app.command("cases")
def cases_command(
    as_json: bool = typer.Option(False, "--json", help="One JSON object per case."),
    open_only: bool = typer.Option(False, "--open", help="Only cases still open."),
) -> None:
    """Every support case, open first: reference, channel, status, opened, closed, linked
    (how the case is linked to an account, L5); never the question or the contact details."""
    from privaat.cli.jobs import _context as context_of  # the one way to start (exit 2)

    context = context_of()
    try:
        with context.unit_of_work() as uow:
            rows = context.support.queue(
                uow, SUPPORT_CLI, status=CaseStatus.OPEN if open_only else None
            )
    finally:
        context.close()
    for row in rows:
        fields = {
            "reference": row.reference,
            "channel": row.channel.value,
            "status": row.status.value,
            "opened_at": row.opened_at.isoformat(),
            "closed_at": row.closed_at.isoformat() if row.closed_at else None,
            "linked": row.linked_by.value if row.linked_by else None,
        }
        if as_json:
            typer.echo(json.dumps(fields))
        else:
            typer.echo(
                f"{row.reference}  {row.channel.value:<9}  {row.status.value:<6}  "
                f"{row.opened_at:%Y-%m-%d %H:%M}  {fields['linked'] or 'not linked'}"
            )
    if not as_json:
        typer.echo(f"{len(rows)} case(s)")


# the purges of cases (one year after closing) and of call recordings (30 days, L28) are rules
# of the one retention sweep now: ``privaat retention sweep`` (issue 13 item 1)
