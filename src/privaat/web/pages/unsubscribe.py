"""One-click unsubscribe (RFC 8058) from a marketing mail (issue 10 item 5)."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter()
