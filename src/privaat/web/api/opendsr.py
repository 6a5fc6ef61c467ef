"""The OpenDSR endpoint for business customers (issue 11 item 10; GDPR art. 28(3)(e)).

    GET    /opendsr/v1/discovery                        what is supported (OpenDSR §6), public
    GET    /opendsr/v1/cert.pem                         the certificate that signs (§4), public
    POST   /opendsr/v1/opendsr_requests                 file a request (§7): 201
    GET    /opendsr/v1/opendsr_requests/{id}            its status (§8)
    DELETE /opendsr/v1/opendsr_requests/{id}            cancel it (§9): 202

Each customer authenticates with its API key (``Authorization: Bearer <key>``, RFC 6750;
OpenDSR §4.3 leaves authentication to the processor). A customer sees only its own
requests: another customer's ``subject_request_id`` is a 404, exactly like an unknown one.
Answers to the three request routes are signed like callbacks (``X-OpenDSR-Signature`` over
the body's bytes, ``X-OpenDSR-Processor-Domain``); errors are RFC 9457 problems, like the
rest of the API (OpenDSR's own error object is a SHOULD, §7.5).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from privaat.domain.opendsr import OpenDsrStatus
from privaat.domain.principal import BusinessCustomer
from privaat.services.opendsr import (
    API_VERSION,
    MAX_CALLBACK_URLS,
    InvalidApiKey,
    OpenDsrState,
    UnknownRequest,
    rfc3339,
)
from privaat.services.opendsr_delivery import MAX_URL_LENGTH
from privaat.web.deps import ContextDep, UowDep
from privaat.web.openapi import documented_problem, problem_responses
from privaat.web.problems import ProblemError

__all__ = ["router"]

PREFIX = "/opendsr/v1"  # OpenDSR §3.4: the major version at the start of the path
router = APIRouter(prefix=PREFIX, tags=["opendsr"], responses=problem_responses(503))

# OpenDSR §1.1: GUIDs are lowercase UUID v4
UUID4 = r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="opendsr_key",
    description="A business customer's API key (privaat business add NAME prints it once).",
)
_CHALLENGE = 'Bearer realm="opendsr"'


class Identity(BaseModel):
    """OpenDSR §5.3: who the request is about, as the controller knows them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    identity_type: Literal["email", "controller_customer_id"]
    identity_value: str = Field(min_length=1, max_length=254)
    identity_format: Literal["raw", "sha256"]


