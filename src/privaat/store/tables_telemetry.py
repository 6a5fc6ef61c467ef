"""The telemetry tables (issue 12 item 1), on the shared metadata of ``privaat.store.tables``."""

from __future__ import annotations

__all__: list[str] = []
