"""Commands: the retention sweep (issue 13 item 1; P20, LEGAL L51-L53).

privaat retention sweep              delete and minimise what the policy's retention says has
                                     expired, erase closed accounts past their period; holds
                                     kept; counts per activity in the audit trail
privaat retention sweep --dry-run    per activity and table: what would go, and the oldest
privaat retention sweep --workers N  N threads on the same sweep (PostgreSQL only)

A second sweep while one runs is ``privaat: a sweep started at … is still running`` and exit 2.
"""

from __future__ import annotations

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from privaat.cli._apps import app
from privaat.services.retention import SweepRunning

retention_app = typer.Typer(
    help="Retention: delete and minimise what the policy says has expired.", no_args_is_help=True
)
app.add_typer(retention_app, name="retention")

# a sweep this long shows a progress bar (its total is the dry run's count)
_BAR_FROM = 10_000


@retention_app.command("sweep")
def sweep_command(
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Report per activity and table what would go; change nothing."
    ),
    workers: int = typer.Option(
        1, "--workers", min=1, max=16, help="Threads sharing the sweep (PostgreSQL only)."
    ),
) -> None:
    """Delete or minimise every row whose retention expired (one rule-driven sweep)."""
    from privaat.cli.jobs import _context as context_of  # the one way to start (exit 2)

    context = context_of()
    try:
        if workers > 1 and context.engine.dialect.name != "postgresql":
            typer.echo("privaat: --workers: more than one worker needs PostgreSQL", err=True)
            raise typer.Exit(2)
        with context.unit_of_work() as uow:
            lines = context.retention.preview(uow)
        if dry_run:
            for line in lines:
                if line.rows:
                    oldest = line.oldest.isoformat(timespec="seconds") if line.oldest else "-"
                    typer.echo(
                        f"{line.activity}\t{line.table}\t{line.action}\t{line.rows}\t{oldest}"
                    )
            total = sum(line.rows for line in lines)
            typer.echo(f"dry run: {total} row(s) would be removed or minimised; nothing changed")
            return
        total = sum(line.rows for line in lines)
        try:
            if total >= _BAR_FROM:
                columns = (
                    TextColumn("[progress.description]{task.description}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeRemainingColumn(),
                )
                with Progress(*columns, transient=False) as progress:
                    task = progress.add_task("retention sweep", total=total)
                    report = context.retention.sweep(
                        context.unit_of_work,
                        workers=workers,
                        progress=lambda n: progress.advance(task, n),
                    )
            else:
                report = context.retention.sweep(context.unit_of_work, workers=workers)
        except SweepRunning as error:
            typer.echo(f"privaat: {error}", err=True)
            raise typer.Exit(2) from None
    finally:
        context.close()
    for activity, tables in sorted(report.counts.items()):
        for table, actions in sorted(tables.items()):
            for action, rows in sorted(actions.items()):
                typer.echo(f"{activity}\t{table}\t{action}\t{rows}")
    resumed = " (a stale sweep taken over)" if report.resumed else ""
    typer.echo(f"sweep {report.sweep_id}{resumed}: {report.total} row(s) removed or minimised")
