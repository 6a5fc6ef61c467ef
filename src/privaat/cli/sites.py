"""Commands for hosting customers' sites and their consent scopes (issue 14 item 7).

privaat sites add FILE [--replace]   declare a customer's scope from its site file
privaat sites list [--json]          every scope: customer, name, domains, state
privaat sites show CUSTOMER [--json] one scope: its domains and categories
privaat sites remove CUSTOMER        free its domains; its visitors and records stay
privaat sites proof CUSTOMER --from D --to D --output F   the scope's signed proof bundle
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from privaat.bootstrap import Context, bootstrap
from privaat.cli._apps import app
from privaat.domain.principal import SystemJob
from privaat.policy.loader import PolicyError
from privaat.services.activities import PolicyIncomplete
from privaat.services.errors import Conflict, InvalidField
from privaat.services.site_files import SiteFileInvalid, SiteFileUnreadable, read_site_file
from privaat.services.site_proofs import SiteProofs
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


def _day(field: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(f"{field}: '{value}' is not a day (YYYY-MM-DD)", 2) from None


@sites_app.command("proof")
def proof_command(
    customer: Annotated[str, typer.Argument(help="The customer id of the site file.")],
    since: Annotated[str, typer.Option("--from", help="The first day (UTC), YYYY-MM-DD.")],
    until: Annotated[str, typer.Option("--to", help="The last day (UTC), included.")],
    output: Annotated[Path, typer.Option("--output", help="The bundle file to write.")],
) -> None:
    """Write the signed proof bundle of the customer's consent records from --from to --to;
    privaat consent verify checks it."""
    start, end = _day("from", since), _day("to", until)
    if start > end:
        raise _fail(f"from: {since} is after --to {until}: the range is empty", 2)
    if output.exists():
        raise _fail(f"output: {output} exists; a proof bundle never overwrites a file", 2)
    if not output.parent.is_dir():
        raise _fail(f"output: the directory {output.parent} does not exist", 2)
    context = _context()
    proofs = SiteProofs(
        access=context.access,
        keys=context.keys,
        registry=context.sites.registry,
        provider=context.policy.controller.name,
        clock=context.clock,
    )
    handle, partial = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    try:
        with os.fdopen(handle, "wb") as out, context.unit_of_work() as uow:
            export = proofs.export(uow, _OPERATOR, customer, start=start, end=end, out=out)
        os.replace(partial, output)
    except NoSuchSite as error:
        raise _fail(str(error), 1) from None
    except InvalidField as error:
        raise _fail(f"{error.field}: {error.message}", 2) from None
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
        context.close()
    summary = export.summary
    typer.echo(
        f"{output}: {summary.records} consent records of {customer}, {summary.notices} notice "
        f"texts, {summary.checkpoints} audit checkpoints; signed by key {summary.key_fingerprint}"
    )
    if export.withheld:
        typer.echo(f"note: {export.withheld} records of visitors the guard withholds are left out")
