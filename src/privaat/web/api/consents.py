"""Consents API (/api/v1/consents, issue 10 items 1-2): the person's choices, give, withdraw,
history and receipts; logged-in customers only (P4, P11, P13, P14, P16, P17; L7-L12).

Giving and withdrawing are one request each, the same shape (POST and DELETE on the same
path): withdrawing takes no more steps than giving (art. 7(3), L10). Which activities have a
consent comes from the policy file alone (L9): an id the policy does not declare as
consent-based names no resource here, so it is a 404 problem, and nothing is written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.convertors import StringConvertor, register_url_convertor

from privaat.domain.consent_ledger import Stage
from privaat.policy.schema import consent_text_sha256
from privaat.services.account_commands import Language
from privaat.services.consents import (
    MAX_USER_AGENT,
    ConsentChoice,
    ConsentMethod,
    ConsentRecord,
    ConsentRecordNotFound,
    Evidence,
    ReceiptFormat,
)
from privaat.services.errors import InvalidField
from privaat.web.deps import ClientIp, ContextDep, CurrentSubject, UowDep
from privaat.web.openapi import AUTHENTICATED, documented_problem, problem_responses
from privaat.web.problems import ProblemError


class _ActivityConvertor(StringConvertor):
    """An activity id in the path, never one of this router's own words: so ``/history``
    is only the history (and its ``Allow`` header names GET alone)."""

    regex = r"(?!(?:history|receipts)$)[a-z][a-z0-9_]{0,63}"


register_url_convertor("consent_activity", _ActivityConvertor())

router = APIRouter(prefix="/api/v1/consents", tags=["consents"], responses=problem_responses(503))

ActivityPath = Annotated[
    str,
    Path(
        pattern=r"^[a-z][a-z0-9_]*$",
        max_length=64,
        description="The id of a consent-based activity of the policy (GET /api/v1/consents).",
    ),
]
_NO_SUCH_CONSENT = documented_problem(
    404, description="The policy declares no consent-based activity with this id."
)
_CONFLICT = documented_problem(409, description="There is no consent to withdraw.")


class ConsentRecordPublic(BaseModel):
    """One record of the append-only consent ledger (L7)."""

    id: int
    activity: str
    given: bool = Field(
        description="True: consent given; false: withdrawn, or only requested (see stage)."
    )
    at: datetime
    method: ConsentMethod
    policy_version: int
    consent_version: int
    text_sha256: str = Field(description="SHA-256 of the exact request text shown (art. 7(1)).")
    lang: str | None = Field(description="The language of the text shown; null on a withdrawal.")
    expires_at: datetime | None = Field(
        description="When the consent ends by itself; on a request, when its link lapses."
    )
    stage: Stage | None = Field(
        default=None,
        description="A double opt-in's step: requested (a link was mailed to the account's "
        "address; no consent until it is opened) or confirmed (the give through that link); "
        "null for an ordinary give or withdrawal.",
    )

    @classmethod
    def of(cls, record: ConsentRecord) -> ConsentRecordPublic:
        return cls(**{name: getattr(record, name) for name in cls.model_fields})


class ConsentChoicePublic(BaseModel):
    """One consent-based activity: what it is for, in the policy's own words, and its state."""

    activity: str
    name: str
    purpose: str = Field(description="What the activity does, as the privacy statement says.")
    request: str = Field(description="The consent request text shown before giving consent.")
    request_sha256: str = Field(description="SHA-256 of ``request``, as a give records it.")
    status: str = Field(description="given, withdrawn or not_given (never asked: L8).")
    given: bool = Field(description="Whether the consent counts now (current text, not expired).")
    stale: bool = Field(description="Given for an earlier text: asked again before it counts.")
    expired: bool
    current: ConsentRecordPublic | None
    awaiting: ConsentRecordPublic | None = Field(
        default=None,
        description="A double opt-in request whose mailed link can still confirm it.",
    )


