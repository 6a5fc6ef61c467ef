"""Load a policy file into a ``Policy``, pointing every problem at its line.

    text ──compose──▶ YAML nodes, each with its line  (syntax errors, tabs: the YAML mark)
         ──build────▶ plain data + the line of every key and list item
                       (duplicate keys, merge keys, non-text keys)
         ──pydantic─▶ Policy                           (schema errors, mapped back to lines)
         ──check────▶ ``validate.check_policy``        (cross-references, mapped back to lines)
                      ``validate.check_publication``   (what the statement and the register
                                                        need; ``publication=False`` skips it)

Every stage collects all its problems, and a stage runs only when the one before it found
none (cross-checks need a typed ``Policy``); any problem ends in one ``PolicyError`` whose
``problems`` read like ``policies/x.yaml:123: activity 'marketing_email': legal_basis: field
required``. Bad input never escapes as a traceback. Parsing is pure: ``load_policy`` takes
text; ``load_policy_file`` only adds reading the file. ``locate`` points the findings of a
later check (``diff.check_versions``) at their lines the same way.

Hostile input is bounded before it costs unbounded memory or time: a file is read up to
``MAX_POLICY_BYTES`` and no further, and composing and building stop at ``MAX_POLICY_NODES``
nodes, an alias counting at each use ("billion laughs"); either is a ``PolicyTooLarge``,
which ``privaat policy check`` reports as unreadable (exit 2).
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from difflib import get_close_matches
from pathlib import Path
from typing import Annotated, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from privaat.policy.schema import Policy
from privaat.policy.validate import Finding, Location, check_policy, check_publication

__all__ = [
    "MAX_POLICY_BYTES",
    "MAX_POLICY_NODES",
    "PolicyError",
    "PolicyProblem",
    "PolicyTooLarge",
    "load_policy",
    "load_policy_file",
    "locate",
    "read_policy_text",
]

# the shipped policies are 72 KiB and 2,826 nodes: room to grow about thirtyfold
MAX_POLICY_BYTES = 2 * 1024 * 1024
MAX_POLICY_NODES = 100_000
_TOO_LARGE = f"larger than {MAX_POLICY_BYTES // 1024 // 1024} MiB, the most a policy file may be"
_TOO_MANY_NODES = (
    f"more than {MAX_POLICY_NODES:,} YAML nodes (an alias counts at each use), "
    "the most a policy file may hold"
)


@dataclass(frozen=True, slots=True)
class PolicyProblem:
    """One problem in a policy file, where it is and, if inside one, which activity."""

    source: str
    line: int | None
    activity: str | None
    path: str  # relative to the activity when ``activity`` is set
    message: str

    def __str__(self) -> str:
        parts = [self.source if self.line is None else f"{self.source}:{self.line}"]
        if self.activity is not None:
            parts.append(f"activity {self.activity!r}")
        if self.path:
            parts.append(self.path)
        parts.append(self.message)
        return ": ".join(parts)


class PolicyError(Exception):
    """A policy file that cannot be used, with every problem found in it."""

    def __init__(self, problems: Sequence[PolicyProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


class PolicyTooLarge(PolicyError):
    """A policy file beyond the loader's limits; ``reason`` says which, fit for a message."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__([PolicyProblem(source, None, None, "", reason)])
        self.reason = reason


def load_policy(text: str, *, source: str = "<policy>", publication: bool = True) -> Policy:
    """Parse, validate and cross-check policy YAML; ``source`` names it in every problem.

    ``publication``: also demand what the statement and the register need (the DPO
    statement, security, LIA, DPIA screening; ``check_publication``). A test may load a
    smaller policy without them.
    """
    document = _Document(source)
    data = document.parse(text)
    if document.problems or data is None:
        raise PolicyError(document.problems)
    try:
        policy = Policy.model_validate(data)
    except ValidationError as error:
        for detail in error.errors():
            document.schema_problem(detail)
        raise PolicyError(document.problems) from None
    document.findings(check_policy(policy))
    if publication:
        document.findings(check_publication(policy))
    if document.problems:
        raise PolicyError(document.problems)
    return policy


def locate(
    findings: Iterable[Finding], text: str, *, source: str = "<policy>"
) -> list[PolicyProblem]:
    """Point findings about a policy at their lines in its ``text``, as loading does.

    For checks that run after loading, e.g. comparing two versions of a policy.
    """
    document = _Document(source)
    document.parse(text)
    document.findings(findings)
    return document.problems


def load_policy_file(path: Path, *, publication: bool = True) -> Policy:
    """Read and load a policy file; an unreadable file raises ``OSError`` unchanged."""
    return load_policy(read_policy_text(path), source=str(path), publication=publication)


