"""Command: the tracker scan (issue 14 item 3; LEGAL L39, L44, L45).

privaat scan URL [--pages N] [--output F]   three passes of headless chromium over the site,
                                           stored, held against the policy's cookie table
privaat scan --check [--output F]          the newest stored scan against today's policy

Exit 0 without violations, 1 with, 2 for bad input (a URL that is not http(s), malformed or
unreachable; no scan stored; an unwritable report) with nothing stored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from privaat.bootstrap import Context
from privaat.cli._apps import app
from privaat.domain.tracker_scan import Pass, declarations, findings
from privaat.i18n import LANGUAGES
from privaat.render.tracker_scan_report import render_report, summary_lines
from privaat.services.site_scanner import MAX_PAGES, BadScanUrl, ScanFailed, check_url, scan_site
from privaat.services.tracker_scans import StoredScan, TrackerScans


def _fail(message: str) -> typer.Exit:
    typer.echo(f"privaat: scan: {message}", err=True)
    return typer.Exit(2)


@app.command("scan")
def scan_command(
    url: str | None = typer.Argument(None, help="The start page, http:// or https://."),
    pages: int = typer.Option(
        10, "--pages", min=1, max=MAX_PAGES, help="At most this many pages per pass."
    ),
    output: Annotated[
        Path | None, typer.Option("--output", help="Write the HTML report here.", dir_okay=False)
    ] = None,
    lang: str = typer.Option("nl", "--lang", help="The report's language: nl or en."),
    timeout: float = typer.Option(
        15.0, "--timeout", min=0.5, max=120, help="Seconds a page may take to load."
    ),
    check: bool = typer.Option(
        False, "--check", help="Hold the newest stored scan against the current policy."
    ),
) -> None:
    """Scan a site for cookies, storage and third-party calls before and after consent."""
    from privaat.cli.jobs import _context as context_of  # the one way to start (exit 2)

    if lang not in LANGUAGES:
        raise _fail(f"--lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    if check == (url is not None):
        raise _fail("give a URL to scan, or --check for the newest stored scan, not both")
    if url is not None:
        try:
            url = check_url(url)  # before anything starts: a bad URL stores nothing
        except BadScanUrl as error:
            raise _fail(str(error)) from None
    context = context_of()
    store = TrackerScans()
    try:
        if url is None:
            with context.unit_of_work() as uow:
                scan = store.last(uow)
            if scan is None:
                raise _fail("no scan is stored yet: run privaat scan URL first")
        else:
            scan = _scan(context, store, url, pages, timeout)
    finally:
        context.close()
    found = findings(scan.observed, declarations(context.policy))
    for line in summary_lines(scan, found):
        typer.echo(line)
    if output is not None:
        try:
            output.write_text(render_report(scan, found, lang), encoding="utf-8")
        except OSError as error:
            raise _fail(f"cannot write {output}: {error.strerror}") from None
        typer.echo(f"report: {output}")
    if any(f.violation for f in found):
        raise typer.Exit(1)


def _scan(
    context: Context, store: TrackerScans, url: str, pages: int, timeout: float
) -> StoredScan:
    """Run the scan with a progress bar, then store it; nothing is stored when it fails."""
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task("scan: before a choice", total=pages * 3)

        def done(scan_pass: Pass, page: str) -> None:
            progress.update(task, advance=1, description=f"scan: {scan_pass.value}")

        try:
            observed, visits = scan_site(
                url,
                pages=pages,
                timeout=timeout,
                clock=context.clock,
                progress=done,
                planned=lambda total: progress.update(task, total=total),
            )
        except (BadScanUrl, ScanFailed) as error:
            raise _fail(str(error)) from None
    finished = context.clock.now()
    with context.unit_of_work() as uow:
        scan_id = store.save(uow, observed, visits, pages_limit=pages, finished_at=finished)
        stored = store.get(uow, scan_id)
    assert stored is not None  # noqa: S101  (written just now, in this unit of work)
    return stored
