"""Commands: the DPIA register (issue 15 item 9; GDPR art. 35, 36; LEGAL L75, L89).

    privaat dpia list                  each flagged activity: none / decided / review due
    privaat dpia show ACTIVITY         every version, newest first (--json: the documents)
    privaat dpia record FILE --officer a new version from a YAML file of one assessment

``record`` acts as the privacy officer named by ``--officer`` (a staff id), as the console
does; a refused value is ``privaat: <field>: <why>`` with exit 2 and nothing recorded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
import yaml

from privaat.cli._apps import app
from privaat.cli.breaches import _officer
from privaat.cli.requests import _context, _fail
from privaat.services.dpia import AssessmentVersion, DpiaActivityUnknown
from privaat.services.errors import Conflict, InvalidField, NotPermitted

dpia_app = typer.Typer(
    help="The DPIA register: versioned impact assessments (art. 35, 36).", no_args_is_help=True
)
app.add_typer(dpia_app, name="dpia")


def _line(version: AssessmentVersion) -> str:
    a = version.assessment
    return (
        f"version {version.version}: {a.decision.value}, residual risk {a.residual.value}, "
        f"decided {a.decided_on.isoformat()} by the {version.decided_by_role.value}, "
        f"next review {a.next_review.isoformat()}"
    )


@dpia_app.command("list")
def list_command(
    as_json: bool = typer.Option(False, "--json", help="One JSON object per activity."),
) -> None:
    """Every activity the screening flags, with its latest assessment and its state."""
    context = _context()
    try:
        with context.unit_of_work() as uow:
            rows = context.dpia.overview(uow)
    finally:
        context.close()
    for row in rows:
        latest = row.latest
        if as_json:
            fields = {
                "activity": row.activity.id,
                "criteria": [c.value for c in row.activity.criteria],
                "state": row.state.value,
                "version": latest.version if latest else None,
                "decision": latest.decision.value if latest else None,
                "residual": latest.residual.value if latest else None,
                "next_review": latest.assessment.next_review.isoformat() if latest else None,
            }
            typer.echo(json.dumps(fields))
        else:
            where = _line(latest) if latest else "no assessment recorded"
            typer.echo(f"{row.activity.id:<28} {row.state.value:<10} {where}")
    if not as_json:
        typer.echo(f"{len(rows)} activit{'y' if len(rows) == 1 else 'ies'} flagged for a DPIA")


@dpia_app.command("show")
def show_command(
    activity: str,
    as_json: bool = typer.Option(False, "--json", help="Every version as JSON, newest first."),
) -> None:
    """Every version of one activity's assessment, newest first."""
    context = _context()
    try:
        with context.unit_of_work() as uow:
            history = context.dpia.history(uow, activity)
    except DpiaActivityUnknown as error:
        raise _fail(f"activity: {error}", 2) from None
    finally:
        context.close()
    if as_json:
        documents = [
            {
                "version": v.version,
                "recorded_at": v.recorded_at.isoformat(),
                "decided_by_role": v.decided_by_role.value,
                "residual": v.residual.value,
                **v.assessment.as_document(),
            }
            for v in history.versions
        ]
        typer.echo(json.dumps(documents, ensure_ascii=False, indent=2))
        return
    criteria = ", ".join(c.value for c in history.activity.criteria) or "none (voluntary)"
    typer.echo(f"{activity}: {history.state.value}; AP list criteria: {criteria}")
    if not history.versions:
        typer.echo("no assessment recorded")
    for version in history.versions:
        a = version.assessment
        typer.echo(_line(version))
        for risk in a.risks:
            typer.echo(
                f"  risk {risk.id}: {risk.inherent.value} -> {risk.residual.value} "
                f"({', '.join(r.value for r in risk.rights)}): {risk.description}"
            )
        for measure in a.measures:
            typer.echo(f"  measure ({', '.join(measure.reduces)}): {measure.description}")


@dpia_app.command("record")
def record_command(
    file: Annotated[Path, typer.Argument(help="A YAML file of one assessment (see docs).")],
    officer: int = typer.Option(..., "--officer", help="The privacy officer's staff id."),
) -> None:
    """Record a new version of an activity's assessment from a YAML file; older ones stay."""
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as error:
        raise _fail(f"{file}: {error.strerror or error}", 2) from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise _fail(f"{file}: not a YAML file: {error}", 2) from None
    if not isinstance(data, dict):
        raise _fail(f"{file}: expected the fields of one assessment (activity, risks, …)", 2)
    context = _context()
    try:
        with context.unit_of_work() as uow:
            version = context.dpia.record(uow, _officer(uow, officer), data)
    except InvalidField as error:
        raise _fail(f"{error.field}: {error.message}", 2) from None
    except (Conflict, NotPermitted) as error:
        raise _fail(str(error), 2) from None
    finally:
        context.close()
    typer.echo(f"{version.assessment.activity_id}: {_line(version)}")
    if version.assessment.consultation_required:
        typer.echo("the residual risk stays high: consult the Autoriteit Persoonsgegevens first")