def read_policy_text(path: Path) -> str:
    """The text of a policy file; text that is not UTF-8 is a ``PolicyError`` at its line.

    At most ``MAX_POLICY_BYTES`` + 1 bytes are read, so a huge file or ``/dev/zero`` is a
    ``PolicyTooLarge`` at once.
    """
    with path.open("rb") as file:
        raw = file.read(MAX_POLICY_BYTES + 1)
    if len(raw) > MAX_POLICY_BYTES:
        raise PolicyTooLarge(str(path), f"the file is {_TOO_LARGE}")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        problem = PolicyProblem(str(path), line, None, "", f"not UTF-8 text ({error.reason})")
        raise PolicyError([problem]) from None


class _TooManyNodes(Exception):
    """Composing or building went past ``MAX_POLICY_NODES``."""


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 booleans: 'NO' (Norway), 'yes' and 'on' stay text.

    It counts the nodes it composes, so a file of a million tiny values stops early.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.composed = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self.composed += 1
        if self.composed > MAX_POLICY_NODES:
            raise _TooManyNodes
        return super().compose_node(parent, index)


_BOOL = "tag:yaml.org,2002:bool"
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_MERGE = "tag:yaml.org,2002:merge"


class _FastLoader(getattr(yaml, "CSafeLoader", _Loader)):  # type: ignore[misc]
    """libyaml's composer, where PyYAML was built with it: ~4x faster on the shipped policy
    (a third of a second of every start-up). It composes every node (at most
    MAX_POLICY_BYTES of text) and ``_Document._build`` stops at MAX_POLICY_NODES; a text it
    cannot read is read again by ``_Loader``, for PyYAML's own words about the error."""

    yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers


