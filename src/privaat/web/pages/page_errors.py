"""Errors on a page end in a page: ``PageRoute`` turns what a page route raises into HTML.

    NotAuthenticated ────────────► 303 to the log-in page, with ?next= this page
    CsrfRefused ─────────────────► 403 "the form could not be sent", nothing written
    AccessDenied (the guard) ────► 403 "not allowed for your account now"
    HTTPException, bad query ────► its status (400 for a malformed request), as a page
    database unreachable ────────► 503 with Retry-After (one log line per outage, as the API)
    anything else ───────────────► 500: logged on the server, no stack trace in the browser

The JSON problem documents of ``web.problems`` stay the API's: a browser never sees one from
a page route. Use ``APIRouter(route_class=PageRoute)``; the console's routers set
``login_path`` on a subclass of their own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from privaat.domain.errors import AccessDenied
from privaat.i18n import N_
from privaat.services.errors import NotAuthenticated
from privaat.web.pages.csrf import CsrfRefused
from privaat.web.pages.layout import redirect, render
from privaat.web.problems import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS
from privaat.web.server_log import redact_path

__all__ = ["PageRoute", "error_page", "status_page"]

log = logging.getLogger("privaat.web")

_STATUS_TEXT = {
    400: (N_("The request is not valid"), N_("The address or the form was not understood.")),
    403: (N_("Not allowed"), N_("You may not do this.")),
    404: (N_("Page not found"), N_("There is no page at this address.")),
    405: (N_("Not possible here"), N_("This page cannot be used in this way.")),
    500: (
        N_("Something went wrong"),
        N_("The page could not be shown because of an error on our side. Please try again."),
    ),
}


def status_page(
    request: Request, status: int, *, headers: dict[str, str] | None = None
) -> Response | None:
    """The site's page for a bare HTTP status (404, 405, …), or None for one it has none for."""
    text = _STATUS_TEXT.get(status)
    if text is None:
        return None
    return error_page(request, status, text[0], text[1], headers=headers)


def error_page(
    request: Request,
    status: int,
    heading: str,
    message: str,
    *,
    headers: dict[str, str] | None = None,
) -> Response:
    """A page that says what went wrong in the request's language (msgids ``heading``,
    ``message``) and leads back to the start."""
    back = request.url.path if request.method == "POST" else None

    def page(*, with_forms: bool) -> Response:
        return render(
            request,
            "error.html.j2",
            status_code=status,
            headers=headers,
            with_forms=with_forms,
            heading=heading,
            message=message,
            back=back,
        )

    try:
        return page(with_forms=True)
    except DATABASE_UNAVAILABLE:
        # the CSRF key of a new database cannot be read: the page without its forms
        return page(with_forms=False)


class PageRoute(APIRoute):
    """An APIRoute whose errors, raised by the route or a dependency, become pages."""

    login_path: ClassVar[str] = "/login"

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        login_path = self.login_path

        async def handle_as_page(request: Request) -> Response:
            try:
                return await handle(request)
            except NotAuthenticated:
                target = request.url.path if request.method == "GET" else None
                query = f"?next={quote(target, safe='/')}" if target else ""
                return redirect(f"{login_path}{query}")
            except CsrfRefused as refused:
                log.info("form refused on %s: %s", redact_path(request.url.path), refused)
                return error_page(
                    request,
                    403,
                    N_("The form could not be sent"),
                    N_(
                        "The form was open too long, or it did not come from this site, or your "
                        "browser refuses cookies. Nothing was changed. Open the page again and "
                        "try once more."
                    ),
                )
            except AccessDenied:
                return error_page(
                    request,
                    403,
                    N_("Not allowed"),
                    N_("This is not possible for your account at the moment."),
                )
            except RequestValidationError:
                return error_page(request, 400, *_STATUS_TEXT[400])
            except HTTPException as error:
                heading, message = _STATUS_TEXT.get(error.status_code, _STATUS_TEXT[400])
                return error_page(request, error.status_code, heading, message)
            except DATABASE_UNAVAILABLE as error:
                _log_outage(error)
                return error_page(
                    request,
                    503,
                    N_("Temporarily unavailable"),
                    N_("The service cannot be reached just now. Please try again in a moment."),
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                )
            except Exception:  # the trace goes to the server log, never to the browser
                log.exception(
                    "unhandled error on page %s %s", request.method, redact_path(request.url.path)
                )
                return error_page(request, 500, *_STATUS_TEXT[500])

        return handle_as_page


_OUTAGE_LOG_INTERVAL = 60.0
_last_logged: dict[str, float] = {}


def _log_outage(error: Exception) -> None:
    # one line per kind of outage a minute, not one traceback per page view
    kind = type(getattr(error, "orig", None) or error).__name__
    now = time.monotonic()
    if now - _last_logged.get(kind, float("-inf")) >= _OUTAGE_LOG_INTERVAL:
        _last_logged[kind] = now
        log.error("database unavailable (%s); pages answer 503 while it lasts", kind)
