"""RFC 9457 problem details: every error the API returns, and the handlers that produce them.

ProblemError (raise from a route or service mapping)
RequestValidationError ──► 422 "invalid-request" with one entry per field
AccessDenied (the guard) ─► 403 "processing-not-allowed" with the reason
HTTPException ───────────► its status, as a problem
database unreachable ────► 503 "service-unavailable" with Retry-After, one log line an outage
anything else ───────────► 500 "internal-error": no stack trace leaves the server
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any, cast
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from privaat.domain.errors import AccessDenied
from privaat.services.connectors import StoreMismatch, StoreUnavailable
from privaat.services.errors import (
    Conflict,
    DataWithheld,
    InvalidCredentials,
    InvalidField,
    NotAuthenticated,
    NotPermitted,
    ServiceError,
    StorageFull,
    SubjectNotFound,
    TooManyAttempts,
)
from privaat.services.text_fields import has_card_number

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://privaat.dev/problems/"  # RFC 9457 §3.1.1: a URI naming the problem type
log = logging.getLogger("privaat.web")


class ProblemError(Exception):
    """An error the API reports as a problem document (RFC 9457 §3)."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str | None = None,
        *,
        errors: Sequence[dict[str, str]] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status, self.slug, self.title, self.detail = status, slug, title, detail
        self.errors = list(errors)
        self.headers = headers


# RFC 3986 §3.3: the characters a path segment may hold unencoded, besides "/"
_PATH_SAFE = "/!$&'()*+,;=:@-._~"


def _instance(request: Request) -> str:
    """The request's path as a URI reference (RFC 9457 §3.1.5): re-encoded, so a path holding
    a control character or a space still makes a valid ``instance``."""
    return quote(request.url.path, safe=_PATH_SAFE)


