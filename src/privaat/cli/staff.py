"""Commands: ``staff create`` (a staff account and its one-time enrolment link)."""

from __future__ import annotations

import typer

from privaat.bootstrap import bootstrap
from privaat.cli._apps import staff_app
from privaat.domain.principal import StaffRole
from privaat.policy.loader import PolicyError
from privaat.services.activities import PolicyIncomplete
from privaat.services.errors import Conflict, InvalidField
from privaat.settings import Settings
from privaat.store.key_errors import MasterKeyConfigError

_ROLES = ", ".join(role.value for role in StaffRole)


@staff_app.command()
def create(
    email: str = typer.Option(..., "--email", help="The staff member's work address."),
    role: str = typer.Option(..., "--role", help=f"One of: {_ROLES}."),
) -> None:
    """Create a staff account and print its enrolment link (single use, 72 hours)."""
    try:
        context = bootstrap(Settings())
    except (PolicyError, PolicyIncomplete, MasterKeyConfigError) as error:
        typer.echo(f"privaat: {error}", err=True)
        raise typer.Exit(2) from None
    try:
        with context.unit_of_work() as uow:
            enrolment = context.staff.create(uow, email=email, role=role)
    except (InvalidField, Conflict) as error:
        typer.echo(f"privaat: {error}", err=True)
        raise typer.Exit(1) from None
    finally:
        context.close()
    base = context.settings.base_url.rstrip("/")
    # the address is not repeated: the terminal's scroll-back keeps only the id and the link
    typer.echo(f"staff member {enrolment.staff_id} ({enrolment.role.value}) created")
    typer.echo(f"enrolment link, valid once until {enrolment.expires_at:%Y-%m-%d %H:%M} UTC:")
    typer.echo(f"{base}/console/enrol/{enrolment.token}")
