"""Reading a hosting customer's site file (YAML) into a validated ``SiteFile``.

Every problem is reported as ``FILE: field: message`` (the field a dotted path into the
file, ``categories.0.name.en``); an unreadable file or YAML that is not a mapping is one
problem of its own. Nothing is stored here: ``SiteRegistry.declare`` stores a valid file.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from privaat.domain.customer_sites import SiteFile
from privaat.services.errors import ServiceError

__all__ = ["SiteFileInvalid", "SiteFileUnreadable", "parse_site_file", "read_site_file"]

MAX_BYTES = 256 * 1024  # a site file lists domains and categories: a few KB


class SiteFileUnreadable(ServiceError):
    """The file cannot be read, or is no YAML."""


class SiteFileInvalid(ServiceError):
    """The file was read, but does not declare a valid site."""

    def __init__(self, where: str, problems: list[str]) -> None:
        super().__init__("\n".join(f"{where}: {problem}" for problem in problems))
        self.problems = problems


def read_site_file(path: Path) -> SiteFile:
    """The site ``path`` declares; SiteFileUnreadable or SiteFileInvalid naming each fault."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SiteFileUnreadable(f"{path}: cannot be read: {error.strerror}") from None
    if len(data) > MAX_BYTES:
        raise SiteFileUnreadable(f"{path}: larger than {MAX_BYTES // 1024} KiB")
    return parse_site_file(data.decode("utf-8", errors="replace"), where=str(path))


def parse_site_file(text: str, *, where: str) -> SiteFile:
    """The site ``text`` declares (``where`` names it in the problems)."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise SiteFileUnreadable(f"{where}{line}: not valid YAML") from None
    if not isinstance(document, dict):
        raise SiteFileInvalid(where, ["a site file is a mapping (customer, name, domains, …)"])
    try:
        return SiteFile.model_validate(document)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            field = ".".join(str(part) for part in item["loc"]) or "file"
            message = str(item["msg"]).removeprefix("Value error, ")
            problems.append(f"{field}: {message}")
        raise SiteFileInvalid(where, problems) from None
