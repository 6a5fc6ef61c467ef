"""Commands: ``policy diff OLD NEW`` and ``policy export --to fideslang``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
import yaml
from pydantic import ValidationError

from privaat.cli._apps import policy_app
from privaat.policy.diff import Change, Plain, PolicyDiff, check_versions, diff_policies
from privaat.policy.fideslang import FideslangExportError, to_fideslang
from privaat.policy.loader import (
    PolicyError,
    PolicyProblem,
    PolicyTooLarge,
    load_policy_file,
    locate,
    read_policy_text,
)
from privaat.policy.schema import Policy
from privaat.settings import Settings


class Exit(IntEnum):
    """Exit statuses of ``policy diff`` and ``policy export``; scripts and CI branch on them."""

    OK = 0  # diff: no change, or editorial changes only; export: written
    INVALID_POLICY = 1  # a policy file has problems (each listed), or cannot be exported
    USAGE = 2  # bad arguments, a missing or unreadable file (click's usage errors too)
    MATERIAL_CHANGE = 3  # diff: at least one material change: announce it (L49)
    # diff: NEW does not raise the policy version and date its material changes need, or
    # changes a consent request without a new consent version (L48, L50, L86)
    VERSION_NOT_RAISED = 4


class DiffFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class ExportTarget(StrEnum):
    FIDESLANG = "fideslang"  # Fides' taxonomy: organization + system manifest


class ManifestFormat(StrEnum):
    YAML = "yaml"  # the fideslang manifest format
    JSON = "json"


# one line per paragraph: click and rich wrap them; "\b" keeps the exit-status table as is
_DIFF_HELP = "\n\n".join(
    [
        "Compare two policy files and classify every change as material or editorial.",
        "A material change must be announced by e-mail and site notice before it takes effect "
        "(GDPR art. 13(3); LEGAL L49); some also need fresh consent (L50). Editorial changes "
        "(wording, less processing, a new date) only need publishing.",
        "\b\nExit status:\n"
        "  0  no change, or editorial changes only\n"
        "  1  a policy file is invalid (every problem is listed)\n"
        "  2  usage error, or a file is missing or unreadable\n"
        "  3  at least one material change\n"
        "  4  NEW does not say it is a new version: a material change without a higher\n"
        "     policy.version and a later last_updated, or a consent request changed\n"
        "     (in any language) without a higher consent.version",
    ]
)
_EXPORT_HELP = "\n\n".join(
    [
        "Export a policy to another tool's format: a fideslang manifest for Fides.",
        "Writes YAML (the fideslang manifest format, top-level keys organization and system) "
        "or JSON, to --output or standard output. Each processing activity becomes one privacy "
        "declaration of one system.",
        "\b\nExit status:\n"
        "  0  written\n"
        "  1  the policy is invalid or has no fideslang form (reasons listed)\n"
        "  2  usage error, or a file is missing, unreadable or unwritable",
    ]
)


@policy_app.command("diff", help=_DIFF_HELP)
def diff(
    old: Annotated[Path, typer.Argument(help="The earlier policy file.", show_default=False)],
    new: Annotated[Path, typer.Argument(help="The later policy file.", show_default=False)],
    output_format: Annotated[
        DiffFormat, typer.Option("--format", help="Text for people, JSON for tools.")
    ] = DiffFormat.TEXT,
) -> None:
    before, after = _load_both(old, new)
    result = diff_policies(before, after)
    problems = locate(check_versions(before, after), _text(new), source=str(new))
    if output_format is DiffFormat.JSON:
        document = _diff_json(result, before, after, problems)
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        typer.echo(_diff_text(result, before, after))
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        typer.echo(f"privaat: {new} does not say it is a new version ({count}):", err=True)
        for problem in problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(Exit.VERSION_NOT_RAISED)
    raise typer.Exit(Exit.MATERIAL_CHANGE if result.is_material else Exit.OK)


@policy_app.command("export", help=_EXPORT_HELP)
def export(
    to: Annotated[ExportTarget, typer.Option("--to", help="The target format.")],
    policy_file: Annotated[
        Path | None,
        typer.Option("--policy", help="Policy file; default: the configured PRIVAAT_POLICY_FILE."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write; default: stdout.")
    ] = None,
    output_format: Annotated[
        ManifestFormat, typer.Option("--format", help="Manifest format.")
    ] = ManifestFormat.YAML,
) -> None:
    path = policy_file if policy_file is not None else _configured_policy_file()
    policy = _load_or_exit(path)
    try:
        manifest = to_fideslang(policy)  # the only ExportTarget so far
    except FideslangExportError as error:
        _fail(f"{path}: {error}", Exit.INVALID_POLICY)
    if output_format is ManifestFormat.JSON:
        text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    else:
        text = yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=100)
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        _fail(f"cannot write {output}: {error.strerror or error}", Exit.USAGE)
    declarations = sum(len(s["privacy_declarations"]) for s in manifest["system"])
    typer.echo(
        f"wrote {to.value} manifest to {output}: {len(manifest['organization'])} organization, "
        f"{len(manifest['system'])} system, {declarations} privacy declarations",
        err=True,
    )


# --- loading -------------------------------------------------------------------------------


def _fail(message: str, status: Exit) -> NoReturn:
    typer.echo(f"privaat: {message}", err=True)
    raise typer.Exit(status)


def _configured_policy_file() -> Path:
    try:
        return Settings().policy_file
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        _fail(f"invalid settings (PRIVAAT_*): {problems}", Exit.USAGE)


def _read(path: Path, *, publication: bool = True) -> Policy | PolicyError:
    """The policy in ``path``, or the problems that make it invalid; unreadable files exit.

    ``publication=False`` for the old side of a diff: a version published before the check
    demanded what publishing now needs (issue 9) must still be comparable."""
    try:
        return load_policy_file(path, publication=publication)
    except PolicyTooLarge as error:  # too big to read whole: unreadable, like policy check
        _fail(f"{path}: cannot read the policy file: {error.reason}", Exit.USAGE)
    except PolicyError as error:
        return error
    except FileNotFoundError:
        _fail(f"{path}: no such file", Exit.USAGE)
    except IsADirectoryError:
        _fail(f"{path}: is a directory, not a policy file", Exit.USAGE)
    except OSError as error:
        _fail(f"cannot read {path}: {error.strerror or error}", Exit.USAGE)


def _text(path: Path) -> str:
    """The text of a policy file that loaded a moment ago, to point findings at its lines."""
    try:
        return read_policy_text(path)
    except (OSError, PolicyError) as error:  # replaced or removed since it was loaded
        _fail(f"cannot read {path} again: {error}", Exit.USAGE)


def _load_or_exit(path: Path) -> Policy:
    loaded = _read(path)
    if isinstance(loaded, PolicyError):
        _report_invalid({path: loaded})
    return loaded


def _load_both(old: Path, new: Path) -> tuple[Policy, Policy]:
    """Both policies; when either is invalid, the problems of both are listed before exiting."""
    before, after = _read(old, publication=False), _read(new)
    if isinstance(before, Policy) and isinstance(after, Policy):
        return before, after
    _report_invalid({p: r for p, r in ((old, before), (new, after)) if isinstance(r, PolicyError)})


def _report_invalid(invalid: Mapping[Path, PolicyError]) -> NoReturn:
    for path, error in invalid.items():
        count = f"{len(error.problems)} problem{'s' if len(error.problems) != 1 else ''}"
        typer.echo(f"privaat: {path} is not a valid policy ({count}):", err=True)
        for line in str(error).splitlines():
            typer.echo(f"  {line}", err=True)
    raise typer.Exit(Exit.INVALID_POLICY)


# --- rendering the diff --------------------------------------------------------------------


def _diff_text(result: PolicyDiff, old: Policy, new: Policy) -> str:
    lines = [f"{_title(old)} → {_title(new)}", ""]
    if result.is_empty:
        return "\n".join([*lines, "No changes."])
    if result.policy_changes:
        lines.append("policy")
        lines += [f"    {_change_line(c)}" for c in result.policy_changes]
        lines.append("")
    names = {a.id: a.name.en for a in (*old.activities, *new.activities)}
    for activity_id in dict.fromkeys(c.activity_id for c in result.changes if c.activity_id):
        changes = result.for_activity(activity_id)
        heading = f"{activity_id} ({names[activity_id]})"
        if activity_id in result.added or activity_id in result.removed:
            sign = "+" if activity_id in result.added else "-"
            lines.append(f"{sign} {heading}  {_tag(changes[0])} {changes[0].reason}")
            continue
        lines.append(f"~ {heading}")
        lines += [f"    {_change_line(c)}" for c in changes]
    return "\n".join([*lines, "", *_summary(result)])


def _title(policy: Policy) -> str:
    meta = policy.policy
    return f"{meta.id} v{meta.version} ({meta.last_updated.isoformat()})"


def _change_line(change: Change) -> str:
    if change.old is None:
        shown = f"+ {change.field}: {_shown(change.new)}"
    elif change.new is None:
        shown = f"- {change.field}: {_shown(change.old)}"
    elif change.languages:
        # a text: show each language that changed, never one that did not, and whole, as
        # a widening often hides at the end of a sentence (L86)
        shown = f"~ {change.field}: " + "; ".join(
            f"[{lang}] {_in(change.old, lang)} → {_in(change.new, lang)}"
            for lang in change.languages
        )
    else:
        shown = f"~ {change.field}: {_shown(change.old)} → {_shown(change.new)}"
    return f"{shown}  {_tag(change)} {change.reason}"


def _in(text: Plain, lang: str) -> str:
    """One language of a text as a change holds it ({"nl": ..., "en": ...}), quoted."""
    return f'"{text.get(lang)}"' if isinstance(text, Mapping) else _shown(text)


def _tag(change: Change) -> str:
    return f"[{change.kind.value}, re-consent]" if change.requires_reconsent else f"[{change.kind}]"


def _shown(value: Plain, limit: int = 60) -> str:
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, tuple):
        text = ", ".join(_shown(item, limit) for item in value) or "(none)"
    elif isinstance(value, Mapping):
        english = value.get("en")
        text = f'"{english}"' if isinstance(english, str) else json.dumps(value)
    else:
        text = "(none)" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _summary(result: PolicyDiff) -> list[str]:
    material, editorial = len(result.material), len(result.editorial)
    reconsent = sum(c.requires_reconsent for c in result.changes)
    lines = [
        f"Summary: activities {len(result.added)} added, {len(result.removed)} removed, "
        f"{len(result.changed)} changed; changes {material} material "
        f"({reconsent} needing fresh consent), {editorial} editorial."
    ]
    if result.is_material:
        lines.append(
            "Material: announce by e-mail and site notice before it takes effect (art. 13(3); L49)."
        )
        if result.requires_reconsent:
            ids = ", ".join(result.reconsent_activities) or "see the changes marked re-consent"
            lines.append(f"Ask consent again, old consents do not carry over (L50): {ids}.")
    else:
        lines.append("Editorial only: publish with a new 'last updated' date (L48).")
    return lines


def _diff_json(
    result: PolicyDiff, old: Policy, new: Policy, problems: list[PolicyProblem]
) -> dict[str, Any]:
    def about(policy: Policy) -> dict[str, Any]:
        meta = policy.policy
        return {"id": meta.id, "version": meta.version, "last_updated": str(meta.last_updated)}

    return {
        "old": about(old),
        "new": about(new),
        "material": result.is_material,
        "requires_reconsent": result.requires_reconsent,
        "reconsent_activities": list(result.reconsent_activities),
        "activities": {
            "added": list(result.added),
            "removed": list(result.removed),
            "changed": list(result.changed),
        },
        "summary": {"material": len(result.material), "editorial": len(result.editorial)},
        # check_versions: what NEW must raise to follow OLD (exit status 4 when not empty)
        "version_problems": [
            {"line": p.line, "activity_id": p.activity, "field": p.path, "message": p.message}
            for p in problems
        ],
        "changes": [
            {
                "activity_id": c.activity_id,
                "field": c.field,
                "kind": c.kind.value,
                "old": c.old,
                "new": c.new,
                "reason": c.reason,
                "requires_reconsent": c.requires_reconsent,
                "languages": list(c.languages),
            }
            for c in result.changes
        ],
    }
