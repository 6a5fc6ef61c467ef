"""A small Flexibelt example site that uses the cookie banner with one tag (demo only).

    GET /example/        a page with <script src="/consent/banner.js">, a statistics script
                         held back as type="text/plain" data-category="analytics" (from the
                         stand-in analytics origin), a social-button placeholder
                         (data-category="social", from the stand-in social origin) and a
                         "cookie settings" button
                         and a video (data-privaat-embed="embeds", from the stand-in social
                         origin's /video), a placeholder until the visitor allows it
    GET /example/order   an order confirmed: the site works whatever was chosen (L41)
    GET /example/leaky   a page that misbehaves on purpose, for ``privaat scan`` to find
                         (issue 14 item 3): it sets a cookie the policy does not declare
                         and calls the stand-in analytics origin before any choice (L39, L44)

The banner's script comes first in <head>, without ``defer``: it sets Google Consent Mode's
defaults before any tag of the page runs.

It is served by privaat itself, so the site and ``/consent/`` share one origin, as in
production behind a reverse proxy: the visitor cookie is first-party.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse

from privaat.web.pages.layout import page_language

__all__ = ["LEAKY_COOKIE", "install"]

LEAKY_COOKIE = "flexibelt_ab"  # an A/B-test id the policy does not declare (the leaky page)

_WORDS = {
    "nl": {
        "title": "Flexibelt: hosting, telefonie en IT-diensten",
        "intro": "Dit is een voorbeeldsite. Hij gebruikt de cookiemelding van privaat.",
        "order": "Bestel een webhostingpakket",
        "ordered": "Bedankt, uw bestelling is ontvangen.",
        "follow": "Volg ons",
        "settings": "Cookie-instellingen",
        "privacy": "Privacyverklaring",
        "back": "Terug naar de voorbeeldsite",
        "video": "Video: zo werkt Flexibelt-hosting",
        "leaky": "Actie (een pagina die zich met opzet misdraagt, voor de trackerscan)",
        "leaky_intro": "Deze pagina zet een cookie en roept de statistiekdienst aan zonder te "
        "vragen. privaat scan vindt dat.",
    },
    "en": {
        "title": "Flexibelt: hosting, telephony and IT services",
        "intro": "This is an example site. It uses privaat's cookie notice.",
        "order": "Order a web hosting package",
        "ordered": "Thank you, your order has been received.",
        "follow": "Follow us",
        "settings": "Cookie settings",
        "privacy": "Privacy statement",
        "back": "Back to the example site",
        "video": "Video: how Flexibelt hosting works",
        "leaky": "Offer (a page that misbehaves on purpose, for the tracker scan)",
        "leaky_intro": "This page sets a cookie and calls the statistics service without asking. "
        "privaat scan finds it.",
    },
}


def install(app: FastAPI, *, analytics_origin: str, social_origin: str) -> None:
    """Serve the example site on ``app`` under /example/, with its third parties named."""
    router = APIRouter(include_in_schema=False)
    csp = (
        f"default-src 'none'; script-src 'self' {analytics_origin} {social_origin}; "
        f"style-src 'self'; img-src 'self' data: {analytics_origin}; connect-src 'self'; "
        f"frame-src {social_origin}; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    )

    def page(request: Request, body: str) -> HTMLResponse:
        lang = page_language(request)
        words = _WORDS.get(lang, _WORDS["nl"])
        html = f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(words["title"])}</title>
<script src="/consent/banner.js"></script>
<link rel="stylesheet" href="/static/site.css">
<script type="text/plain" data-category="analytics" src="{analytics_origin}/analytics.js"></script>
</head>
<body>
<header class="site-header"><div class="wrap header-row"><a class="brand" href="/example/?lang={lang}">Flexibelt</a></div></header>
<main id="main" class="wrap">
{body.format(**{k: escape(v) for k, v in words.items()}, lang=lang, social=social_origin, analytics=analytics_origin)}
<p><button type="button" class="button" id="site-cookie-settings" data-cookie-settings>{escape(words["settings"])}</button></p>
</main>
<footer class="site-footer"><div class="wrap"><p>Flexibelt · <a href="/privacy?lang={lang}">{escape(words["privacy"])}</a> · <a href="/cookies?lang={lang}">{escape(words["settings"])}</a></p></div></footer>
</body>
</html>
"""  # noqa: E501  (an HTML page, read as one)
        return HTMLResponse(
            html,
            headers={"Content-Security-Policy": csp, "Cache-Control": "no-store"},
        )

    @router.get("/example/")
    def home(request: Request) -> HTMLResponse:
        """The example site's start page."""
        return page(
            request,
            """<h1>{title}</h1>
<p>{intro}</p>
<p><a class="button" id="site-order" href="/example/order?lang={lang}">{order}</a></p>
<section aria-labelledby="follow"><h2 id="follow">{follow}</h2>
<div id="social-button" data-category="social" data-src="{social}/button.js"></div>
</section>
<section aria-labelledby="video"><h2 id="video">{video}</h2>
<div id="site-video" data-privaat-embed="embeds" data-src="{social}/video"
 data-title="{video}"></div>
</section>
<p><a id="site-leaky" href="/example/leaky?lang={lang}">{leaky}</a></p>""",
        )

    @router.get("/example/leaky")
    def leaky(request: Request) -> HTMLResponse:
        """A page that ignores the banner: an undeclared cookie and a pixel before consent."""
        response = page(
            request,
            """<h1>{leaky}</h1>
<p>{leaky_intro}</p>
<img id="leaky-pixel" alt="" width="1" height="1"
 src="{analytics}/collect?page=/example/leaky">
<p><a href="/example/?lang={lang}">{back}</a></p>""",
        )
        # what the scan must report: not in the policy's cookie table, and set before consent
        response.set_cookie(LEAKY_COOKIE, "b", max_age=30 * 24 * 3600, path="/", samesite="lax")
        return response

    @router.get("/example/order")
    def order(request: Request) -> HTMLResponse:
        """An order confirmed, whatever the visitor chose (no cookie wall, L41)."""
        return page(
            request,
            """<h1>{title}</h1>
<p id="order-done" role="status">{ordered}</p>
<p><a href="/example/?lang={lang}">{back}</a></p>""",
        )

    app.include_router(router)
