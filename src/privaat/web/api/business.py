"""A business customer's sub-processor change notices, and its objection (issue 15 item 10;
GDPR art. 28(2)), with the same API key as its OpenDSR requests.

    GET  /api/v1/business/notices                   every notice to you, newest last
    POST /api/v1/business/notices/{id}/objection    object, with your reasons, before the
                                                    change takes effect: 201; again: 409

Another customer's notice is a 404, exactly like an unknown one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Body, Path
from pydantic import BaseModel, ConfigDict, Field

from privaat.services.subprocessor_notices import Notice, NoticeNotFound
from privaat.web.api.opendsr import _UNAUTHENTICATED, CustomerDep
from privaat.web.deps import ContextDep, UowDep
from privaat.web.openapi import documented_problem, problem_responses
from privaat.web.problems import ProblemError

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/business", tags=["business"], responses=problem_responses(503))


class NoticeOut(BaseModel):
    id: int
    service: str = Field(description="The processor service (the policy's processor_services).")
    policy_version: int
    added: list[str] = Field(description="Sub-processors engaged from the change on.")
    removed: list[str] = Field(description="Sub-processors no longer engaged.")
    objection_until: date = Field(description="The change takes effect on this day.")
    objected_at: datetime | None


class ObjectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000, description="Why you object.")


def _out(notice: Notice) -> NoticeOut:
    return NoticeOut(
        id=notice.id,
        service=notice.service,
        policy_version=notice.policy_version,
        added=list(notice.added),
        removed=list(notice.removed),
        objection_until=notice.objection_until,
        objected_at=notice.objected_at,
    )


@router.get("/notices", response_model=list[NoticeOut], responses={401: _UNAUTHENTICATED})
def notices(ctx: ContextDep, uow: UowDep, customer: CustomerDep) -> list[NoticeOut]:
    """The sub-processor changes told to you (art. 28(2))."""
    own = ctx.business_notices.notices(uow, customer=int(customer.customer_id))
    return [_out(notice) for notice in own]


@router.post(
    "/notices/{notice_id}/objection",
    status_code=201,
    response_model=NoticeOut,
    responses={
        401: _UNAUTHENTICATED,
        404: documented_problem(404, description="No notice of yours has this id."),
        409: documented_problem(409, description="Objected already, or the change applies."),
    },
)
def object_(
    ctx: ContextDep,
    uow: UowDep,
    customer: CustomerDep,
    notice_id: Annotated[int, Path(ge=1, le=2**53)],
    objection: Annotated[ObjectionIn, Body()],
) -> NoticeOut:
    """Object to a sub-processor change before it takes effect (art. 28(2))."""
    try:
        done = ctx.business_notices.object(
            uow, notice_id, objection.reason, customer=int(customer.customer_id)
        )
    except NoticeNotFound as error:
        raise ProblemError(404, "no-such-notice", "No such notice", str(error)) from None
    return _out(done)
