"""The cookies the pages set, each with its attributes written once.

privaat_session  the customer's session: the same cookie the JSON API's log-in sets
                 (HttpOnly, SameSite=Lax, Secure on https, for the session's lifetime)
privaat_csrf     the nonce of the CSRF token (``csrf``): HttpOnly, SameSite=Lax, until the
                 browser closes
privaat_lang     the language a person chose with the switch: one year, SameSite=Lax
"""

from __future__ import annotations

from fastapi import Request, Response

from privaat.bootstrap import Context
from privaat.services.sessions import LoggedIn
from privaat.web.deps import SESSION_COOKIE

__all__ = [
    "LANGUAGE_COOKIE",
    "LANGUAGE_COOKIE_SECONDS",
    "clear_session_cookie",
    "is_secure",
    "set_language_cookie",
    "set_session_cookie",
]

LANGUAGE_COOKIE = "privaat_lang"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


def is_secure(request: Request, ctx: Context) -> bool:
    """Whether cookies get ``Secure``: the request came over https or the public URL is https."""
    return request.url.scheme == "https" or ctx.settings.base_url.startswith("https")


def set_session_cookie(
    response: Response, request: Request, ctx: Context, session: LoggedIn
) -> None:
    """Hand the browser its session token, out of reach of scripts and of cross-site POSTs."""
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        max_age=int((session.expires_at - ctx.clock.now()).total_seconds()),
        httponly=True,  # out of reach of scripts
        samesite="lax",  # not sent on cross-site POSTs (CSRF)
        secure=is_secure(request, ctx),
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    """Make the browser forget its session token (after log-out or closing the account)."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")


def set_language_cookie(response: Response, request: Request, ctx: Context, lang: str) -> None:
    """Remember the language chosen with the switch, for a year."""
    response.set_cookie(
        LANGUAGE_COOKIE,
        lang,
        max_age=LANGUAGE_COOKIE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=is_secure(request, ctx),
        path="/",
    )
