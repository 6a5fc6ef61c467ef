"""Commands for telemetry: its sending services and ingesting a file (issue 12 item 1).

privaat telemetry service add NAME --kind K   a sending service; its key printed once
privaat telemetry service list                 name, kinds, created, revoked (never a key)
privaat telemetry ingest FILE [--service NAME] [--kind K]
                                               NDJSON (gzip too) streamed from disk with a
                                               progress bar, in batches of one transaction
(the full IPs past the window go with ``privaat retention sweep``, L23, issue 13)

``ingest`` reads the file in 1 MiB chunks and never holds more than one batch (5,000 lines
or 8 MiB): its memory stays flat however large the file. Each batch is one transaction; an
interrupted run is simply run again, the events' ids make the second run store nothing
twice (each answers ``duplicate``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from privaat.bootstrap import Context, bootstrap
from privaat.cli._apps import app
from privaat.policy.loader import PolicyError
from privaat.services.activities import PolicyIncomplete
from privaat.services.errors import Conflict, InvalidField
from privaat.services.telemetry import (
    MAX_LINE,
    KindNotAllowed,
    LineOutcome,
    SendingService,
    Status,
    UnknownKind,
)
from privaat.services.telemetry_lines import BrokenGzip, gunzip, ndjson_lines
from privaat.settings import Settings
from privaat.store.key_errors import KeyStoreError

__all__ = ["telemetry_app"]

telemetry_app = typer.Typer(
    help="Telemetry from the provider's services: sending services, ingesting files.",
    no_args_is_help=True,
)
service_app = typer.Typer(help="The services that send telemetry.", no_args_is_help=True)
telemetry_app.add_typer(service_app, name="service")
app.add_typer(telemetry_app, name="telemetry")

CHUNK = 1 << 20
BATCH_LINES = 5_000
BATCH_BYTES = 8 << 20
SHOWN = 10  # problem lines printed at most


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


@service_app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="The service's name (a-z, 0-9, -).")],
    kind: Annotated[list[str], typer.Option("--kind", help="A kind it may send (repeatable).")],
) -> None:
    """Add a sending service and print its key once."""
    context = _context()
    try:
        with context.unit_of_work() as uow:
            info, key = context.telemetry.add_service(uow, name, kind)
    except (InvalidField, Conflict) as error:
        raise _fail(str(error), 1) from None
    finally:
        context.close()
    typer.echo(f"service: {info.name} ({', '.join(info.kinds)})")
    typer.echo(f"key: {key}")
    typer.echo("The key is shown this once and stored only hashed: hand it over securely.")


@service_app.command("list")
def list_command() -> None:
    """The sending services (never their keys)."""
    context = _context()
    try:
        with context.unit_of_work() as uow:
            services = context.telemetry.services(uow)
    finally:
        context.close()
    if not services:
        typer.echo("no telemetry services")
        return
    for info in services:
        state = "revoked" if info.revoked else "live"
        created = info.created_at.strftime("%Y-%m-%d")
        typer.echo(f"{info.name}\t{','.join(info.kinds)}\t{created}\t{state}")


def _chunks(path: Path, progress: Progress, task: object) -> Iterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            progress.advance(task, len(chunk))  # type: ignore[arg-type]
            yield chunk


def _batches(
    lines: Iterator[tuple[int, bytes | None]],
) -> Iterator[list[tuple[int, bytes | None]]]:
    batch: list[tuple[int, bytes | None]] = []
    size = 0
    for number, line in lines:
        batch.append((number, line))
        size += len(line) if line else 0
        if len(batch) >= BATCH_LINES or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(2) == b"\x1f\x8b"


def _pick(
    context: Context, service_name: str | None, kind_name: str | None
) -> tuple[SendingService, str]:
    with context.unit_of_work() as uow:
        if service_name is None:
            live = [s for s in context.telemetry.services(uow) if not s.revoked]
            if len(live) != 1:
                raise _fail("name the sending service with --service NAME", 2)
            service_name = live[0].name
        try:
            service = context.telemetry.service(uow, service_name)
        except InvalidField as error:
            raise _fail(error.message, 2) from None
    if kind_name is None:
        if len(service.kinds) != 1:
            raise _fail(f"{service.name} sends several kinds: name one with --kind", 2)
        (kind_name,) = service.kinds
    return service, kind_name


@telemetry_app.command("ingest")
def ingest_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    service_name: str | None = typer.Option(None, "--service", help="The sending service."),
    kind_name: str | None = typer.Option(None, "--kind", help="The kind of its events."),
) -> None:
    """Ingest an NDJSON file (gzip allowed) as the service would send it, streamed."""
    context = _context()
    counts: Counter[Status] = Counter()
    shown: list[LineOutcome] = []
    try:
        service, kind_name = _pick(context, service_name, kind_name)
        try:
            kind = context.telemetry.kind(service, kind_name)
        except (UnknownKind, KindNotAllowed) as error:
            raise _fail(str(error), 2) from None
        gzipped = _is_gzip(file)
        columns = (
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, transient=False) as progress:
            task = progress.add_task(file.name, total=file.stat().st_size)
            chunks: Iterator[bytes] = _chunks(file, progress, task)
            if gzipped:
                chunks = gunzip(chunks)
            try:
                for batch in _batches(ndjson_lines(chunks, max_line=MAX_LINE)):
                    with context.unit_of_work() as uow:
                        outcomes = context.telemetry.ingest(uow, service, kind, batch)
                    for outcome in outcomes:
                        counts[outcome.status] += 1
                        if outcome.status in (Status.REFUSED, Status.INVALID):
                            if len(shown) < SHOWN:
                                shown.append(outcome)
            except BrokenGzip as error:
                _report(counts, shown)
                raise _fail(f"{file}: {error} (the batches before it are stored)", 1) from None
    finally:
        context.close()
    _report(counts, shown)
    failed = counts[Status.REFUSED] + counts[Status.INVALID]
    if failed:
        raise _fail(f"{failed} lines were not stored", 1)


def _report(counts: Counter[Status], shown: list[LineOutcome]) -> None:
    for outcome in shown:
        where = f" ({outcome.field})" if outcome.field else ""
        typer.echo(f"line {outcome.line}: {outcome.status.value}{where}: {outcome.reason}")
    typer.echo(" ".join(f"{status.value}={counts[status]}" for status in Status))
