"""Two demo hosting customers with their own sites and the banner (issue 14 item 7; demo only).

    sites/bakkerij-a.yaml   Bakkerij A: a1.test and a2.test, one consent scope
    sites/fietsen-b.yaml    Fietsen B: b1.test, a scope of its own
    GET /site/              the customer's page for the request's Host: the banner's one tag,
                            the stand-in analytics held back as data-category="analytics",
                            and links to every demo domain (A's other domain carries the
                            choice, B's never does)

Map the ``.test`` names to the demo's address to visit them (``/etc/hosts``, or chromium's
``--host-resolver-rules="MAP *.test 127.0.0.1"`` as the browser test does).
"""

from __future__ import annotations

from html import escape
from importlib.resources import files

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse

from privaat.bootstrap import Context
from privaat.domain.customer_sites import host_of
from privaat.domain.principal import SystemJob
from privaat.services.errors import Conflict
from privaat.services.site_files import parse_site_file

__all__ = ["DEMO_DOMAINS", "install", "seed"]

_FILES = ("bakkerij-a.yaml", "fietsen-b.yaml")
DEMO_DOMAINS = ("a1.test", "a2.test", "b1.test")
_SEED = SystemJob("demo_seed")


def seed(context: Context) -> list[str]:
    """Declare the demo customers' scopes (again: a rerun keeps them as the files say)."""
    declared = []
    folder = files("privaat.demo") / "sites"
    for name in _FILES:
        site = parse_site_file((folder / name).read_text(encoding="utf-8"), where=name)
        try:
            with context.unit_of_work() as uow:
                context.sites.registry.declare(uow, _SEED, site, replace=True)
        except Conflict as error:  # a domain declared otherwise by hand: leave it
            declared.append(f"{site.customer}: {error}")
            continue
        declared.append(f"{site.customer}: {', '.join(site.domains)}")
    return declared


def install(app: FastAPI, *, analytics_origin: str) -> None:
    """Serve the demo customers' page at /site/ on ``app``."""
    router = APIRouter(include_in_schema=False)
    csp = (
        f"default-src 'none'; script-src 'self' {analytics_origin}; style-src 'self'; "
        f"img-src 'self' data: {analytics_origin}; connect-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )

    @router.get("/site/")
    def page(request: Request) -> HTMLResponse:
        """The demo customer's page for this host, or a 404 page on any other host."""
        context: Context = request.app.state.context
        header = request.headers.get("host", "")
        with context.unit_of_work() as uow:
            scope = context.sites.resolve(uow, header)
        if scope is None:
            return HTMLResponse(
                "<!DOCTYPE html><html lang=en><title>Not a demo site</title>"
                "<p>This host is no demo customer's site.</p></html>",
                status_code=404,
            )
        port = header.rpartition(":")[2] if ":" in header else ""
        here = host_of(header)
        links = "\n".join(
            f'<li><a id="to-{d.replace(".", "-")}" href="http://{d}{":" + port if port else ""}'
            f'/site/">{escape(d)}</a></li>'
            for d in DEMO_DOMAINS
            if d != here
        )
        html = f"""<!DOCTYPE html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(scope.site.name)} ({escape(here or "")})</title>
<script src="/consent/banner.js"></script>
<link rel="stylesheet" href="/static/site.css">
<script type="text/plain" data-category="analytics" src="{analytics_origin}/analytics.js"></script>
</head>
<body>
<main id="main" class="wrap">
<h1>{escape(scope.site.name)}</h1>
<p>Een voorbeeldsite van een hostingklant, op {escape(here or "")}.</p>
<h2>Andere sites</h2>
<ul>
{links}
</ul>
<p><button type="button" class="button" data-cookie-settings>Cookie-instellingen</button></p>
</main>
</body>
</html>
"""
        return HTMLResponse(
            html, headers={"Content-Security-Policy": csp, "Cache-Control": "no-store"}
        )

    app.include_router(router)
