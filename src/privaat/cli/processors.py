"""Commands: processors told of consent changes (issue 14 item 2, LEGAL L11).

privaat processors deliver [--follow]   post the due webhook deliveries, signed; a failure is
                                        retried later with back-off, never given up
privaat processors list [--failing]     every delivery with its state, attempts, last error
"""

from __future__ import annotations

import json
import time

import typer

from privaat.cli._apps import app
from privaat.domain.processor_events import DeliveryState

processors_app = typer.Typer(
    help="Processors told of consent, objection and suppression changes.", no_args_is_help=True
)
app.add_typer(processors_app, name="processors")


@processors_app.command("deliver")
def deliver_command(
    follow: bool = typer.Option(
        False, "--follow", help="Keep delivering until interrupted, polling every --interval."
    ),
    interval: float = typer.Option(
        0.5, "--interval", min=0.05, max=60.0, help="Seconds between passes with --follow."
    ),
) -> None:
    """Post every due delivery to its processor, signed (HMAC-SHA256), until acknowledged;
    exit 1 when a delivery is still failing after the pass (it is retried later)."""
    from privaat.cli.jobs import _context  # the one way to start (exit 2)

    context = _context()
    acknowledged = failed = 0
    try:
        with context.unit_of_work() as uow:
            try:
                while True:
                    done = context.processors.deliver(uow)
                    acknowledged += done.acknowledged
                    failed += done.failed
                    idle = not done.acknowledged and not done.failed
                    if follow:
                        if idle:
                            time.sleep(interval)
                        continue
                    # without --follow: until nothing is due; what failed waits for its
                    # back-off, and the next run retries it
                    if idle or not done.acknowledged:
                        break
            except KeyboardInterrupt:
                pass  # --follow ends with Ctrl-C; a post in flight is retried (its lease)
            failing = context.processors.failing(uow)
    finally:
        context.close()
    typer.echo(f"acknowledged {acknowledged}, failed attempts {failed}, failing now {failing}")
    if failing:
        raise typer.Exit(1)


@processors_app.command("list")
def list_command(
    failing: bool = typer.Option(False, "--failing", help="Only deliveries still failing."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per delivery."),
) -> None:
    """Every delivery, failing first: processor, channel, activity, change, state, attempts,
    next attempt and last error; the person by pseudonym, never an address."""
    from privaat.cli.jobs import _context

    context = _context()
    try:
        with context.unit_of_work() as uow:
            rows = context.processors.deliveries(uow, failing_only=failing)
        untold = context.processors.untold()
    finally:
        context.close()
    for row in rows:
        fields = {
            "id": row.id,
            "event_id": row.event_id,
            "recipient": row.recipient,
            "channel": row.channel,
            "activity": row.activity,
            "change": row.change,
            "state": row.state.value,
            "attempts": row.attempts,
            "created_at": row.created_at.isoformat(),
            "next_attempt_at": row.next_attempt_at.isoformat() if row.next_attempt_at else None,
            "last_error": row.last_error,
            "acknowledged_at": row.acknowledged_at.isoformat() if row.acknowledged_at else None,
            "mail": row.mail,
            "subject": row.pseudonym,
        }
        if as_json:
            typer.echo(json.dumps(fields))
            continue
        when = (
            f"next {row.next_attempt_at:%Y-%m-%d %H:%M:%S}"
            if row.state is DeliveryState.FAILING and row.next_attempt_at
            else f"acknowledged {row.acknowledged_at:%Y-%m-%d %H:%M:%S}"
            if row.acknowledged_at
            else f"mail {row.mail}"
            if row.mail
            else "due"
        )
        error = f"  {row.last_error}" if row.last_error else ""
        typer.echo(
            f"{row.id}  {row.state.value:<12}  {row.recipient}  {row.channel:<7}  "
            f"{row.activity}  {row.change:<10}  attempts {row.attempts}  {when}  "
            f"{row.pseudonym[:8]}{error}"
        )
    if not as_json:
        typer.echo(f"deliveries: {len(rows)}")
        for recipient, activities in untold:
            typer.echo(
                f"not told by privaat (no notify block): {recipient.id} ({', '.join(activities)})"
            )
