"""Commands for business customers and their OpenDSR API keys (issue 11 item 10).

privaat business add NAME          a new customer; its API key printed once, stored hashed
privaat business list [--json]     controller id, name, created, key created, revoked
privaat business revoke NAME       its key is refused from now on
privaat business rotate-key NAME   a new key printed once; the old one stops at once
privaat jobs opendsr-callbacks     send the due status callbacks (run it every minute)
"""

from __future__ import annotations

import json

import typer
from pydantic import ValidationError

from privaat.bootstrap import Context, bootstrap
from privaat.cli._apps import app, jobs_app
from privaat.policy.loader import PolicyError
from privaat.services.activities import PolicyIncomplete
from privaat.services.errors import Conflict, InvalidField
from privaat.services.opendsr import CustomerInfo, NoSuchCustomer
from privaat.settings import Settings
from privaat.store.key_errors import KeyStoreError

__all__ = ["business_app"]

business_app = typer.Typer(
    help="Business customers (controllers) and their OpenDSR API keys.", no_args_is_help=True
)
app.add_typer(business_app, name="business")


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"privaat: {message}", err=True)
    return typer.Exit(code)


def _context() -> Context:
    try:
        return bootstrap(Settings())
    except ValidationError as error:
        raise _fail(f"invalid PRIVAAT_ settings: {error}", 2) from None
    except (KeyStoreError, PolicyError, PolicyIncomplete) as error:
        raise _fail(str(error), 2) from None


def _shown_once(info: CustomerInfo, key: str) -> None:
    typer.echo(f"controller_id: {info.controller_id}")
    typer.echo(f"api key: {key}")
    typer.echo("The key is shown this once and stored only hashed: hand it over securely.")


@business_app.command("add")
def add_command(name: str = typer.Argument(..., help="The customer's name.")) -> None:
    """Add a business customer and print its API key once."""
    context = _context()
    try:
        with context.unit_of_work() as uow:
            info, key = context.opendsr.add_customer(uow, name)
    except (InvalidField, Conflict) as error:
        raise _fail(str(error), 1) from None
    finally:
        context.close()
    _shown_once(info, key)


@business_app.command("list")
def list_command(as_json: bool = typer.Option(False, "--json", help="JSON, one a line.")) -> None:
    """The business customers (never their keys)."""
    context = _context()
    try:
        with context.unit_of_work() as uow:
            customers = context.opendsr.customers(uow)
    finally:
        context.close()
    if not customers:
        typer.echo("no business customers")
        return
    for info in customers:
        revoked = info.revoked_at.isoformat() if info.revoked_at else None
        if as_json:
            record = {
                "controller_id": info.controller_id,
                "name": info.name,
                "created_at": info.created_at.isoformat(),
                "key_created_at": info.key_created_at.isoformat(),
                "revoked_at": revoked,
            }
            typer.echo(json.dumps(record))
        else:
            state = f"revoked {revoked}" if revoked else "active"
            created = info.key_created_at.isoformat(timespec="seconds")
            typer.echo(f"{info.controller_id}\t{info.name}\tkey of {created}\t{state}")


@business_app.command("revoke")
def revoke_command(name: str = typer.Argument(..., help="The customer's name.")) -> None:
    """Refuse the customer's API key from now on."""
    context = _context()
    try:
        with context.unit_of_work() as uow:
            info = context.opendsr.revoke(uow, name)
    except NoSuchCustomer as error:
        raise _fail(str(error), 1) from None
    finally:
        context.close()
    typer.echo(f"revoked the key of {info.name} (controller_id {info.controller_id})")


@business_app.command("rotate-key")
def rotate_command(name: str = typer.Argument(..., help="The customer's name.")) -> None:
    """Give the customer a new API key (printed once); the old one stops working."""
    context = _context()
    try:
        with context.unit_of_work() as uow:
            info, key = context.opendsr.rotate_key(uow, name)
    except NoSuchCustomer as error:
        raise _fail(str(error), 1) from None
    finally:
        context.close()
    _shown_once(info, key)


@jobs_app.command("opendsr-callbacks")
def callbacks_command() -> None:
    """Send the due OpenDSR status callbacks, signed; failures are retried later."""
    context = _context()
    try:
        with context.unit_of_work() as uow:
            done = context.opendsr.deliver(uow, mode=context.settings.mode)
    finally:
        context.close()
    typer.echo(f"sent {done.sent}, to retry {done.retried}, given up {done.given_up}")
    if done.retried or done.given_up:
        raise typer.Exit(1)
