"""The headers every response carries, whatever route, error handler or middleware made it.

    X-Content-Type-Options   nosniff: a browser never guesses a type (a JSON body run as HTML)
    Referrer-Policy          no-referrer: no address of ours leaks into another site's logs
    Content-Security-Policy  a route's own (given frame-ancestors 'none' if it has none), else
                             default-src 'none'; frame-ancestors 'none'
    Cache-Control            no-store under /api/: personal data stays out of every cache
    Strict-Transport-Security  when the public base URL is https
    Allow (on a 405)         every method of the path, not only those of the first route

``install`` wraps the whole middleware stack, Starlette's ServerErrorMiddleware included, so
a 500 problem carries the headers too (user middleware runs inside that one).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["DEFAULT_CSP", "HSTS", "ResponseHeaders", "install"]

DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'"
# two years, as hstspreload.org asks; subdomains are the operator's to decide, not ours
HSTS = "max-age=63072000"
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")  # RFC 9110 §9, 5789
_FIXED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class ResponseHeaders:
    """Adds the security headers to each HTTP response of ``app``."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app, self.hsts = app, hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope.get("path", "").startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _FIXED.items():
                    headers.setdefault(name, value)
                headers["Content-Security-Policy"] = _with_frame_ancestors(
                    headers.get("Content-Security-Policy")
                )
                if api:
                    headers["Cache-Control"] = "no-store"
                if self.hsts:
                    headers.setdefault("Strict-Transport-Security", HSTS)
                if message["status"] == 405:
                    allowed = _allowed_methods(scope)
                    if allowed:
                        headers["Allow"] = ", ".join(allowed)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _with_frame_ancestors(policy: str | None) -> str:
    # CSP level 2 §7.7: frame-ancestors is not covered by default-src, so each policy names it
    if not policy:
        return DEFAULT_CSP
    directives = [d.strip() for d in policy.split(";") if d.strip()]
    if any(d.split()[0].lower() == "frame-ancestors" for d in directives):
        return policy
    return "; ".join([*directives, "frame-ancestors 'none'"])


def _allowed_methods(scope: Scope) -> list[str]:
    """Every method some route of the app answers at this path (RFC 9110 §15.5.6)."""
    app = scope.get("app")
    if not isinstance(app, Starlette):
        return []
    # each method is tried against the routes' own matching: included routers stay opaque
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**scope, "method": method})[0] is Match.FULL
            for route in app.router.routes
        )
    ]


def install(app: Starlette, *, hsts: bool) -> None:
    """Put ``ResponseHeaders`` outside every other layer of ``app``."""
    build: Callable[[], ASGIApp] = app.build_middleware_stack

    def build_with_headers() -> ASGIApp:
        return ResponseHeaders(build(), hsts=hsts)

    # build_middleware_stack is Starlette's hook for the layering; replaced on this instance
    # only, so the outermost layer (ServerErrorMiddleware) is wrapped as well
    app.build_middleware_stack = build_with_headers  # type: ignore[method-assign]
