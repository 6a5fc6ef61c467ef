"""CSRF protection for every state-changing form: a signed double-submit token bound to the
session (OWASP CSRF Prevention Cheat Sheet, "signed double-submit cookie").

    GET   render() ─▶ cookie  privaat_csrf = nonce            (random, HttpOnly, SameSite=Lax)
                   └▶ field   csrf_token = HMAC_k(nonce · the session cookies of the request)
    POST  CheckedForm ─▶ Sec-Fetch-Site is not cross-site, Origin (if sent) is this host,
                         csrf_token equals the HMAC of this request's nonce and sessions
                      └▶ otherwise CsrfRefused: a 403 page, and the form writes nothing

``k`` is the server's blind-index key under its own HKDF sub-key (``"csrf"``): the same in
every worker and after a restart, never in the browser. Binding the session cookies makes a
token from another session, or from before log-in, worthless; a nonce cookie planted by a
sibling domain cannot be paired with a valid token without the victim's session. A page
that owns another session cookie (the staff console) binds it with ``bind_session_cookie``.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from privaat.bootstrap import Context
from privaat.store.crypto import BlindIndex
from privaat.web.deps import SECURE_SESSION_COOKIE, SESSION_COOKIE
from privaat.web.pages.cookies import is_secure

__all__ = [
    "COOKIE",
    "FIELD",
    "CheckedForm",
    "CsrfRefused",
    "bind_session_cookie",
    "checked_form",
    "set_cookie",
    "token",
]

FIELD = "csrf_token"
COOKIE = "privaat_csrf"
MAX_FIELDS = 64  # no form of ours has more; a bigger one is refused while it is parsed
_bound_cookies: list[str] = [SESSION_COOKIE, SECURE_SESSION_COOKIE]
_NONCE_BYTES = 32


class CsrfRefused(Exception):
    """A state-changing request without a valid token for this browser and session."""


def bind_session_cookie(name: str) -> None:
    """Bind tokens to the session cookie ``name`` too; call once, where the cookie is defined."""
    if name not in _bound_cookies:
        _bound_cookies.append(name)


def token(request: Request) -> str:
    """The token for forms on the page answering ``request``; issues a nonce if it has none."""
    nonce = _nonce(request)
    if nonce is None:
        nonce = secrets.token_urlsafe(_NONCE_BYTES)
        request.state.new_csrf_nonce = nonce
    return _expected(_index(request), nonce, request)


def set_cookie(request: Request, response: Response) -> None:
    """Send the nonce that ``token`` issued for this request, if it issued one."""
    nonce = getattr(request.state, "new_csrf_nonce", None)
    if nonce is not None:
        response.set_cookie(
            COOKIE,
            nonce,
            httponly=True,
            samesite="lax",
            secure=is_secure(request, _context(request)),
            path="/",
        )


async def checked_form(request: Request) -> dict[str, str]:
    """The fields of a POSTed form once its CSRF token is verified (CsrfRefused otherwise);
    one value per name, files refused."""
    _same_origin(request)
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    fields: dict[str, str] = {}
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            raise CsrfRefused("a file was sent to a form that takes none")
        fields.setdefault(name, value)  # the first of repeated names, as a browser sends one
    sent = fields.pop(FIELD, "")
    nonce = _nonce(request)
    if nonce is None or not sent:
        raise CsrfRefused("no token or no nonce cookie")
    index = _context(request).keys.cached_blind_index
    if index is None:
        index = await run_in_threadpool(_index, request)
    if not hmac.compare_digest(sent.encode(), _expected(index, nonce, request).encode()):
        raise CsrfRefused("the token does not match this browser and session")
    return fields


CheckedForm = Annotated[dict[str, str], Depends(checked_form)]
"""The route parameter of every state-changing page route: its fields, CSRF-checked."""


def _same_origin(request: Request) -> None:
    # Fetch Metadata (W3C) and the Origin header (RFC 6454 §7): a browser says where a POST
    # comes from; the token decides, these refuse the obvious forgeries first
    if request.headers.get("sec-fetch-site", "").lower() == "cross-site":
        raise CsrfRefused("cross-site request")
    origin = request.headers.get("origin")
    if origin and origin != "null":
        host = request.headers.get("host", "")
        if urlsplit(origin).netloc.lower() != host.lower():
            raise CsrfRefused("the request comes from another origin")


def _nonce(request: Request) -> str | None:
    nonce = getattr(request.state, "new_csrf_nonce", None) or request.cookies.get(COOKIE)
    if not nonce or len(nonce) > 64:
        return None
    return str(nonce)


def _expected(index: BlindIndex, nonce: str, request: Request) -> str:
    sessions = "\x00".join(request.cookies.get(name, "") for name in _bound_cookies)
    mac = index.value("csrf", f"{nonce}\x00{sessions}")
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def _context(request: Request) -> Context:
    context: Context = request.app.state.context
    return context


def _index(request: Request) -> BlindIndex:
    ctx = _context(request)
    index = ctx.keys.cached_blind_index
    if index is not None:
        return index
    # the first use of a new database creates the key: a write, in a transaction of its own
    with ctx.unit_of_work() as uow, uow.writing() as connection:
        return ctx.keys.blind_index(connection)