def problem_response(
    request: Request,
    status: int,
    slug: str,
    title: str,
    detail: str | None = None,
    *,
    errors: Sequence[dict[str, str]] = (),
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + slug,
        "title": title,
        "status": status,
        "instance": _instance(request),
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = list(errors)  # RFC 9457 §3.2: an extension member
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_errors(error: RequestValidationError) -> list[dict[str, str]]:
    """One entry per invalid field, with a JSON pointer (RFC 6901) into the request body."""
    out = []
    for item in error.errors():
        loc = [str(part) for part in item.get("loc", ())]
        where, path = (loc[0], loc[1:]) if loc else ("body", [])
        message = str(item.get("msg", "invalid"))
        if item.get("type") == "extra_forbidden":
            message = "unknown field"
            # P8, L31: a card number sent as a key is not echoed back either
            path = ["(withheld)" if has_card_number(part) else part for part in path]
        out.append(
            {
                "in": where,
                "pointer": "/" + "/".join(path),
                "field": ".".join(path),
                "message": message,
            }
        )
    return out


async def _on_validation(request: Request, error: Exception) -> JSONResponse:
    error = cast(RequestValidationError, error)
    errors = _field_errors(error)
    fields = ", ".join(e["field"] or e["in"] for e in errors)
    return problem_response(
        request,
        422,
        "invalid-request",
        "The request is not valid",
        f"Invalid: {fields}",
        errors=errors,
    )


async def _on_problem(request: Request, error: Exception) -> JSONResponse:
    error = cast(ProblemError, error)
    return problem_response(
        request,
        error.status,
        error.slug,
        error.title,
        error.detail,
        errors=error.errors,
        headers=error.headers,
    )


async def _on_denied(request: Request, error: Exception) -> JSONResponse:
    error = cast(AccessDenied, error)
    decision = error.decision
    return problem_response(
        request,
        403,
        "processing-not-allowed",
        "This processing is not allowed",
        decision.detail,
        activity=decision.activity,
        reason=str(decision.reason) if decision.reason else None,
    )


def _wants_a_page(request: Request) -> bool:
    # a browser outside the API (an unknown address, a wrong method) gets the site's page,
    # never a bare JSON error (issue 6: bad input)
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


async def _on_http(request: Request, error: Exception) -> Response:
    error = cast(StarletteHTTPException, error)
    if _wants_a_page(request):
        from privaat.web.pages.page_errors import status_page  # the page layer renders it

        page = status_page(request, error.status_code, headers=getattr(error, "headers", None))
        if page is not None:
            return page
    titles = {404: "Not found", 405: "Method not allowed", 401: "Not authenticated"}
    return problem_response(
        request,
        error.status_code,
        f"http-{error.status_code}",
        titles.get(error.status_code, "Request failed"),
        str(error.detail),
        headers=getattr(error, "headers", None),
    )


async def _on_service_error(request: Request, error: Exception) -> JSONResponse:
    if isinstance(error, InvalidField):
        entry = {
            "in": "body",
            "pointer": f"/{error.field}",
            "field": error.field,
            "message": error.message,
        }
        return problem_response(
            request, 422, "invalid-request", "The request is not valid", str(error), errors=[entry]
        )
    if isinstance(error, TooManyAttempts):
        return problem_response(
            request,
            429,
            "too-many-attempts",
            "Too many attempts",
            str(error),
            headers={"Retry-After": str(error.retry_after_seconds)},
        )
    if isinstance(error, InvalidCredentials | NotAuthenticated):
        return problem_response(request, 401, "not-authenticated", "Not authenticated", str(error))
    if isinstance(error, DataWithheld):
        return problem_response(request, 403, "data-restricted", "Data restricted", str(error))
    if isinstance(error, NotPermitted):
        return problem_response(request, 403, "not-permitted", "Not permitted", str(error))
    if isinstance(error, SubjectNotFound):
        return problem_response(request, 404, "no-such-subject", "Not found", str(error))
    if isinstance(error, StoreUnavailable):  # a store outside privaat: try again later
        return problem_response(
            request,
            503,
            "store-unavailable",
            "A connected store is unavailable",
            str(error),
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if isinstance(error, StorageFull):  # the disk full while a file was written: none kept
        return problem_response(
            request,
            503,
            "storage-full",
            "No space left",
            str(error),
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if isinstance(error, StoreMismatch):
        title = "A store answered wrongly"
        return problem_response(request, 502, "store-mismatch", title, str(error))
    if isinstance(error, Conflict):
        return problem_response(request, 409, "conflict", "Conflict", str(error))
    return problem_response(request, 400, "bad-request", "Bad request", str(error))


# the database cannot be reached (refused, restarted, the pool exhausted, SQLite busy): a
# temporary condition, answered 503 with Retry-After (RFC 9110 §15.6.4), never a 500
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)
RETRY_AFTER_SECONDS = 5
# one log line per kind of outage per interval, not one traceback per request
_OUTAGE_LOG_INTERVAL = 60.0
_last_logged: dict[str, float] = {}


async def _on_database_unavailable(request: Request, error: Exception) -> JSONResponse:
    kind = type(getattr(error, "orig", None) or error).__name__
    now = time.monotonic()
    if now - _last_logged.get(kind, float("-inf")) >= _OUTAGE_LOG_INTERVAL:
        _last_logged[kind] = now
        log.error("database unavailable (%s); answering 503 while it lasts", kind)
    return problem_response(
        request,
        503,
        "service-unavailable",
        "Service unavailable",
        "The database cannot be reached just now; try again shortly.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def _on_unexpected(request: Request, error: Exception) -> JSONResponse:
    # the trace goes to the server log (which holds no request bodies), never to the client
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(
        request,
        500,
        "internal-error",
        "Internal error",
        "The server could not complete the request.",
    )


def install(app: FastAPI) -> None:
    """Route every error of ``app`` through a problem-details handler."""
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(AccessDenied, _on_denied)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(ServiceError, _on_service_error)
    for kind in DATABASE_UNAVAILABLE:
        app.add_exception_handler(kind, _on_database_unavailable)
    app.add_exception_handler(Exception, _on_unexpected)
