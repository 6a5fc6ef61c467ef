"""FastAPI dependencies: the Context, the current subject, the caller's address."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from fastapi import Depends, Request

from privaat.bootstrap import Context
from privaat.services.sessions import session_subject

SESSION_COOKIE = "privaat_session"


def get_context(request: Request) -> Context:
    context: Context = request.app.state.context
    return context


ContextDep = Annotated[Context, Depends(get_context)]


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def current_subject(request: Request, ctx: ContextDep) -> int:
    """The logged-in subject's id; NotAuthenticated (401) without a live session."""
    return session_subject(ctx, session_token(request))


CurrentSubject = Annotated[int, Depends(current_subject)]
SessionToken = Annotated[str | None, Depends(session_token)]


UNKNOWN_IP = "0.0.0.0"  # noqa: S104  (a placeholder address, not a bind address)


def client_ip(request: Request) -> str:
    """The caller's address; behind a proxy run uvicorn with --proxy-headers to get the real one."""
    host = request.client.host if request.client else ""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return UNKNOWN_IP


ClientIp = Annotated[str, Depends(client_ip)]
