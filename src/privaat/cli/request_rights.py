"""Commands for a request's steps: rectification, erasure, restriction, objection (issue 11)."""

from __future__ import annotations
