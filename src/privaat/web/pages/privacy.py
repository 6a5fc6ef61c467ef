"""The public privacy statement: ``/privacy`` (HTML), ``/privacy.md``, ``/privacy.json`` and its
published versions (``/privacy/versions``, ``/privacy/v/{n}``).

The language is the ``?lang=`` switch when it names a published language, else the best
match for the browser's Accept-Language, else Dutch. Both languages link to each other, so
the text is reachable in either from wherever it is linked (GDPR art. 12(1); LEGAL L6).

The statement names only the channels the app serves: ``web.channels`` reads them from the
app's own routes (issue 9). ``/privacy.json`` is its machine-readable twin (the policy with
DPV terms as JSON-LD), linked from the HTML with ``rel=alternate``. Every version the app
ever ran with is stored at start-up (``services.policy_versions``) and stays readable; for
30 days after a material change the statement shows what changed ("Wat is er veranderd").
"""

from __future__ import annotations

import json
import logging
from datetime import date
from html import escape
from typing import Annotated

from babel.dates import format_date
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import State

from privaat.policy.diff import PolicyDiff, diff_policies
from privaat.policy.jsonld import policy_jsonld
from privaat.policy.schema import Policy
from privaat.policy.wording import translator
from privaat.render.language import LANGUAGES, formatting_locale, negotiate_language
from privaat.render.policy_text import Format, render_policy_text
from privaat.render.statement_context import StatementContext
from privaat.services.policy_publishing import change_lines
from privaat.services.policy_versions import PolicyVersions, StoredVersion
from privaat.web.channels import offered, served_paths
from privaat.web.openapi import documented_problem
from privaat.web.pages.per_policy import per_policy

__all__ = [
    "JSON_HREF",
    "VERSIONS_HREF",
    "PolicyDep",
    "get_policy",
    "render_statement",
    "router",
    "version_href",
]

JSON_HREF = "/privacy.json"
VERSIONS_HREF = "/privacy/versions"
JSON_LD = "application/ld+json"
# each language named in itself, as the statement's own language links name them
_OWN_NAMES = {"nl": "Nederlands", "en": "English"}

log = logging.getLogger("privaat.web")
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


def version_href(number: int) -> str:
    """Where published version ``number`` stays readable."""
    return f"/privacy/v/{number}"


def render_statement(policy: Policy, *, lang: str, fmt: Format, context: StatementContext) -> str:
    """The statement through the renderer, with what the running system offers."""
    return render_policy_text(policy, lang=lang, fmt=fmt, context=context)


@router.get("/privacy", response_class=HTMLResponse, summary="The privacy statement (HTML)")
def privacy_page(request: Request, policy: PolicyDep, lang: LangQuery = None) -> Response:
    """Serve the public privacy statement as an HTML page."""
    chosen = _language(request, lang)
    body = _current(request, policy, chosen, Format.HTML)
    return HTMLResponse(body, headers=_headers(chosen, csp=True))


class MarkdownResponse(Response):
    """Documents the Markdown page as ``text/markdown`` (RFC 7763), not as JSON."""

    media_type = "text/markdown"


@router.get(
    "/privacy.md", response_class=MarkdownResponse, summary="The privacy statement (Markdown)"
)
def privacy_markdown(request: Request, policy: PolicyDep, lang: LangQuery = None) -> Response:
    """Serve the public privacy statement as Markdown."""
    chosen = _language(request, lang)
    body = _current(request, policy, chosen, Format.MARKDOWN)
    return Response(body, media_type="text/markdown; charset=utf-8", headers=_headers(chosen))


class JsonLdResponse(Response):
    """Documents the machine-readable statement as JSON-LD (W3C JSON-LD 1.1, §C)."""

    media_type = JSON_LD


@router.get(
    JSON_HREF,
    response_class=JsonLdResponse,
    summary="The privacy statement as JSON-LD (DPV terms)",
    responses={
        200: {
            "description": "The policy as JSON with its DPV terms as JSON-LD; one document "
            "for every language (the texts carry both).",
            "content": {JSON_LD: {"schema": {"type": "object"}}},
        }
    },
)
def privacy_json(policy: PolicyDep) -> Response:
    """Serve the policy as JSON-LD: the same for every reader, so no Content-Language."""
    return Response(_jsonld(policy), media_type=JSON_LD)


