"""The cookie banner for the provider's websites (issue 10 item 7; P14, P16, P17)."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter()
