"""FastAPI dependencies: the Context, the request's unit of work, the current subject, the IP.

The unit of work is request-scoped: the auth dependency and the route share it, so a request
checks one connection out of the pool, whatever it does (DESIGN: a unit of work per request).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request, Response

from privaat.bootstrap import Context
from privaat.domain.principal import DataSubject
from privaat.services.sessions import LoggedIn
from privaat.store.unit_of_work import UnitOfWork
from privaat.web.forwarded import client_address, forwarded_chain, trusted_proxies

SESSION_COOKIE = "privaat_session"  # over plain http (the demo on 127.0.0.1)
# over https: the __Host- prefix binds the cookie to this host, Secure, Path=/, no Domain
# (RFC 6265bis §4.1.3.2), so no sibling subdomain can set or shadow it
SECURE_SESSION_COOKIE = "__Host-privaat_session"


# the dependencies that do no I/O are ``async``: FastAPI runs a plain ``def`` dependency in
# the thread pool, one hop per dependency per request (issue 10's consent-save benchmark)
async def get_context(request: Request) -> Context:
    context: Context = request.app.state.context
    return context


ContextDep = Annotated[Context, Depends(get_context)]


def unit_of_work(ctx: ContextDep) -> Iterator[UnitOfWork]:
    """One unit of work for the whole request; its connection goes back to the pool after."""
    with ctx.unit_of_work() as uow:
        yield uow


UowDep = Annotated[UnitOfWork, Depends(unit_of_work)]


def session_cookie_name(ctx: Context) -> str:
    """The session cookie's name: ``__Host-`` prefixed whenever the service runs on https."""
    return SECURE_SESSION_COOKIE if ctx.settings.base_url.startswith("https://") else SESSION_COOKIE


def set_session_cookie(response: Response, ctx: Context, session: LoggedIn) -> None:
    """Give the browser its session: HttpOnly, SameSite=Lax, Secure on https, Path=/."""
    secure = ctx.settings.base_url.startswith("https://")
    response.set_cookie(
        session_cookie_name(ctx),
        session.token,
        max_age=int((session.expires_at - ctx.clock.now()).total_seconds()),
        httponly=True,  # out of reach of scripts
        samesite="lax",  # not sent on cross-site POSTs (CSRF)
        secure=secure,
        path="/",
    )


def clear_session_cookie(response: Response, ctx: Context) -> None:
    response.delete_cookie(
        session_cookie_name(ctx),
        path="/",
        secure=ctx.settings.base_url.startswith("https://"),
        httponly=True,
        samesite="lax",
    )


async def session_token(request: Request, ctx: ContextDep) -> str | None:
    return request.cookies.get(session_cookie_name(ctx))


SessionToken = Annotated[str | None, Depends(session_token)]


def current_subject(ctx: ContextDep, uow: UowDep, token: SessionToken) -> DataSubject:
    """The logged-in data subject; NotAuthenticated (401) without a live session."""
    return DataSubject(ctx.sessions.subject_of(uow, token))


CurrentSubject = Annotated[DataSubject, Depends(current_subject)]


UNKNOWN_IP = "0.0.0.0"  # noqa: S104  (a placeholder address, not a bind address)


async def client_ip(request: Request, ctx: ContextDep) -> str:
    """The caller's address: the peer, or behind a trusted proxy the rightmost untrusted
    X-Forwarded-For entry (``PRIVAAT_FORWARDED_ALLOW_IPS``; see ``web.forwarded``)."""
    host = request.client.host if request.client else ""
    try:
        peer = ipaddress.ip_address(host)
    except ValueError:
        return UNKNOWN_IP
    chain = forwarded_chain(request.headers.getlist("x-forwarded-for"))
    client = client_address(peer, chain, trusted_proxies(ctx.settings.forwarded_allow_ips))
    return UNKNOWN_IP if client is None else str(client)


ClientIp = Annotated[str, Depends(client_ip)]
