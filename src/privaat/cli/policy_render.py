"""Commands: ``policy render`` (the public privacy policy) and ``ropa`` (the art. 30 register;
``--vendors`` the processor register, L19; ``--processor`` the art. 30(2) record, L74)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from privaat.cli._apps import app, policy_app
from privaat.cli.requests import _context
from privaat.policy.loader import PolicyError, load_policy_file
from privaat.policy.schema import Policy
from privaat.render.policy_text import Format
from privaat.render.ropa_output import (
    RopaFormat,
    render_processor_record,
    render_ropa,
    render_vendor_register,
)
from privaat.render.statement_context import StatementContext
from privaat.services.dpia import register_entries
from privaat.settings import Settings
from privaat.web.app import route_table
from privaat.web.channels import offered
from privaat.web.pages.privacy import render_statement


class Language(StrEnum):
    """The languages a policy file is written in (``Text`` has exactly these two)."""

    NL = "nl"
    EN = "en"


PolicyOption = Annotated[
    Path | None,
    typer.Option(
        "--policy",
        help="The policy file; default: the configured one (PRIVAAT_POLICY_FILE).",
        dir_okay=False,
    ),
]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Write here instead of to standard output.", dir_okay=False
    ),
]


@policy_app.command("render")
def render(
    policy_file: PolicyOption = None,
    lang: Annotated[Language, typer.Option("--lang", help="The language.")] = Language.NL,
    fmt: Annotated[Format, typer.Option("--format", help="HTML page or Markdown.")] = Format.HTML,
    output: OutputOption = None,
) -> None:
    """Render the public privacy statement from the policy file, naming what the app offers."""
    policy = _load(policy_file)
    # the app's own routes, built without a server or a database: the statement names the
    # same live channels as the app's /privacy (issue 9, web.channels)
    context = StatementContext(offered=offered(route_table()))
    _write(render_statement(policy, lang=lang.value, fmt=fmt, context=context), output)


@app.command("ropa")
def ropa(
    policy_file: PolicyOption = None,
    fmt: Annotated[RopaFormat, typer.Option("--format", help="The file format.")] = RopaFormat.CSV,
    lang: Annotated[Language, typer.Option("--lang", help="The language.")] = Language.EN,
    output: OutputOption = None,
    processor: Annotated[
        bool,
        typer.Option(
            "--processor",
            help="The record of processing as a processor for customers (art. 30(2)) instead.",
        ),
    ] = False,
    vendors: Annotated[
        bool,
        typer.Option(
            "--vendors",
            help="Only the processor register: every vendor, agreement, transfer (art. 28, 44-46).",
        ),
    ] = False,
    with_dpia: Annotated[
        bool,
        typer.Option(
            "--dpia",
            help="Add each flagged activity's latest DPIA decision and its console link "
            "(reads the database).",
        ),
    ] = False,
) -> None:
    """Export the record of processing activities (GDPR art. 30) from the policy file."""
    if processor and vendors:
        typer.echo("privaat: --processor and --vendors: choose one of the two records", err=True)
        raise typer.Exit(2)
    if with_dpia and (processor or vendors):
        typer.echo("privaat: --dpia: only the register of activities has DPIAs", err=True)
        raise typer.Exit(2)
    policy = _load(policy_file)
    if processor:
        if not policy.processor_services:
            # an empty record is the true answer for a controller that processes for nobody
            typer.echo(
                "privaat: the policy declares no processor_services: "
                "its controller processes for no customer (art. 30(2))",
                err=True,
            )
        _write(render_processor_record(policy, fmt=fmt, lang=lang.value), output)
    elif vendors:
        _write(render_vendor_register(policy, fmt=fmt, lang=lang.value), output)
    else:
        dpia = _dpia_entries(lang.value) if with_dpia else None
        _write(render_ropa(policy, fmt=fmt, lang=lang.value, dpia=dpia), output)


def _dpia_entries(lang: str) -> dict[str, str]:
    """What the DPIA register says of each flagged activity, with its console address."""
    context = _context()
    try:
        with context.unit_of_work() as uow:
            overview = context.dpia.overview(uow)
        entries = register_entries(overview, lang, context.settings.base_url)
    finally:
        context.close()
    return {activity: f"{entry.sentence}: {entry.url}" for activity, entry in entries.items()}


def _load(policy_file: Path | None) -> Policy:
    if policy_file is None:
        try:
            policy_file = Settings().policy_file
        except ValidationError as error:
            raise _fail(f"invalid settings: {error}") from None
    try:
        return load_policy_file(policy_file)
    except PolicyError as error:
        count = len(error.problems)
        raise _fail(
            f"{policy_file}: {count} problem{'s' if count != 1 else ''}:\n{error}"
        ) from None
    except OSError as error:
        raise _fail(f"cannot read {policy_file}: {error.strerror or error}") from None


def _write(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    try:
        # newline="" keeps the text's own line ends (CRLF in CSV, RFC 4180)
        with output.open("w", encoding="utf-8", newline="") as file:
            file.write(text)
    except OSError as error:
        raise _fail(f"cannot write {output}: {error.strerror or error}") from None
    typer.echo(f"wrote {output}", err=True)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"privaat: {message}", err=True)
    return typer.Exit(1)
