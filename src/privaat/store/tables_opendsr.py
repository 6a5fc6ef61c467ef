"""The OpenDSR tables (issue 11 item 10), on the shared metadata of ``privaat.store.tables``."""

from __future__ import annotations

__all__: list[str] = []
