"""The cookies the pages set, each with its attributes written once.

privaat_session  the customer's session: set and cleared by ``web.deps`` for the JSON API
                 and the pages alike (``__Host-privaat_session`` on https)
privaat_csrf     the nonce of the CSRF token (``csrf``): HttpOnly, SameSite=Lax, until the
                 browser closes
privaat_lang     the language a person chose with the switch: one year, SameSite=Lax
"""

from __future__ import annotations

from fastapi import Request, Response

from privaat.bootstrap import Context

__all__ = [
    "LANGUAGE_COOKIE",
    "LANGUAGE_COOKIE_SECONDS",
    "is_secure",
    "set_language_cookie",
]

LANGUAGE_COOKIE = "privaat_lang"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


def is_secure(request: Request, ctx: Context) -> bool:
    """Whether cookies get ``Secure``: the request came over https or the public URL is https."""
    return request.url.scheme == "https" or ctx.settings.base_url.startswith("https")


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
