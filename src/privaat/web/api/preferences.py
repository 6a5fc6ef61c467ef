"""The preferences API (P4: topics, language, channels; issue 10 item 2)."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["preferences"])
