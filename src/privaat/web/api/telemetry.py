"""Telemetry ingestion from Flexibelt's services (issue 12 item 1; P6, P15; LEGAL L20-L25).

    POST /api/v1/telemetry/{kind}      kind: voip_sync | app_analytics | service_login
        Authorization: Bearer <service key>       (privaat telemetry service add prints it)
        Content-Type: application/json            one event
                      application/x-ndjson        a batch, one event a line
        Content-Encoding: gzip                    accepted (a broken stream: 400, nothing stored)
    ──▶ 200 every line stored (or a duplicate of one stored before)
        207 some line refused or invalid; the body lists every line's status
        401 no key, or a wrong or revoked one; 403 a kind the service may not send
        404 an unknown kind; 422 the one event (application/json) is not valid
        413 a body over the limit (the app's wire limit; 16 MiB once inflated)
        415 another content type or content coding

A retried batch answers ``duplicate`` for the events stored the first time: the sender's
``event_id`` is the idempotency key, unique per service. A batch is one transaction: the
lines answered ``stored`` are stored together, or (on any failure of the server) none is.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, ValidationError

from privaat.domain.telemetry_events import AD_ID_FIELDS, KINDS
from privaat.services.telemetry import (
    MAX_BODY,
    MAX_LINE,
    InvalidServiceKey,
    KindNotAllowed,
    LineOutcome,
    SendingService,
    Status,
    UnknownKind,
)
from privaat.services.telemetry_lines import BrokenGzip, gunzip, ndjson_lines
from privaat.web.deps import ContextDep, UowDep
from privaat.web.openapi import documented_problem, problem_responses
from privaat.web.problems import ProblemError

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/telemetry", tags=["telemetry"], responses=problem_responses(503))

NDJSON = "application/x-ndjson"
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="telemetry_key",
    description="A sending service's key (privaat telemetry service add NAME prints it once).",
)
_CHALLENGE = 'Bearer realm="telemetry"'


class LineResult(BaseModel):
    """What became of one line (one event) of the body."""

    line: int = Field(description="The line's number in the body, from 1.")
    status: Literal["stored", "duplicate", "refused", "invalid"]
    event_id: str | None = None
    reason: str | None = Field(
        default=None,
        description="Why refused (the guard's reason, e.g. objected, restricted, "
        "account_closed; unknown_subject; advertising_id) or invalid.",
    )
    field: str | None = Field(default=None, description="The field at fault, dotted.")


class BatchAnswer(BaseModel):
    """Every line's status, and the counts."""

    stored: int
    duplicate: int
    refused: int
    invalid: int
    results: list[LineResult]


def _service(
    ctx: ContextDep,
    uow: UowDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> SendingService:
    try:
        return ctx.telemetry.authenticate(uow, credentials.credentials if credentials else None)
    except InvalidServiceKey as error:
        challenge = _CHALLENGE + (', error="invalid_token"' if credentials else "")
        raise ProblemError(
            401, "not-authenticated", "Not authenticated", str(error),
            headers={"WWW-Authenticate": challenge},
        ) from None  # fmt: skip


ServiceDep = Annotated[SendingService, Depends(_service)]


async def _body(request: Request) -> bytes:
    return await request.body()  # the app's BodyLimit has bounded it already


def _problem_415(detail: str) -> ProblemError:
    return ProblemError(415, "unsupported-media-type", "Unsupported media type", detail)


def _inflated(body: bytes, encoding: str) -> bytes:
    if encoding in ("", "identity"):
        return body
    if encoding != "gzip":
        raise _problem_415("the only content coding accepted is gzip")
    out, size = [], 0
    try:
        for piece in gunzip([body]):
            size += len(piece)
            if size > MAX_BODY:  # a gzip bomb stops here, not in memory
                raise ProblemError(
                    413, "body-too-large", "Body too large",
                    f"the body inflates to more than {MAX_BODY} bytes",
                )  # fmt: skip
            out.append(piece)
    except BrokenGzip as error:
        raise ProblemError(400, "broken-gzip", "Broken gzip", str(error)) from None
    return b"".join(out)


_DESCRIPTION = (
    "One event (`application/json`) or a batch (`application/x-ndjson`, one event a line; "
    "`Content-Encoding: gzip` accepted). Each event is validated against its kind's schema "
    "(unknown fields refused), linked to its subject by pseudonym and stored only if the "
    "guard allows the kind's activity for that person. The answer lists every line: "
    "200 when all were stored (or were duplicates of events stored before, by `event_id`), "
    f"207 when some were refused or invalid. A line may hold at most {MAX_LINE} bytes."
)


def _inline(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with its ``$defs`` inlined: the document's components do not
    hold them (no route takes these models as a parsed body)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    inlined: dict[str, Any] = resolve(schema)
    return inlined


def _operation(kind: str, model: type[BaseModel]) -> dict[str, Any]:
    return {
        "response_model": BatchAnswer,
        "summary": f"Ingest {kind} events",
        "description": _DESCRIPTION,
        "operation_id": f"ingest_{kind}",
        "responses": {
            207: {"model": BatchAnswer, "description": "Some lines were refused or invalid."},
            400: documented_problem(400, description="Broken gzip, or a body that is not UTF-8."),
            401: documented_problem(401, description="No service key, or a wrong or revoked one."),
            403: documented_problem(403, description="This service may not send this kind."),
            413: documented_problem(413),
            415: documented_problem(415, description="Another content type or content coding."),
            422: documented_problem(
                422, description="The one event (application/json) is not valid; `errors`."
            ),
        },
        "openapi_extra": {
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": _inline(model)},
                    NDJSON: {"schema": {"type": "string", "description": "One event a line."}},
                },
            },
        },
    }