class ConsentGive(BaseModel):
    """Giving consent; ``lang`` is the language of the request text shown (default: the
    account's language)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lang: Language | None = None


def _evidence(request: Request, ip: str) -> Evidence:
    return Evidence(ip=ip, user_agent=request.headers.get("user-agent", "")[:MAX_USER_AGENT])


def _no_such_consent(error: InvalidField) -> ProblemError:
    return ProblemError(404, "no-such-consent", "No such consent", error.message)


def _language(ctx: Any, uow: Any, subject: CurrentSubject, asked: str | None) -> str:
    if asked is not None:
        return asked
    language: str = ctx.accounts.read_profile(uow, subject, subject.subject_id).language
    return language


@router.get(
    "",
    response_model=list[ConsentChoicePublic],
    responses=problem_responses(401, 403),
    openapi_extra=AUTHENTICATED,
)
def list_consents(
    ctx: ContextDep,
    uow: UowDep,
    subject: CurrentSubject,
    lang: Annotated[Language | None, Query(description="Texts in this language.")] = None,
) -> list[ConsentChoicePublic]:
    """Every consent-based activity of the policy with the person's choice (L9): none is
    given until the person gives it (L8)."""
    language = _language(ctx, uow, subject, lang)
    choices = ctx.consents.choices(uow, subject, subject.subject_id)
    return [_choice(ctx, choice, language) for choice in choices]


def _choice(ctx: Any, choice: ConsentChoice, language: str) -> ConsentChoicePublic:
    activity = ctx.policy.activity(choice.activity)
    request = activity.consent.request.in_language(language)
    return ConsentChoicePublic(
        activity=choice.activity,
        name=activity.name.in_language(language),
        purpose=activity.description.in_language(language),
        request=request,
        request_sha256=consent_text_sha256(request),
        status="not_given" if choice.current is None else choice.status.value,
        given=choice.given,
        stale=choice.stale,
        expired=choice.expired,
        current=None if choice.current is None else ConsentRecordPublic.of(choice.current),
        awaiting=None if choice.awaiting is None else ConsentRecordPublic.of(choice.awaiting),
    )


@router.get(
    "/history",
    response_model=list[ConsentRecordPublic],
    responses=problem_responses(401, 403),
    openapi_extra=AUTHENTICATED,
)
def consent_history(
    ctx: ContextDep,
    uow: UowDep,
    subject: CurrentSubject,
    activity: Annotated[
        str | None, Query(max_length=64, description="Only this activity's records.")
    ] = None,
) -> list[ConsentRecordPublic]:
    """Every give and withdrawal of the person, newest first (art. 7(1), 15)."""
    records = ctx.consents.history(uow, subject, subject.subject_id, activity)
    return [ConsentRecordPublic.of(record) for record in records]


@router.get(
    "/receipts/{record_id}",
    response_model=dict[str, Any],
    responses={
        200: {"description": "The receipt (Kantara CR v1.1 or ISO/IEC TS 27560:2023 JSON)."},
        **problem_responses(401, 403),
        404: documented_problem(404, description="No consent record of yours has this id."),
        409: documented_problem(
            409, description="A Kantara receipt records a consent given, not a withdrawal."
        ),
    },
    openapi_extra=AUTHENTICATED,
)
def consent_receipt(
    ctx: ContextDep,
    uow: UowDep,
    subject: CurrentSubject,
    record_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    format: Annotated[  # noqa: A002  (the query parameter's public name)
        ReceiptFormat, Query(description="kantara (CR v1.1) or iso27560 (ISO/IEC TS 27560).")
    ] = ReceiptFormat.KANTARA,
) -> dict[str, Any]:
    """One of the person's ledger records as a consent receipt to keep."""
    try:
        return ctx.consents.receipt(uow, subject, subject.subject_id, record_id, format)
    except ConsentRecordNotFound as error:
        # another person's record is not found, not forbidden: its existence is not told
        raise ProblemError(404, "no-such-record", "Not found", str(error)) from None


@router.post(
    "/{activity:consent_activity}",
    response_model=ConsentRecordPublic,
    responses={
        **problem_responses(401, 403),
        404: _NO_SUCH_CONSENT,
        409: documented_problem(
            409,
            description="The consent is confirmed by a link mailed to the account's address, "
            "and no mail may go there now.",
        ),
    },
    openapi_extra=AUTHENTICATED,
)
def give_consent(
    activity: ActivityPath,
    ctx: ContextDep,
    uow: UowDep,
    subject: CurrentSubject,
    ip: ClientIp,
    request: Request,
    body: Annotated[ConsentGive | None, Body()] = None,
) -> ConsentRecordPublic:
    """Give consent to ``activity`` for its request text in ``lang`` (art. 6(1)(a), 7(1));
    already given for that text: the same record, nothing new is written. An activity the
    policy sets to ``confirm_by_email`` answers a record with stage ``requested``: a link goes
    to the account's address, and the consent counts once it is opened (double opt-in)."""
    try:
        ctx.consents.check_activity(activity)
    except InvalidField as error:
        raise _no_such_consent(error) from None
    record = ctx.consents.give(
        uow,
        subject,
        subject.subject_id,
        activity,
        lang=body.lang if body else None,  # None: the account's language
        method=ConsentMethod.API,
        evidence=_evidence(request, ip),
    )
    return ConsentRecordPublic.of(record)


@router.delete(
    "/{activity:consent_activity}",
    response_model=ConsentRecordPublic,
    responses={**problem_responses(401, 403), 404: _NO_SUCH_CONSENT, 409: _CONFLICT},
    openapi_extra=AUTHENTICATED,
)
def withdraw_consent(
    activity: ActivityPath,
    ctx: ContextDep,
    uow: UowDep,
    subject: CurrentSubject,
    ip: ClientIp,
    request: Request,
) -> ConsentRecordPublic:
    """Withdraw consent to ``activity`` (art. 7(3)): one request, as giving it (L10); the
    activity stops at once (L11). Already withdrawn: the same record, nothing written."""
    try:
        record = ctx.consents.withdraw(
            uow,
            subject,
            subject.subject_id,
            activity,
            method=ConsentMethod.API,
            evidence=_evidence(request, ip),
        )
    except InvalidField as error:
        raise _no_such_consent(error) from None
    return ConsentRecordPublic.of(record)
