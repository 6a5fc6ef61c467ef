"""The staff console under ``/console`` (issue 8 item 4): its own log-in with password and
TOTP, one role × route table (``access``), and the pages of each role (``routes``).

Its templates (``templates/console/``) extend the page layer's ``base.html.j2`` and render
through ``pages.layout.render``: one layout, one CSP, one CSRF mechanism for every page.
"""

from __future__ import annotations

from privaat.web.pages import layout

# the page layer renders from the packages in TEMPLATE_PACKAGES ("the console adds its
# own"); it is read when a language's environment is first built, before any page renders
if "privaat.web.console" not in layout.TEMPLATE_PACKAGES:
    layout.TEMPLATE_PACKAGES = (*layout.TEMPLATE_PACKAGES, "privaat.web.console")

from privaat.web.console.routes import router  # noqa: E402  (after the templates are known)

__all__ = ["router"]