class _Document:
    """One policy text being loaded: its plain data, the line of every path, its problems."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.data: object = None
        self.built = 0  # values built; an alias is built again at each use
        self.lines: dict[Location, int] = {}
        # (line, location, message); named after the data is built, so that a problem
        # found while building an activity can still name that activity's id
        self._found: list[tuple[int | None, Location, str]] = []

    def parse(self, text: str) -> dict[str, object] | None:
        if len(text) > MAX_POLICY_BYTES:  # at least as many bytes as characters
            raise PolicyTooLarge(self.source, f"the policy is {_TOO_LARGE}")
        loader: yaml.SafeLoader | None = None
        try:
            loader = _FastLoader(text)
            try:
                root = loader.get_single_node()
            except yaml.YAMLError:  # the same problem in PyYAML's words, at the same line
                loader.dispose()
                loader = _Loader(text)
                root = loader.get_single_node()
            if root is None:
                self._add(1, "the policy file is empty")
                return None
            if not isinstance(root, yaml.MappingNode):
                self._add(
                    _line(root),
                    "the top level must be a mapping (policy, controller, activities, ...), "
                    f"not {_kind(root)}",
                )
                return None
            data = self._build(root, loader, (), set())
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line = mark.line + 1 if mark is not None else None
            context = f" ({error.context})" if error.context else ""
            self._add(line, f"YAML syntax error: {error.problem}{context}")
            return None
        except yaml.reader.ReaderError as error:
            line = text[: error.position].count("\n") + 1
            self._add(line, f"unacceptable character #x{error.character:04x}")
            return None
        except yaml.YAMLError as error:
            self._add(None, f"YAML error: {error}")
            return None
        except RecursionError:
            self._add(None, "the YAML is nested too deeply")
            return None
        except _TooManyNodes:
            raise PolicyTooLarge(self.source, f"the policy has {_TOO_MANY_NODES}") from None
        finally:
            if loader is not None:
                loader.dispose()
        self.data = data
        return data if isinstance(data, dict) else None

    def _build(
        self, node: yaml.Node, loader: yaml.SafeLoader, location: Location, open_nodes: set[int]
    ) -> object:
        self.built += 1
        if self.built > MAX_POLICY_NODES:
            raise _TooManyNodes
        self.lines.setdefault(location, _line(node))
        if id(node) in open_nodes:
            self.problem(location, "an alias that contains itself")
            return None
        if isinstance(node, yaml.ScalarNode):
            try:
                return loader.construct_object(node)
            except yaml.YAMLError as error:
                problem = getattr(error, "problem", None) or str(error)
                self.problem(location, f"cannot read this value: {problem}")
                return None
        open_nodes.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                items: list[object] = []
                for index, item in enumerate(node.value):
                    self.lines[location + (index,)] = _line(item)
                    items.append(self._build(item, loader, location + (index,), open_nodes))
                return items
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, loader, location, open_nodes)
            self.problem(location, f"unsupported YAML node {node.tag!r}")
            return None
        finally:
            open_nodes.discard(id(node))

    def _mapping(
        self,
        node: yaml.MappingNode,
        loader: yaml.SafeLoader,
        location: Location,
        open_nodes: set[int],
    ) -> dict[str, object]:
        result: dict[str, object] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                self._at_line(
                    _line(key_node),
                    location,
                    "merge keys ('<<') are not supported: write the keys out",
                )
                continue
            key = (
                loader.construct_object(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            )
            if not isinstance(key, str):
                shown = repr(key) if isinstance(key_node, yaml.ScalarNode) else _kind(key_node)
                self._at_line(_line(key_node), location, f"a key must be text, not {shown}")
                continue
            if key in first_line:
                self._at_line(
                    _line(key_node),
                    location + (key,),
                    f"duplicate key {key!r} (first at line {first_line[key]})",
                )
                continue
            first_line[key] = _line(key_node)
            self.lines[location + (key,)] = _line(key_node)
            result[key] = self._build(value_node, loader, location + (key,), open_nodes)
        return result

    def schema_problem(self, detail: ErrorDetails) -> None:
        """Record one pydantic error at the path it names in the data."""
        location = self._data_location(detail["loc"], missing=detail["type"] == "missing")
        self.problem(location, _schema_message(detail))

    def _data_location(self, loc: tuple[int | str, ...], *, missing: bool) -> Location:
        # pydantic's loc may carry validator names (e.g. "function-after[...]"): keep only
        # the parts that are keys and positions in the data, plus the missing key itself
        found: list[str | int] = []
        current = self.data
        for part in loc:
            if isinstance(current, dict) and isinstance(part, str) and part in current:
                current = current[part]
            elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
                current = current[part]
            else:
                if missing and isinstance(current, dict) and isinstance(part, str):
                    found.append(part)
                break
            found.append(part)
        return tuple(found)

    def line_of(self, location: Location) -> int | None:
        """The line of ``location``, or of its nearest ancestor present in the file."""
        for end in range(len(location), -1, -1):
            line = self.lines.get(location[:end])
            if line is not None:
                return line
        return None

    def problem(self, location: Location, message: str) -> None:
        self._at_line(self.line_of(location), location, message)

    def findings(self, findings: Iterable[Finding]) -> None:
        """Record cross-check findings; a conflict also names the line of its other half."""
        for finding in findings:
            related = ""
            if finding.related is not None:
                line = self.line_of(finding.related)
                related = f" (first at line {line})" if line is not None else ""
            self.problem(finding.location, finding.message + related)

    def _at_line(self, line: int | None, location: Location, message: str) -> None:
        self._found.append((line, location, message))

    def _activity_id(self, location: Location) -> str | None:
        if len(location) < 2 or location[0] != "activities" or not isinstance(location[1], int):
            return None
        activities = self.data.get("activities") if isinstance(self.data, dict) else None
        if not isinstance(activities, list) or not 0 <= location[1] < len(activities):
            return None
        entry = activities[location[1]]
        activity_id = entry.get("id") if isinstance(entry, dict) else None
        return activity_id if isinstance(activity_id, str) else f"#{location[1] + 1}"

    def _add(self, line: int | None, message: str) -> None:
        self._found.append((line, (), message))

    @property
    def problems(self) -> list[PolicyProblem]:
        """Every problem so far, in line order; file-wide ones (no line) first."""
        problems = []
        for line, location, message in self._found:
            activity = self._activity_id(location)
            relative = location[2:] if activity is not None else location
            problems.append(PolicyProblem(self.source, line, activity, _render(relative), message))
        return sorted(problems, key=lambda p: (p.line is not None, p.line or 0))


def _schema_message(detail: ErrorDetails) -> str:
    kind = detail["type"]
    if kind == "missing":
        return "field required"
    if kind == "extra_forbidden":
        key = detail["loc"][-1]
        allowed = _fields_at(detail["loc"][:-1])
        close = get_close_matches(str(key), allowed, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown key {key!r}{hint}"
    context = detail.get("ctx", {})
    if kind == "value_error" and "error" in context:
        return str(context["error"])
    if kind == "too_short":
        minimum = context.get("min_length", 1)
        return "must not be empty" if minimum == 1 else f"needs at least {minimum} items"
    message = detail["msg"][:1].lower() + detail["msg"][1:]
    value = detail.get("input")
    if isinstance(value, str | int | float | date) and repr(value) not in message:
        message += f" (found {value!r})"
    return message


def _fields_at(loc: tuple[int | str, ...]) -> list[str]:
    """The keys the schema allows at ``loc``, for a did-you-mean hint."""
    annotation: object = Policy
    for part in loc:
        if isinstance(part, str):
            if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
                return []
            field = annotation.model_fields.get(part)
            if field is None:
                return []
            annotation = _unwrap(field.annotation)
        else:
            args = get_args(annotation)
            annotation = _unwrap(args[0]) if args else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def _unwrap(annotation: object) -> object:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        rest = [arg for arg in get_args(annotation) if arg is not type(None)]
        return _unwrap(rest[0]) if len(rest) == 1 else annotation
    return annotation


def _render(location: Location) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    return "a single value"
