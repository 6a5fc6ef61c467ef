"""Commands: the erasure certificate (issue 15 item 6; docs/stores.md).

    privaat requests certificate REF [--output F]          the signed certificate, as JSON
    privaat requests verify-certificate F [--expect-key FP] offline: no settings, no database

Nothing personal is in a certificate: references, table names, counts, masks and dates.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from privaat.cli._apps import requests_app
from privaat.cli.requests import OPERATOR, _context, _fail
from privaat.render.consent_proof import fingerprint
from privaat.services.erasure_certificates import ErasureCertificates, verify
from privaat.services.errors import Conflict
from privaat.services.subject_requests import RequestNotFound


@requests_app.command("certificate")
def certificate_command(
    reference: Annotated[str, typer.Argument(help="A completed erasure request.")],
    output: Annotated[
        Path | None, typer.Option("--output", help="Write it here (default: standard output).")
    ] = None,
) -> None:
    """The erasure certificate: what was deleted, masked and held in every store, signed."""
    context = _context()
    try:
        certificates = ErasureCertificates(access=context.access, requests=context.requests)
        with context.unit_of_work() as uow:
            document = certificates.certificate(uow, OPERATOR, reference)
    except (Conflict, RequestNotFound) as error:
        raise _fail(str(error), 1) from None
    finally:
        context.close()
    text = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        raise _fail(f"--output: {output}: {error.strerror}", 2) from None
    typer.echo(f"certificate of {reference} written to {output}")


@requests_app.command("verify-certificate")
def verify_certificate_command(
    file: Annotated[Path, typer.Argument(help="A certificate from `requests certificate`.")],
    expect_key: Annotated[
        str | None,
        typer.Option("--expect-key", help="The fingerprint the controller publishes."),
    ] = None,
) -> None:
    """Check a certificate offline: exit 0 when its signature holds, 1 when it does not."""
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except OSError as error:
        raise _fail(f"certificate: {file}: {error.strerror}", 2) from None
    except ValueError:
        raise _fail(f"certificate: {file} is not JSON", 2) from None
    if not verify(document):
        typer.echo(f"certificate {file} does NOT verify: its content or signature was changed")
        raise typer.Exit(1)
    key = fingerprint(bytes.fromhex(document["public_key"]))
    if expect_key is not None and " ".join(expect_key.split()) != key:
        typer.echo(f"certificate {file} is signed by key {key}, not the expected {expect_key}")
        raise typer.Exit(1)
    reference = document["certificate"].get("reference")
    stores = [s["store"] for s in document["certificate"].get("stores", [])]
    typer.echo(
        f"certificate intact: erasure request {reference}, privaat"
        + "".join(f" + {store}" for store in stores)
    )
    typer.echo(f"signed by key {key}")
