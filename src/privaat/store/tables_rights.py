"""The tables of a request's steps: rectification, restriction, objection (issue 11 items 5-8)."""

from __future__ import annotations

__all__: list[str] = []
