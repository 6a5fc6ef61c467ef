"""Commands for hosting customers' sites and their consent scopes (issue 14 item 7).

privaat sites add FILE [--replace]   declare a customer's scope from its site file
privaat sites list [--json]          every scope: customer, name, domains, state
privaat sites show CUSTOMER [--json] one scope: its domains and categories
privaat sites remove CUSTOMER        free its domains; its visitors and records stay
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from privaat.bootstrap import Context, bootstrap
from privaat.cli._apps import app
from privaat.domain.principal import SystemJob
from privaat.policy.loader import PolicyError
from privaat.services.activities import PolicyIncomplete
from privaat.services.errors import Conflict
from privaat.services.site_files import SiteFileInvalid, SiteFileUnreadable, read_site_file
from privaat.services.site_registry import NoSuchSite, SiteScope
from privaat.settings import Settings
from privaat.store.key_errors import KeyStoreError

__all__ = ["sites_app"]

sites_app = typer.Typer(
    help="Hosting customers' sites: a consent scope each, with its domains and categories.",
    no_args_is_help=True,
)
app.add_typer(sites_app, name="sites")
_OPERATOR = SystemJob("sites")


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


def _summary(scope: SiteScope) -> dict[str, Any]:
    return {
        "customer": scope.customer,
        "name": scope.site.name,
        "domains": list(scope.site.domains) if scope.removed_at is None else [],
        "categories": [c.id for c in scope.site.categories],
        "updated_at": scope.updated_at.isoformat(),
        "removed_at": scope.removed_at.isoformat() if scope.removed_at else None,
    }


@sites_app.command("add")
def add_command(
    file: Annotated[Path, typer.Argument(help="The customer's site file (YAML).")],
    replace: bool = typer.Option(False, "--replace", help="Re-declare the customer's scope."),
) -> None:
    """Declare a customer's consent scope from its site file; exit 1 invalid or taken, 2
    unreadable."""
    try:
        site = read_site_file(file)
    except SiteFileUnreadable as error:
        raise _fail(str(error), 2) from None
    except SiteFileInvalid as error:
        raise _fail(f"invalid site file, nothing stored:\n{error}", 1) from None
    context = _context()
    try:
        with context.unit_of_work() as uow:
            scope = context.sites.registry.declare(uow, _OPERATOR, site, replace=replace)
    except Conflict as error:
        raise _fail(f"{file}: {error}", 1) from None
    finally:
        context.close()
    typer.echo(
        f"{scope.customer}: {len(site.domains)} domains, {len(site.categories)} categories "
        f"({', '.join(site.domains)})"
    )


@sites_app.command("list")
def list_command(as_json: bool = typer.Option(False, "--json", help="JSON, one a line.")) -> None:
    """Every customer's scope, removed ones too."""
    context = _context()
    try:
        with context.unit_of_work() as uow:
            scopes = context.sites.registry.scopes(uow)
    finally:
        context.close()
    if not scopes:
        typer.echo("no customer sites")
        return
    for scope in scopes:
        summary = _summary(scope)
        if as_json:
            typer.echo(json.dumps(summary))
        else:
            state = f"removed {summary['removed_at']}" if scope.removed_at else "live"
            typer.echo(
                f"{scope.customer}\t{scope.site.name}\t{','.join(summary['domains'])}\t{state}"
            )


@sites_app.command("show")
def show_command(
    customer: str = typer.Argument(..., help="The customer id of the site file."),
    as_json: bool = typer.Option(False, "--json", help="The stored site file as JSON."),
) -> None:
    """One customer's scope: its domains and categories."""
    context = _context()
    try:
        with context.unit_of_work() as uow:
            scope = context.sites.registry.scope(uow, customer)
    except NoSuchSite as error:
        raise _fail(str(error), 1) from None
    finally:
        context.close()
    if as_json:
        typer.echo(json.dumps({**_summary(scope), "site": scope.site.model_dump(mode="json")}))
        return
    summary = _summary(scope)
    typer.echo(f"customer: {scope.customer} ({scope.site.name})")
    typer.echo(f"state: {'removed ' + summary['removed_at'] if scope.removed_at else 'live'}")
    typer.echo(f"privacy statement: {scope.site.privacy_url}")
    typer.echo(f"domains: {', '.join(summary['domains']) or '-'}")
    for category in scope.site.categories:
        companies = ", ".join(category.companies) or "-"
        cookies = ", ".join(category.cookies) or "-"
        typer.echo(f"category {category.id}: companies {companies}; cookies {cookies}")


@sites_app.command("remove")
def remove_command(
    customer: str = typer.Argument(..., help="The customer id of the site file."),
) -> None:
    """Free the customer's domains (the provider's banner answers there again); its visitors
    and consent records stay."""
    context = _context()
    try:
        with context.unit_of_work() as uow:
            context.sites.registry.remove(uow, _OPERATOR, customer)
    except NoSuchSite as error:
        raise _fail(str(error), 1) from None
    finally:
        context.close()
    typer.echo(f"{customer}: removed; its domains are free, its records kept")
