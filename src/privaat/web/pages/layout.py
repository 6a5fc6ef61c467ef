"""The frame of every page: the language, one Jinja2 environment per language, ``render``.

    request ─▶ page_language: ?lang= · the switch's cookie (privaat_lang) · Accept-Language · nl
            ─▶ render(request, "signup.html.j2", form=...) ─▶ HTMLResponse
                 templates   web/pages/templates/*.html.j2, extending base.html.j2, autoescaped
                 context     lang, _() / ngettext of that language, csrf_token, languages,
                             provider and privacy_email (the policy), signed_in, path, here
                 headers     a CSP without 'unsafe-inline', Permissions-Policy, no-store,
                             Content-Language, Vary

Every asset is local (``/static``, ``mount_static``): the pages load no script at all, and
no style but the one stylesheet, so the CSP needs no 'unsafe-inline'.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlencode, urlsplit

from babel import Locale
from babel.dates import format_date
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.staticfiles import StaticFiles

from privaat.bootstrap import Context
from privaat.i18n import DEFAULT_LANGUAGE, LANGUAGES, translations
from privaat.render.language import formatting_locale, negotiate_language
from privaat.services.policy_publishing import SiteNotice
from privaat.web.pages import csrf
from privaat.web.pages.cookies import LANGUAGE_COOKIE

__all__ = [
    "PAGE_CSP",
    "PERMISSIONS_POLICY",
    "TEMPLATE_PACKAGES",
    "LanguageChoice",
    "environment",
    "local_path",
    "mount_static",
    "notice",
    "page_language",
    "redirect",
    "render",
]

# CSP level 3: nothing but our own stylesheet and images; forms post only to us
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
# W3C Permissions Policy: no page of ours needs a sensor, a camera or a payment sheet
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)
# the packages whose templates/ directories the pages render from (the console adds its own)
TEMPLATE_PACKAGES: tuple[str, ...] = ("privaat.web.pages", "privaat.web.console")


@dataclass(frozen=True, slots=True)
class LanguageChoice:
    """A language of the switch, named in its own language ("Nederlands", "English")."""

    code: str
    name: str
    current: bool


def environment(lang: str) -> Environment:
    """The page environment of ``lang``: its ``_()``, ``ngettext`` and ``{% trans %}`` read
    that language's catalogue; ``*.html.j2`` templates escape everything they print."""
    return _environment(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)


@cache
def _environment(lang: str) -> Environment:
    # one environment per language: installed translations are globals of the environment,
    # so one shared environment would let two requests in different languages race
    env = Environment(
        loader=ChoiceLoader([PackageLoader(package, "templates") for package in TEMPLATE_PACKAGES]),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=True),
        undefined=StrictUndefined,  # a misspelt variable fails the render instead of vanishing
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals["languages_named"] = _language_names()
    return env


@cache
def _language_names() -> Mapping[str, str]:
    names = {}
    for code in LANGUAGES:
        name = Locale.parse(code).get_display_name(code) or code
        names[code] = name[:1].upper() + name[1:]
    return names


def page_language(request: Request) -> str:
    """``?lang=`` for this page, else the switch's cookie, else Accept-Language, else Dutch."""
    for asked in (request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if asked and asked.lower() in LANGUAGES:
            return asked.lower()
    return negotiate_language(request.headers.get("accept-language"))


def render(
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    signed_in: bool = False,
    with_forms: bool = True,
    **context: Any,
) -> HTMLResponse:
    """The page ``template`` in the request's language, with a CSRF token and the page headers.

    ``context`` is what the template shows; ``signed_in`` switches the navigation to the
    logged-in person's. Forms put ``csrf_token`` in a hidden field (``_forms.html.j2``);
    ``with_forms=False`` leaves the layout's own forms out (an error page without a key)."""
    lang = page_language(request)
    ctx: Context = request.app.state.context
    body = (
        environment(lang)
        .get_template(template)
        .render(
            lang=lang,
            path=request.url.path,
            here=_here(request),
            csrf_token=csrf.token(request) if with_forms else "",
            languages=[
                LanguageChoice(code, name, code == lang) for code, name in _language_names().items()
            ],
            provider=ctx.policy.controller.name,
            privacy_email=ctx.policy.privacy_contact.email,
            # the policy's activities: a page links to a service only where the policy has it
            declared=ctx.policy.activity_ids,
            signed_in=signed_in,
            policy_notice=_policy_notice(request, ctx, lang),
            **context,
        )
    )
    response = HTMLResponse(body, status_code=status_code, headers=_headers(lang, headers))
    csrf.set_cookie(request, response)
    return response


def _policy_notice(request: Request, ctx: Context, lang: str) -> dict[str, Any] | None:
    """The centre's notice of a published material change (P19, L49); not in the console."""
    publishing = getattr(ctx, "publishing", None)
    if publishing is None or request.url.path.startswith("/console"):
        return None
    notice: SiteNotice | None = publishing.site_notice(ctx.policy, ctx.clock.now().date())
    if notice is None:
        return None
    return {
        "coming": notice.coming,
        "date": format_date(notice.effective, format="long", locale=formatting_locale(lang)),
        "href": f"{notice.changes_href}&lang={lang}",
    }


def _here(request: Request) -> str:
    """This page's path and query without ``lang``: where the language switch returns to."""
    query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "lang"])
    return request.url.path + (f"?{query}" if query else "")


def _headers(lang: str, extra: Mapping[str, str] | None) -> dict[str, str]:
    return {
        "Content-Security-Policy": PAGE_CSP,
        "Permissions-Policy": PERMISSIONS_POLICY,
        # the page holds a CSRF token and often personal data: no cache keeps it
        "Cache-Control": "no-store",
        "Content-Language": lang,  # RFC 9110 §8.5
        "Vary": "Accept-Language, Cookie",  # RFC 9110 §12.5.5
        **(extra or {}),
    }


def notice(request: Request, known: Mapping[str, str]) -> str | None:
    """The msgid of ``?notice=`` when it is one of ``known``: what the last POST did (PRG).

    Only a key travels in the address, never a text: nobody can put words on our page."""
    key = request.query_params.get("notice")
    return known.get(key) if key else None


def redirect(url: str) -> RedirectResponse:
    """303 See Other to ``url``: the GET after a successful POST (POST-redirect-GET)."""
    return RedirectResponse(url, status_code=303)


def local_path(value: str | None, default: str) -> str:
    """``value`` if it is a path on this site (not another host, not the API), else ``default``.

    A ``next=`` or a switch's return address is typed by anyone: an open redirect would send
    a person who just logged in to a look-alike site (OWASP: unvalidated redirects)."""
    if not value or len(value) > 512 or not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value or any(ord(char) < 0x21 for char in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path.startswith("/api/"):
        return default
    return value


def mount_static(app: FastAPI) -> None:
    """Serve the pages' stylesheet and icons from the package at ``/static``."""
    app.mount("/static", StaticFiles(packages=[("privaat.web.pages", "static")]), name="static")
