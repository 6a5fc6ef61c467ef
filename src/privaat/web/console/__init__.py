"""The staff console under ``/console`` (issue 8 item 4): its own log-in with password and
TOTP, one role × route table (``access``), and the pages of each role (``routes``).

Its templates (``templates/console/``) extend the page layer's ``base.html.j2`` and render
through ``pages.layout.render``: one layout, one CSP, one CSRF mechanism for every page.
"""

from __future__ import annotations

from privaat.web.console.routes import router

__all__ = ["router"]
