"""The public API of ``privaat.policy.diff``: ``__all__`` names exactly what callers may use."""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType

import privaat.policy.diff as diff

ROOT = Path(__file__).resolve().parents[3]


def test_all_names_exactly_the_public_names_of_the_package() -> None:
    public = {
        name
        for name, value in vars(diff).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    } - {"annotations"}  # from __future__ import annotations

    assert sorted(diff.__all__) == sorted(public)


def test_every_name_in_all_is_documented_in_the_package_docstring() -> None:
    assert diff.__doc__ is not None
    for name in diff.__all__:
        assert re.search(rf"\b{name}\b", diff.__doc__), name


def test_nothing_outside_the_package_imports_its_private_modules() -> None:
    private = re.compile(r"privaat\.policy\.diff\._\w+")
    outside = [
        path
        for tree in ("src", "tests", "bench")
        for path in (ROOT / tree).rglob("*.py")
        if "policy/diff/" not in path.as_posix() and private.search(path.read_text("utf-8"))
    ]

    assert outside == []