class OpenDsrRequestIn(BaseModel):
    """OpenDSR §7.1: a data-subject request the controller verified and passes on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    subject_request_id: str = Field(pattern=UUID4, description="The controller's UUID v4.")
    subject_request_type: Literal["access", "erasure", "portability"]
    subject_identities: list[Identity] = Field(min_length=1, max_length=10)
    submitted_time: AwareDatetime = Field(description="When the data subject asked (RFC 3339).")
    status_callback_urls: list[Annotated[str, Field(max_length=MAX_URL_LENGTH)]] = Field(
        default_factory=list, max_length=MAX_CALLBACK_URLS
    )
    api_version: Literal["1.0"] = "1.0"
    regulation: Literal["gdpr"] = "gdpr"
    # OpenDSR §7.1.2: processor-keyed extensions; this processor defines none
    extensions: dict[str, dict[str, Any]] | None = None


class Discovery(BaseModel):
    class SupportedIdentity(BaseModel):
        identity_type: str
        identity_format: str

    api_version: str
    supported_identities: list[SupportedIdentity]
    supported_subject_request_types: list[str]
    processor_certificate: str


class OpenDsrCreated(BaseModel):
    """OpenDSR §7.3 (its processor_signature is the X-OpenDSR-Signature header)."""

    controller_id: str
    subject_request_id: str
    received_time: str = Field(description="RFC 3339.")
    expected_completion_time: str = Field(description="The end of the due day (art. 12(3)).")
    encoded_request: str = Field(description="The request body, base64; do not store it.")
    api_version: str


class OpenDsrStatusOut(BaseModel):
    """OpenDSR §8.3."""

    controller_id: str
    subject_request_id: str
    request_status: OpenDsrStatus
    expected_completion_time: str
    api_version: str


class OpenDsrCancelled(BaseModel):
    """OpenDSR §9.2."""

    controller_id: str
    subject_request_id: str
    received_time: str = Field(description="When the cancellation was received.")
    api_version: str


_SIGNED_HEADERS = {
    "X-OpenDSR-Signature": {
        "description": "Base64 RSA-SHA256 signature of the body, by the processor_certificate.",
        "schema": {"type": "string"},
    },
    "X-OpenDSR-Processor-Domain": {
        "description": "The domain the signing certificate is for.",
        "schema": {"type": "string"},
    },
}
_UNAUTHENTICATED = documented_problem(
    401, description="No API key, or a wrong or revoked one (WWW-Authenticate: Bearer)."
)
_NOT_FOUND = documented_problem(404, description="No request of yours has this id.")


def _customer(
    ctx: ContextDep,
    uow: UowDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> BusinessCustomer:
    try:
        return ctx.opendsr.authenticate(uow, credentials.credentials if credentials else None)
    except InvalidApiKey as error:
        challenge = _CHALLENGE + (', error="invalid_token"' if credentials else "")
        raise ProblemError(
            401, "not-authenticated", "Not authenticated", str(error),
            headers={"WWW-Authenticate": challenge},
        ) from None  # fmt: skip


CustomerDep = Annotated[BusinessCustomer, Depends(_customer)]


async def _raw_body(request: Request) -> bytes:
    return await request.body()  # read once; FastAPI parses the same bytes for the model


def _signed(ctx: ContextDep, uow: UowDep, payload: dict[str, Any], status: int) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {
        "X-OpenDSR-Signature": ctx.opendsr.sign(uow, body),
        "X-OpenDSR-Processor-Domain": ctx.opendsr.domain,
    }
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def _not_found() -> ProblemError:
    return ProblemError(404, "no-such-request", "No such request", str(UnknownRequest()))


def _status(state: OpenDsrState) -> dict[str, Any]:
    return {
        "controller_id": state.controller_id,
        "subject_request_id": state.subject_request_id,
        "request_status": state.request_status.value,
        "expected_completion_time": rfc3339(state.expected_completion_time),
        "api_version": API_VERSION,
    }


RequestId = Annotated[str, Path(pattern=UUID4, max_length=36)]


@router.get("/discovery", response_model=Discovery)
def discovery(ctx: ContextDep) -> dict[str, Any]:
    """What this processor supports (OpenDSR §6): request types, identities, its certificate."""
    return ctx.opendsr.discovery()


class PemResponse(Response):
    media_type = "application/x-pem-file"


@router.get(
    "/cert.pem",
    response_class=PemResponse,
    responses={200: {"content": {"application/x-pem-file": {"schema": {"type": "string"}}}}},
)
def certificate(ctx: ContextDep, uow: UowDep) -> Response:
    """The X.509 certificate whose key signs callbacks and answers (OpenDSR §6.3)."""
    return PemResponse(ctx.opendsr.certificate_pem(uow))


@router.post(
    "/opendsr_requests",
    status_code=201,
    response_model=OpenDsrCreated,
    responses={
        201: {"description": "Filed in the queue, verified.", "headers": _SIGNED_HEADERS},
        401: _UNAUTHENTICATED,
        **problem_responses(409, 422),
    },
)
def create_request(
    ctx: ContextDep,
    uow: UowDep,
    customer: CustomerDep,
    body: Annotated[OpenDsrRequestIn, Body()],
    raw: Annotated[bytes, Depends(_raw_body)],
) -> Response:
    """File a data-subject request of your user (access, erasure, portability)."""
    receipt = ctx.opendsr.create(
        uow,
        customer,
        subject_request_id=body.subject_request_id,
        subject_request_type=body.subject_request_type,
        identities=[
            (i.identity_type, i.identity_format, i.identity_value) for i in body.subject_identities
        ],
        submitted_time=body.submitted_time,
        callback_urls=body.status_callback_urls,
        raw=raw,
        mode=ctx.settings.mode,
    )
    payload = {
        "controller_id": receipt.controller_id,
        "subject_request_id": receipt.subject_request_id,
        "received_time": rfc3339(receipt.received_time),
        "expected_completion_time": rfc3339(receipt.expected_completion_time),
        "encoded_request": receipt.encoded_request,
        "api_version": API_VERSION,
    }
    return _signed(ctx, uow, payload, 201)


@router.get(
    "/opendsr_requests/{subject_request_id}",
    response_model=OpenDsrStatusOut,
    responses={
        200: {"description": "The request's status.", "headers": _SIGNED_HEADERS},
        401: _UNAUTHENTICATED,
        404: _NOT_FOUND,
    },
)
def request_status(
    ctx: ContextDep, uow: UowDep, customer: CustomerDep, subject_request_id: RequestId
) -> Response:
    """The status of one of your requests (OpenDSR §8)."""
    try:
        state = ctx.opendsr.status(uow, customer, subject_request_id)
    except UnknownRequest:
        raise _not_found() from None
    return _signed(ctx, uow, _status(state), 200)


@router.delete(
    "/opendsr_requests/{subject_request_id}",
    status_code=202,
    response_model=OpenDsrCancelled,
    responses={
        202: {"description": "Cancelled.", "headers": _SIGNED_HEADERS},
        401: _UNAUTHENTICATED,
        404: _NOT_FOUND,
        409: documented_problem(409, description="The request is completed or cancelled."),
    },
)
def cancel_request(
    ctx: ContextDep, uow: UowDep, customer: CustomerDep, subject_request_id: RequestId
) -> Response:
    """Cancel one of your requests (OpenDSR §9)."""
    try:
        state, at = ctx.opendsr.cancel(uow, customer, subject_request_id)
    except UnknownRequest:
        raise _not_found() from None
    payload = {
        "controller_id": state.controller_id,
        "subject_request_id": state.subject_request_id,
        "received_time": rfc3339(at),
        "api_version": API_VERSION,
    }
    return _signed(ctx, uow, payload, 202)