def _ingest(
    ctx: ContextDep, uow: UowDep, service: SendingService, request: Request, body: bytes, kind: str
) -> JSONResponse:
    try:
        event_kind = ctx.telemetry.kind(service, kind)
    except KindNotAllowed as error:
        raise ProblemError(403, "kind-not-allowed", "Kind not allowed", str(error)) from None
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in ("application/json", NDJSON):
        raise _problem_415("send application/json (one event) or application/x-ndjson")
    raw = _inflated(body, request.headers.get("content-encoding", "").strip().lower())
    if media == NDJSON:
        lines = list(ndjson_lines([raw], max_line=MAX_LINE))
        if not lines:
            raise ProblemError(422, "no-events", "No events", "the body holds no event")
    else:
        _check_one(event_kind.model, raw)
        lines = [(1, raw)]
    outcomes = ctx.telemetry.ingest(uow, service, event_kind, lines)
    return JSONResponse(_answer(outcomes), status_code=_status(outcomes))


def _check_one(model: type[BaseModel], raw: bytes) -> None:
    """One event that is not valid is the request's 422, each field named (an advertising
    id is left to the service, which refuses it with its own reason, L24)."""
    if len(raw) > MAX_LINE:
        raise ProblemError(413, "body-too-large", "Body too large", f"over {MAX_LINE} bytes")
    try:
        model.model_validate_json(raw)
    except ValidationError as error:
        problems = error.errors(include_url=False, include_input=False)
        if any(
            p["type"] == "extra_forbidden"
            and p["loc"]
            and str(p["loc"][-1]).lower() in AD_ID_FIELDS
            for p in problems
        ):
            return
        raise RequestValidationError(
            [{**p, "loc": ("body", *p["loc"])} for p in problems]
        ) from None


def _route(kind: str, model: type[BaseModel]) -> None:
    def ingest(
        ctx: ContextDep,
        uow: UowDep,
        service: ServiceDep,
        request: Request,
        body: Annotated[bytes, Depends(_body)],
    ) -> JSONResponse:
        return _ingest(ctx, uow, service, request, body, kind)

    ingest.__doc__ = f"Ingest one {kind} event or a batch; see the description."
    router.add_api_route(f"/{kind}", ingest, methods=["POST"], **_operation(kind, model))


for _kind in KINDS.values():
    _route(_kind.name, _kind.model)


@router.post("/{kind}", include_in_schema=False)
def unknown_kind(kind: Annotated[str, Path(max_length=64)]) -> None:
    """A kind that is not one of the routes above: 404, naming the kinds there are."""
    raise ProblemError(404, "unknown-kind", "Unknown kind", str(UnknownKind(kind)))


def _answer(outcomes: list[LineOutcome]) -> dict[str, Any]:
    counts = {status.value: 0 for status in Status}
    results = []
    for outcome in outcomes:
        counts[outcome.status.value] += 1
        result: dict[str, Any] = {"line": outcome.line, "status": outcome.status.value}
        for name in ("event_id", "reason", "field"):
            value = getattr(outcome, name)
            if value is not None:
                result[name] = value
        results.append(result)
    return {**counts, "results": results}


def _status(outcomes: list[LineOutcome]) -> int:
    # RFC 4918 §13: 207 when the parts fared differently; 200 when every event is in
    settled = all(o.status in (Status.STORED, Status.DUPLICATE) for o in outcomes)
    return 200 if settled else 207
