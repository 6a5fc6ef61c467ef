"""Commands: ``marketing audience`` (issue 10 item 4)."""

from __future__ import annotations
