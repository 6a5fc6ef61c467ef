"""E-mail engagement: the open pixel and the click redirect (issue 10 item 6; P11, L18)."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter()
