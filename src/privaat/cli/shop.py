"""Commands for the web shop: orders and their fraud review (issue 12 items 3-4).

privaat shop orders [--json] [--in-review]    reference, status, placed, amount, payment
                                              status and score; never a name or address
privaat shop payment-key add PROVIDER         a callback key for sisow or paypal: its id and
                                              secret printed once (the secret is stored nowhere)
privaat shop payment-key revoke KEY_ID        the key's callbacks are refused from now on
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from pydantic import ValidationError

from privaat.bootstrap import Context, bootstrap
from privaat.cli._apps import app
from privaat.domain.shop import PaymentProvider
from privaat.policy.loader import PolicyError
from privaat.services.activities import PolicyIncomplete
from privaat.settings import Settings
from privaat.store.key_errors import KeyStoreError

__all__ = ["shop_app"]

shop_app = typer.Typer(
    help="The web shop: orders, invoices, shipments and fraud review.", no_args_is_help=True
)
payment_key_app = typer.Typer(help="The payment providers' callback keys.", no_args_is_help=True)
shop_app.add_typer(payment_key_app, name="payment-key")
app.add_typer(shop_app, name="shop")


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


@shop_app.command("orders")
def orders_command(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
    in_review: Annotated[
        bool, typer.Option("--in-review", help="Only the orders a person must review.")
    ] = False,
) -> None:
    """List the orders, newest first: nothing personal but the reference."""
    context = _context()
    try:
        with context.unit_of_work() as uow:
            rows = context.shop.all_orders(uow, in_review=in_review)
    finally:
        context.close()
    found = [
        {
            "reference": row.reference,
            "status": row.status.value,
            "placed_at": row.placed_at.isoformat(),
            "total_cents": row.total_cents,
            "payment_status": row.payment_status.value,
            "score": row.score,
        }
        for row in rows
    ]
    if as_json:
        typer.echo(json.dumps(found, indent=2))
        return
    if not found:
        typer.echo("no orders")
        return
    for row in rows:
        score = "-" if row.score is None else str(row.score)
        typer.echo(
            f"{row.reference}  {row.status.value:<10} {row.placed_at:%Y-%m-%d %H:%M}  "
            f"€{row.total_cents / 100:>9.2f}  {row.payment_status.value:<9} score {score}"
        )


@payment_key_app.command("add")
def add_key_command(
    provider: Annotated[PaymentProvider, typer.Argument(help="sisow or paypal.")],
) -> None:
    """Make a callback key for PROVIDER and print its id and secret once."""
    context = _context()
    try:
        with context.unit_of_work() as uow:
            key_id, secret = context.shop.add_payment_key(uow, provider)
    finally:
        context.close()
    typer.echo(f"key id: {key_id}")
    typer.echo(f"secret: {secret}")
    typer.echo(
        "Give both to the provider: it sends Privaat-Key-Id and Privaat-Signature "
        "(sha256=HMAC-SHA256 of the body under the hex-decoded secret). "
        "The secret is not shown again.",
        err=True,
    )


@payment_key_app.command("revoke")
def revoke_key_command(
    key_id: Annotated[str, typer.Argument(help="The key id printed by 'add'.")],
) -> None:
    """Revoke a callback key: its callbacks are refused from now on."""
    context = _context()
    try:
        with context.unit_of_work() as uow:
            revoked = context.shop.revoke_payment_key(uow, key_id)
    finally:
        context.close()
    if not revoked:
        raise _fail(f"no live payment key {key_id}", 1)
    typer.echo(f"revoked {key_id}")