@router.get(
    VERSIONS_HREF,
    response_class=HTMLResponse,
    summary="Every published version of the privacy statement",
)
def privacy_versions(request: Request, policy: PolicyDep, lang: LangQuery = None) -> Response:
    """A list of every published version with its date, the one in force first."""
    chosen = _language(request, lang)
    stored = _stored(request)
    body = _versions_page(policy, chosen, [] if stored is None else stored.all())
    return HTMLResponse(body, headers=_headers(chosen, csp=True))


@router.get(
    "/privacy/v/{number}",
    response_class=HTMLResponse,
    summary="One published version of the privacy statement",
    responses={404: documented_problem(404, description="No version with this number.")},
)
def privacy_version(
    request: Request,
    policy: PolicyDep,
    number: Annotated[int, Path(ge=1, le=2**31 - 1, description="The version number.")],
    lang: LangQuery = None,
) -> Response:
    """Serve version ``number`` as it was published, linking the version in force now."""
    chosen = _language(request, lang)
    path = version_href(number)
    if number == policy.policy.version:
        body = _rendered(policy, chosen, Format.HTML, path, _served(request), True, None, None)
        return HTMLResponse(body, headers=_headers(chosen, csp=True))
    stored = _stored(request)
    version = None if stored is None else stored.get(number)
    if stored is None or version is None:
        raise HTTPException(status_code=404, detail=f"no version {number} of this statement")
    old = stored.policy(version)
    if old is None:
        # stored under a schema this release no longer reads: the published text itself
        return Response(version.text, media_type="application/json")
    body = _rendered(old, chosen, Format.HTML, path, _served(request), True, "/privacy", None)
    return HTMLResponse(body, headers=_headers(chosen, csp=True))


CHANGES_HREF = "/privacy/changes"


@router.get(
    CHANGES_HREF,
    response_class=HTMLResponse,
    summary="What changed between two published versions, in plain words",
    responses={
        404: documented_problem(404, description="No version with one of these numbers."),
        422: documented_problem(422, description="'from' is not a version before 'to'."),
    },
)
def privacy_changes(
    request: Request,
    policy: PolicyDep,
    from_: Annotated[int, Query(alias="from", ge=1, le=2**31 - 1, description="Earlier version.")],
    to: Annotated[int, Query(ge=1, le=2**31 - 1, description="Later version.")],
    lang: LangQuery = None,
) -> Response:
    """The material changes from version ``from`` to ``to`` in the statement's words (P19)."""
    chosen = _language(request, lang)
    if from_ >= to:
        # the order of two parameters is beyond the schema: refused like any invalid query
        # field, named in the problem's errors (RFC 9457)
        raise RequestValidationError(
            [
                {
                    "loc": ("query", "from"),
                    "msg": "'from' must be a version before 'to'",
                    "type": "value_error",
                }
            ]
        )
    old, new = _version_policy(request, policy, from_), _version_policy(request, policy, to)
    body = _changes_page(new, chosen, from_, to, diff_policies(old, new))
    return HTMLResponse(body, headers=_headers(chosen, csp=True))


def _version_policy(request: Request, policy: Policy, number: int) -> Policy:
    if number == policy.policy.version:
        return policy
    stored = _stored(request)
    version = None if stored is None else stored.get(number)
    old = None if stored is None or version is None else stored.policy(version)
    if old is None:
        raise HTTPException(status_code=404, detail=f"no version {number} of this statement")
    return old


def _changes_page(
    new: Policy, lang: str, old_number: int, new_number: int, diff: PolicyDiff
) -> str:
    """The changes page: one line per material change, else that only wording changed."""
    _ = translator(lang).gettext
    title = escape(
        _("What changed from version {old} to version {new}").format(old=old_number, new=new_number)
    )
    lines = change_lines(new, diff, lang) if diff.is_material else ()
    if lines:
        items = "\n".join(f"<li>{escape(line)}</li>" for line in lines)
        listing = f'<ul id="changes">\n{items}\n</ul>\n'
    else:
        only = escape(_("Only the wording changed: nothing about your data."))
        listing = f'<p id="changes">{only}</p>\n'
    names = {n: escape(_("Version {version}").format(version=n)) for n in (old_number, new_number)}
    links = " · ".join(
        f'<a href="{version_href(n)}?lang={lang}">{name}</a>' for n, name in names.items()
    )
    return (
        f'<!doctype html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n</head>\n<body>\n<main>\n<h1>{title}</h1>\n"
        f'{listing}<p>{links} · <a href="{VERSIONS_HREF}?lang={lang}">'
        f"{escape(_('All versions of this privacy statement'))}</a></p>\n"
        "</main>\n</body>\n</html>\n"
    )


