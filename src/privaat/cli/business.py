"""Commands for business customers and their OpenDSR API keys (issue 11 item 10)."""

from __future__ import annotations
