"""Commands for telemetry: its sending services and ingesting a file (issue 12 item 1)."""

from __future__ import annotations
