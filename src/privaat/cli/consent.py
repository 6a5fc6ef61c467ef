"""Commands: proof of consent a regulator can verify offline (issue 14 item 8).

privaat consent proof --from D --to D --output F   the signed bundle of the range's records
privaat consent verify F [--expect-key FP]          checks a bundle without the database
privaat consent key                                 the signing key's fingerprint, to publish

``verify`` needs neither settings nor database: it is what the regulator runs (or redoes by
hand, docs/consent-proof.md). ``proof`` writes next to F and renames when the bundle is
complete, so F is never half-written.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import IO, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.exc import SQLAlchemyError

from privaat.bootstrap import Context
from privaat.cli._apps import app
from privaat.cli.requests import _context, _fail
from privaat.domain.principal import SystemJob
from privaat.render.consent_proof import NotABundle, fingerprint, verify
from privaat.services.consent_proofs import ConsentProofs
from privaat.services.errors import Conflict, InvalidField
from privaat.store.key_errors import KeyStoreError

consent_app = typer.Typer(
    help="Consent records: a proof bundle and its offline verification.", no_args_is_help=True
)
app.add_typer(consent_app, name="consent")

_PROOF_JOB = SystemJob("consent-proof")


def _day(field: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(f"{field}: not a date (YYYY-MM-DD): {value[:40]!r}", 2) from None


def _service() -> tuple[ConsentProofs, Context]:
    context = _context()
    # built here from the wired parts: the composition root stays as it is (docs/consent-proof.md)
    proofs = ConsentProofs(
        access=context.access,
        access_log=context.access_log,
        keys=context.keys,
        policy=context.policy,
        versions=context.versions,
        clock=context.clock,
        base_url=context.settings.base_url,
    )
    return proofs, context


def _progress() -> Progress:
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    return Progress(*columns, console=Console(stderr=True), transient=False)


@consent_app.command("proof")
def proof_command(
    since: Annotated[str, typer.Option("--from", help="The first day (UTC), YYYY-MM-DD.")],
    until: Annotated[str, typer.Option("--to", help="The last day (UTC), included.")],
    output: Annotated[Path, typer.Option("--output", help="The bundle file to write.")],
) -> None:
    """Write the signed proof bundle of every consent record made from --from to --to."""
    start, end = _day("from", since), _day("to", until)
    if start > end:
        raise _fail(f"from: {since} is after --to {until}: the range is empty", 2)
    if output.exists():
        raise _fail(f"output: {output} exists; a proof bundle never overwrites a file", 2)
    if not output.parent.is_dir():
        raise _fail(f"output: the directory {output.parent} does not exist", 2)
    proofs, context = _service()
    handle, partial = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    try:
        with os.fdopen(handle, "wb") as out, _progress() as progress:
            task = progress.add_task("consent records", total=None)
            with context.unit_of_work() as uow:
                export = proofs.export(
                    uow,
                    _PROOF_JOB,
                    start=start,
                    end=end,
                    out=out,
                    total=lambda n: progress.update(task, total=n),
                    progress=lambda n: progress.update(task, completed=n),
                )
        os.replace(partial, output)
    except InvalidField as error:
        raise _fail(f"{error.field}: {error.message}", 2) from None
    except Conflict as error:
        raise _fail(str(error), 1) from None
    except KeyStoreError as error:
        raise _fail(f"cannot open the signing key: {error}", 2) from None
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        raise _fail(f"cannot read the consent ledger: {reason}", 2) from None
    except OSError as error:
        raise _fail(f"output: {output}: {error.strerror}", 2) from None
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
        context.close()
    summary = export.summary
    typer.echo(
        f"wrote {output}: {summary.records} records, {summary.notices} notice texts, "
        f"{summary.checkpoints} audit checkpoints"
    )
    if export.withheld:
        typer.echo(f"left out: {export.withheld} records the guard did not admit")
    if export.uncovered:
        typer.echo(
            f"not yet covered by a signed audit checkpoint: {export.uncovered} records "
            "(run `privaat audit checkpoint`, then export again)"
        )
    if export.untied:
        typer.echo(
            f"without their notice text: {export.untied} records name a text no archived "
            "policy version holds (stated in the manifest)"
        )
    typer.echo(f"manifest SHA-256: {summary.manifest_sha256}")
    typer.echo(f"signed by key {summary.key_fingerprint}")


MAX_LINE = 16 << 20  # a record line is ~1.5 KB: a longer "line" is read in pieces, never whole


def _read(file: IO[bytes], progress: Progress, task: object) -> Iterator[bytes]:
    # a file that is no bundle may have no newline at all: never hold it as one line
    for line in iter(lambda: file.readline(MAX_LINE), b""):
        progress.advance(task, len(line))  # type: ignore[arg-type]
        yield line


@consent_app.command("verify")
def verify_command(
    bundle: Annotated[Path, typer.Argument(help="The proof bundle to check.")],
    expect_key: Annotated[
        str | None,
        typer.Option("--expect-key", help="The fingerprint the controller publishes."),
    ] = None,
) -> None:
    """Check a proof bundle offline: exit 0 intact, 1 tampered (each problem named)."""
    if not bundle.is_file():
        raise _fail(f"bundle: {bundle} is not a readable file", 2)
    try:
        with bundle.open("rb") as file, _progress() as progress:
            task = progress.add_task(bundle.name, total=bundle.stat().st_size)
            verdict = verify(_read(file, progress, task), expect_fingerprint=expect_key)
    except NotABundle as error:
        raise _fail(f"bundle: {bundle} is not a consent proof bundle: {error}", 2) from None
    except OSError as error:
        raise _fail(f"bundle: {bundle}: {error.strerror}", 2) from None
    if not verdict.ok:
        typer.echo(f"bundle {bundle} does NOT verify:")
        for problem in verdict.problems:
            typer.echo(f"  {problem}")
        if verdict.hidden:
            typer.echo(f"  … and {verdict.hidden} more problems")
        if verdict.key_fingerprint:
            typer.echo(f"signed by key {verdict.key_fingerprint}")
        raise typer.Exit(1)
    header = verdict.header
    typer.echo(
        f"bundle intact: {verdict.records} consent records from {header.get('from')} to "
        f"{header.get('to')} of {header.get('controller')}, {verdict.notices} notice texts, "
        f"{verdict.checkpoints} audit checkpoints"
    )
    if verdict.untied:
        typer.echo(
            f"note: {verdict.untied} records name a notice text the bundle does not hold, as "
            "its signed manifest states (a text from before the archive)"
        )
    typer.echo(f"signed by key {verdict.key_fingerprint}")
    if expect_key is None:
        typer.echo("compare this fingerprint with the one the controller publishes")
    typer.echo(
        "the audit checkpoints are HMAC-signed with the controller's key: only the controller "
        "can check those signatures (privaat audit verify)"
    )


@consent_app.command("key")
def key_command() -> None:
    """Print the fingerprint (and the raw public key) of the key bundles are signed with."""
    proofs, context = _service()
    try:
        with context.unit_of_work() as uow:
            public = proofs.public_key(uow)
    finally:
        context.close()
    typer.echo(f"fingerprint: {fingerprint(public)}")
    typer.echo(f"public key (Ed25519, raw, hex): {public.hex()}")
