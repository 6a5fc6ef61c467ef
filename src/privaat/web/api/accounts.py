"""Accounts API (/api/v1): sign up, own account, rectification, log in/out, password, close.

Routes are thin: parse, call a use case, shape the answer; errors become problem details.
"""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, Field

from privaat.services.account_commands import (
    AccountClose,
    AccountCreate,
    AccountUpdate,
    LogIn,
    PasswordChange,
)
from privaat.services.accounts import Profile
from privaat.services.consents import MAX_USER_AGENT, ConsentMethod
from privaat.web.deps import (
    ClientIp,
    ContextDep,
    CurrentSubject,
    SessionToken,
    UowDep,
    clear_session_cookie,
    set_session_cookie,
)
from privaat.web.openapi import AUTHENTICATED, problem_responses

# every route uses the database: 503 while it is unreachable
router = APIRouter(prefix="/api/v1", tags=["accounts"], responses=problem_responses(503))
_SESSION_SET = {
    "description": "Logged in: the session is in the HttpOnly cookie `privaat_session`.",
    "headers": {"Set-Cookie": {"schema": {"type": "string"}}},
}


class AccountPublic(BaseModel):
    """The account as its holder sees it."""

    id: str  # the pseudonymous subject id, never the database key
    email: str | None
    name: str | None
    street: str | None
    postal_code: str | None
    city: str | None
    phone: str | None
    vat_number: str | None
    display_name: str | None
    birth_date: date | None
    language: str
    status: str
    created_at: datetime
    email_verified: bool = Field(
        description="Whether the address was proven by the link sent to it; until then only "
        "the verification and security notices are sent there."
    )
    restricted_fields: list[str] = Field(
        default_factory=list,
        description="Fields whose data category is restricted (GDPR art. 18): not shown or used.",
    )

    @classmethod
    def of(cls, profile: Profile) -> AccountPublic:
        fields = {name: getattr(profile, name) for name in cls.model_fields if name != "id"}
        fields["restricted_fields"] = list(profile.restricted_fields)
        return cls(id=profile.pseudonym, **fields)


class SignUpAccepted(BaseModel):
    status: str = "accepted"
    detail: str = (
        "If this e-mail address is new, the account was created and you can log in; "
        "if it already had an account, its holder was sent a notice."
    )


class LoginPublic(BaseModel):
    at: datetime
    ip: str
    country: str | None
    city: str | None
    new_device: bool


@router.post(
    "/accounts",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SignUpAccepted,
    responses=problem_responses(429),  # sign-ups per IP address
)
def sign_up(
    body: AccountCreate, ctx: ContextDep, uow: UowDep, ip: ClientIp, request: Request
) -> SignUpAccepted:
    """Create an account (P1); the same answer whether or not the address was known.
    ``consents`` lists the consent-based activities the person ticked (GET /api/v1/consents
    names them once logged in); none is the default and the service works fully (L8, L12)."""
    ctx.accounts.sign_up(
        uow,
        body,
        ip=ip,
        user_agent=request.headers.get("user-agent", "")[:MAX_USER_AGENT],
        method=ConsentMethod.API,
    )
    return SignUpAccepted()


@router.get(
    "/account",
    response_model=AccountPublic,
    responses=problem_responses(401, 403),
    openapi_extra=AUTHENTICATED,
)
def read_account(ctx: ContextDep, uow: UowDep, subject: CurrentSubject) -> AccountPublic:
    return AccountPublic.of(ctx.accounts.read_profile(uow, subject, subject.subject_id))


@router.patch(
    "/account",
    response_model=AccountPublic,
    responses=problem_responses(401, 403, 409, 429),  # 429: an e-mail change re-authenticates
    openapi_extra=AUTHENTICATED,
)
def rectify_account(
    body: AccountUpdate,
    ctx: ContextDep,
    uow: UowDep,
    subject: CurrentSubject,
    token: SessionToken,
) -> AccountPublic:
    """Rectification (GDPR art. 16): change any of the account's fields. A new ``email`` needs
    ``current_password``, ends the other sessions, and takes effect once the new address
    confirms the link sent to it (the answer is the same whether or not it is taken)."""
    profile = ctx.accounts.update_profile(uow, subject, subject.subject_id, body, keep_token=token)
    return AccountPublic.of(profile)


@router.post(
    "/account/close",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,  # RFC 9110 §15.3.5: no content, so no content type
    responses=problem_responses(401, 403, 429),
    openapi_extra=AUTHENTICATED,
)
def close_account(
    body: AccountClose, ctx: ContextDep, uow: UowDep, subject: CurrentSubject, response: Response
) -> None:
    ctx.accounts.close(uow, subject, subject.subject_id, body)
    clear_session_cookie(response, ctx)


@router.post(
    "/account/password",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(401, 403, 429),
    openapi_extra=AUTHENTICATED,
)
def change_password(
    body: PasswordChange,
    ctx: ContextDep,
    uow: UowDep,
    subject: CurrentSubject,
    token: SessionToken,
) -> None:
    ctx.sessions.change_password(
        uow,
        subject,
        subject.subject_id,
        current=body.current_password.get_secret_value(),
        new=body.new_password.get_secret_value(),
        keep_token=token,
    )


@router.get(
    "/account/logins",
    response_model=list[LoginPublic],
    responses=problem_responses(401, 403),
    openapi_extra=AUTHENTICATED,
)
def list_logins(ctx: ContextDep, uow: UowDep, subject: CurrentSubject) -> list[LoginPublic]:
    """The holder's recent log-ins with where they came from (P9)."""
    if ctx.logins is None:
        return []
    views = ctx.logins.recent(uow, subject, subject.subject_id)
    return [
        LoginPublic(at=v.at, ip=v.ip, country=v.country, city=v.city, new_device=v.new_device)
        for v in views
    ]


@router.post(
    "/session",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={204: _SESSION_SET, **problem_responses(401, 403, 429)},
)
def log_in(
    body: LogIn, ctx: ContextDep, uow: UowDep, ip: ClientIp, request: Request, response: Response
) -> None:
    """Log in with e-mail and password (P2); the session lives in an HttpOnly cookie."""
    session = ctx.sessions.log_in(
        uow,
        email=body.email,
        password=body.password.get_secret_value(),
        ip=ip,
        user_agent=request.headers.get("user-agent", "")[:512],
    )
    set_session_cookie(response, ctx, session)


@router.delete("/session", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def log_out(ctx: ContextDep, uow: UowDep, token: SessionToken, response: Response) -> None:
    ctx.sessions.log_out(uow, token)
    clear_session_cookie(response, ctx)