def _current(request: Request, policy: Policy, lang: str, fmt: Format) -> str:
    stored = _stored(request)
    changes = None
    if stored is not None:
        today = request.app.state.context.clock.now().date()
        try:
            changes = stored.recent_changes(policy, today)
        except SQLAlchemyError as error:
            # art. 12(1), 13: the statement stays readable while the database is down; only
            # the box of what changed waits (it is looked up again on the next request)
            log.warning("privacy statement without its changes box: %s", type(error).__name__)
    return _rendered(
        policy,
        lang,
        fmt,
        request.url.path,
        _served(request),
        stored is not None,
        None,
        None if changes is None else _ByIdentity(changes),
    )


class _ByIdentity:
    """A cache key for an object computed once (the diff): equal only to itself."""

    __slots__ = ("value",)

    def __init__(self, value: PolicyDiff) -> None:
        self.value = value

    def __hash__(self) -> int:
        return id(self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _ByIdentity) and other.value is self.value


@per_policy
def _rendered(
    policy: Policy,
    lang: str,
    fmt: Format,
    path: str,
    served: frozenset[str],
    versions: bool,
    current_href: str | None,
    changes: _ByIdentity | None,
) -> str:
    """Render once per policy, language, format and what the app serves: all immutable."""
    context = StatementContext(
        offered=offered(served),
        language_links={code: f"{path}?lang={code}" for code in LANGUAGES},
        # the JSON twin is of the version in force: an archived page does not link it
        json_href=JSON_HREF if current_href is None else None,
        versions_href=VERSIONS_HREF if versions else None,
        current_href=current_href,
        changes=None if changes is None else changes.value,
    )
    return render_statement(policy, lang=lang, fmt=fmt, context=context)


@per_policy
def _jsonld(policy: Policy) -> bytes:
    """The JSON-LD document, built once per policy."""
    return json.dumps(policy_jsonld(policy), ensure_ascii=False, indent=1).encode("utf-8")


def _served(request: Request) -> frozenset[str]:
    """The channel pages this app serves, read once from its routes (they do not change)."""
    state: State = request.app.state
    paths = getattr(state, "statement_channels", None)
    if not isinstance(paths, frozenset):
        paths = served_paths(request.app)
        state.statement_channels = paths
    return paths


def _stored(request: Request) -> PolicyVersions | None:
    """The published versions, when the app runs over a database (a bare router has none)."""
    context = getattr(request.app.state, "context", None)
    versions = getattr(context, "versions", None)
    return versions if isinstance(versions, PolicyVersions) else None


def _versions_page(policy: Policy, lang: str, stored: list[StoredVersion]) -> str:
    """The list of versions: the one in force (at /privacy) and every stored earlier one."""
    _ = translator(lang).gettext
    locale = formatting_locale(lang)

    def day(value: date) -> str:
        return format_date(value, format="long", locale=locale)

    meta = policy.policy
    rows = [(meta.version, "/privacy", meta.last_updated, meta.effective)]
    rows += [
        (v.number, version_href(v.number), v.last_updated, v.effective)
        for v in stored
        if v.number != meta.version
    ]
    items = []
    for number, href, updated, effective in sorted(rows, key=lambda row: -row[0]):
        words = f"{_('Last updated')}: {day(updated)}"
        if effective is not None and effective != updated:
            words += " " + _("This version applies from {date}.").format(date=day(effective))
        link = escape(_("Version {version}").format(version=number))
        items.append(f'<li><a href="{escape(href)}?lang={lang}">{link}</a> ({escape(words)})</li>')
    title = escape(_("All versions of this privacy statement"))
    links = " · ".join(
        f'<a href="{VERSIONS_HREF}?lang={code}" hreflang="{code}" lang="{code}">{escape(name)}</a>'
        for code, name in _OWN_NAMES.items()
        if code != lang
    )
    return (
        f'<!doctype html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n</head>\n<body>\n<main>\n<h1>{title}</h1>\n"
        f'<ul id="versions">\n{chr(10).join(items)}\n</ul>\n<p>{links}</p>\n'
        "</main>\n</body>\n</html>\n"
    )


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
