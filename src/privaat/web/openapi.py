"""The OpenAPI document as the API really answers: problem documents, cookie sessions, limits.

FastAPI documents every error as ``application/json`` ``HTTPValidationError``; this app answers
every error with an RFC 9457 problem (``application/problem+json``, ``web.problems``). Routes
declare the statuses they can give with ``problem_responses(...)``; what is app-wide is added
to every operation when the document is built:

    422  every operation with parameters or a body (RequestValidationError → problem)
    413  every operation with a body (the BodyLimit middleware)
    400  every operation with a body: FastAPI's answer to a body it cannot decode at all
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.constants import REF_PREFIX, REF_TEMPLATE
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from privaat.web.deps import SESSION_COOKIE
from privaat.web.problems import PROBLEM_JSON

__all__ = [
    "AUTHENTICATED",
    "FieldError",
    "Problem",
    "documented_problem",
    "install",
    "problem_responses",
]

SESSION_SCHEME = "session"
# openapi_extra for a route that needs a live session (the cookie set by POST /session)
AUTHENTICATED: dict[str, Any] = {"security": [{SESSION_SCHEME: []}]}


class FieldError(BaseModel):
    """One invalid field of a request."""

    model_config = ConfigDict(populate_by_name=True)

    in_: str = Field(alias="in", description="Where the field is: body, query, header, cookie.")
    pointer: str = Field(description="A JSON Pointer (RFC 6901) to the field in the body.")
    field: str = Field(description="The field's dotted name; empty for the body as a whole.")
    message: str


class Problem(BaseModel):
    """A problem document (RFC 9457 §3); extension members such as ``reason`` may follow."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "https://privaat.dev/problems/invalid-request",
                    "title": "The request is not valid",
                    "status": 422,
                    "instance": "/api/v1/accounts",
                    "detail": "Invalid: phone",
                    "errors": [
                        {
                            "in": "body",
                            "pointer": "/phone",
                            "field": "phone",
                            "message": "Value error, not a valid phone number",
                        }
                    ],
                }
            ]
        },
    )

    type: str = Field(
        description="A URI naming the problem type.", json_schema_extra={"format": "uri"}
    )
    title: str
    status: int = Field(ge=400, le=599)
    instance: str = Field(
        description="The path of the request.", json_schema_extra={"format": "uri-reference"}
    )
    # omitted, never null, when there is nothing to add: SkipJsonSchema keeps null out
    detail: str | SkipJsonSchema[None] = None
    errors: list[FieldError] | SkipJsonSchema[None] = Field(
        default=None, description="One entry per invalid field (422 only)."
    )


_DESCRIPTIONS = {
    400: "The body could not be read at all (for instance, it is not UTF-8).",
    401: "Not logged in, or the e-mail address or password is wrong.",
    403: "The guard does not allow this processing now (its reason is in `reason`).",
    409: "The change collides with existing data.",
    413: "The request body is larger than the server accepts.",
    422: "The request is not valid; `errors` names each field at fault.",
    429: "Too many attempts; retry after the number of seconds in `Retry-After`.",
    503: "The database is unavailable; retry after `Retry-After` seconds.",
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before the next attempt (RFC 9110 §10.2.3).",
        "schema": {"type": "integer", "minimum": 0},
    }
}


def documented_problem(
    status: int, *, description: str | None = None, retry_after: bool | None = None
) -> dict[str, Any]:
    """One problem response of the document; Retry-After by default on 429 and 503."""
    response: dict[str, Any] = {
        "description": description or _DESCRIPTIONS[status],
        "content": {PROBLEM_JSON: {"schema": {"$ref": REF_PREFIX + "Problem"}}},
    }
    with_retry_after = status in (429, 503) if retry_after is None else retry_after
    if with_retry_after:
        response["headers"] = _RETRY_AFTER
    return response


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route that can answer ``statuses`` with a problem document."""
    return {status: documented_problem(status) for status in statuses}


def _problem_schemas() -> dict[str, Any]:
    schema = Problem.model_json_schema(ref_template=REF_TEMPLATE, by_alias=True)
    definitions: dict[str, Any] = schema.pop("$defs", {})
    for member in schema["properties"].values():
        member.pop("default", None)  # an absent member is absent, not null
    return {**definitions, "Problem": schema}


def _tell_the_truth(document: dict[str, Any]) -> None:
    """Problems for FastAPI's 422s, 400 and 413 on every body, the session cookie scheme."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.update(_problem_schemas())
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    components.setdefault("securitySchemes", {})[SESSION_SCHEME] = {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "The HttpOnly session cookie that POST /api/v1/session sets.",
    }
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = documented_problem(422)
            if "requestBody" in operation:
                responses.setdefault("400", documented_problem(400))
                responses.setdefault("413", documented_problem(413))


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` (and so ``/openapi.json`` and ``/docs``) describe the problems."""
    build = app.openapi
    corrected: list[dict[str, Any]] = []  # the document last corrected: FastAPI caches it

    def openapi() -> dict[str, Any]:
        document = build()
        if not corrected or corrected[0] is not document:
            _tell_the_truth(document)
            corrected[:] = [document]
        return document

    # FastAPI's documented extension point ("Extending OpenAPI"): replace app.openapi
    app.openapi = openapi  # type: ignore[method-assign]
