"""The OpenDSR endpoint for business customers (issue 11 item 10)."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter()
