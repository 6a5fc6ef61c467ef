"""The public privacy policy at ``/privacy`` (HTML) and ``/privacy.md`` (Markdown).

The language is the ``?lang=`` switch when it names a published language, else the best
match for the browser's Accept-Language, else Dutch. Both languages link to each other, so
the text is reachable in either from wherever it is linked (GDPR art. 12(1); LEGAL L6).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from privaat.policy.schema import Policy
from privaat.render.language import LANGUAGES, negotiate_language
from privaat.render.policy_text import Format, render_policy_text
from privaat.web.openapi import documented_problem
from privaat.web.pages.per_policy import per_policy

__all__ = ["PolicyDep", "get_policy", "router"]

_NO_POLICY = documented_problem(503, description="No privacy policy is loaded.", retry_after=False)
router = APIRouter(tags=["pages"], responses={503: _NO_POLICY})

# the page loads nothing: no scripts, no images, no fonts; only its own inline style
_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


def get_policy(request: Request) -> Policy:
    """The policy the app was started with (``app.state.policy``); 503 when there is none."""
    policy = getattr(request.app.state, "policy", None)
    if not isinstance(policy, Policy):
        raise HTTPException(status_code=503, detail="no privacy policy is loaded")
    return policy


PolicyDep = Annotated[Policy, Depends(get_policy)]
LangQuery = Annotated[
    str | None,
    Query(description="nl or en; any other value falls back to the browser's language."),
]


@router.get("/privacy", response_class=HTMLResponse, summary="The privacy policy (HTML)")
def privacy_page(request: Request, policy: PolicyDep, lang: LangQuery = None) -> Response:
    """Serve the public privacy policy as an HTML page."""
    chosen = _language(request, lang)
    body = _rendered(policy, chosen, Format.HTML, request.url.path)
    return HTMLResponse(body, headers=_headers(chosen, csp=True))


class MarkdownResponse(Response):
    """Documents the Markdown page as ``text/markdown`` (RFC 7763), not as JSON."""

    media_type = "text/markdown"


@router.get("/privacy.md", response_class=MarkdownResponse, summary="The privacy policy (Markdown)")
def privacy_markdown(request: Request, policy: PolicyDep, lang: LangQuery = None) -> Response:
    """Serve the public privacy policy as Markdown."""
    chosen = _language(request, lang)
    body = _rendered(policy, chosen, Format.MARKDOWN, request.url.path)
    return Response(body, media_type="text/markdown; charset=utf-8", headers=_headers(chosen))


def _language(request: Request, lang: str | None) -> str:
    # an unknown ?lang= is no error on a public page: the reader still gets the policy
    if lang is not None and lang.lower() in LANGUAGES:
        return lang.lower()
    return negotiate_language(request.headers.get("accept-language"))


def _headers(lang: str, *, csp: bool = False) -> dict[str, str]:
    # RFC 9110 §8.5 Content-Language; §12.5.5 Vary: the body depends on Accept-Language
    headers = {"Content-Language": lang, "Vary": "Accept-Language"}
    if csp:
        headers["Content-Security-Policy"] = _CONTENT_SECURITY_POLICY
    return headers


@per_policy
def _rendered(policy: Policy, lang: str, fmt: Format, path: str) -> str:
    """Render once per policy, language and format: the policy is immutable."""
    links = {code: f"{path}?lang={code}" for code in LANGUAGES}
    return render_policy_text(policy, lang=lang, fmt=fmt, language_links=links)
