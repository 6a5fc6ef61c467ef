"""Data-subject requests API (/api/v1/requests, issue 11 item 1): file a right, follow it.

A logged-in person files a request for one of their rights; a session is identity enough
(L57), so it is verified at once and due one month after receipt (art. 12(3)). Another
person's request is not found, not forbidden: whether it exists is not told.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Body, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from privaat.domain.subject_requests import RequestKind, RequestStatus
from privaat.services.request_commands import MAX_DETAILS, RightAsked
from privaat.services.subject_requests import QueuedRequest, RequestChannel
from privaat.web.deps import ContextDep, CurrentSubject, UowDep
from privaat.web.openapi import AUTHENTICATED, documented_problem, problem_responses
from privaat.web.problems import ProblemError

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/requests", tags=["requests"], responses=problem_responses(503))


class RequestCreate(BaseModel):
    """A request: which right, and optionally what it is about (e.g. which data is wrong)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: RightAsked
    details: str = Field(default="", max_length=MAX_DETAILS)


class RequestPublic(BaseModel):
    """A request as its requester follows it."""

    id: str = Field(description="The reference to quote.")
    type: RequestKind
    status: RequestStatus
    channel: str
    received_at: datetime
    due_on: date = Field(description="The last day of the answer (art. 12(3)).")
    overdue: bool

    @classmethod
    def of(cls, row: QueuedRequest) -> RequestPublic:
        return cls(
            id=row.reference,
            type=row.kind,
            status=row.status,
            channel=row.channel,
            received_at=row.received_at,
            due_on=row.due_on,
            overdue=row.overdue,
        )


_NOT_FOUND = documented_problem(404, description="No request of yours has this id.")


@router.post(
    "",
    status_code=201,
    response_model=RequestPublic,
    responses={
        200: {"description": "An open request of this type already exists; it is returned."},
        **problem_responses(401, 403, 422),
    },
    openapi_extra=AUTHENTICATED,
)
def file_request(
    ctx: ContextDep,
    uow: UowDep,
    subject: CurrentSubject,
    body: Annotated[RequestCreate, Body()],
    response: Response,
) -> RequestPublic:
    """File a request for one of your rights: verified at once, due in one month."""
    row, created = ctx.requests.file_for(
        uow, subject, RequestKind(body.type.value), channel=RequestChannel.API, text=body.details
    )
    if not created:
        response.status_code = 200
    return RequestPublic.of(row)


@router.get(
    "",
    response_model=list[RequestPublic],
    responses=problem_responses(401, 403),
    openapi_extra=AUTHENTICATED,
)
def list_requests(ctx: ContextDep, uow: UowDep, subject: CurrentSubject) -> list[RequestPublic]:
    """Your requests, newest first, with their status and due date."""
    return [
        RequestPublic.of(row) for row in ctx.requests.requests_of(uow, subject, subject.subject_id)
    ]


@router.get(
    "/{request_id}",
    response_model=RequestPublic,
    responses={**problem_responses(401, 403), 404: _NOT_FOUND},
    openapi_extra=AUTHENTICATED,
)
def get_request(
    ctx: ContextDep,
    uow: UowDep,
    subject: CurrentSubject,
    request_id: Annotated[str, Path(pattern=r"^PR-[0-9A-Z]{8}$", max_length=11)],
) -> RequestPublic:
    """One of your requests."""
    for row in ctx.requests.requests_of(uow, subject, subject.subject_id):
        if row.reference == request_id:
            return RequestPublic.of(row)
    raise ProblemError(
        404, "no-such-request", "No such request", "No request of yours has this id."
    )
