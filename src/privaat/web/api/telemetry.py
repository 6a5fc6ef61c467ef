"""Telemetry ingestion from Flexibelt's services (issue 12 item 1)."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter()
