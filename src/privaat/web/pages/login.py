"""Log-in and log-out as pages (P2): the same session, and the same cookie, as the API's.

GET  /login   the form; ?next= a page of this site to return to
POST /login   LogIn through the text rule ─▶ Sessions.log_in ─▶ the session cookie,
              303 to next (or /account); a refusal says the same for any wrong part
POST /logout  Sessions.log_out ─▶ the cookie goes ─▶ 303 /?notice=logged_out
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from privaat.i18n import N_
from privaat.services.account_commands import LogIn
from privaat.services.errors import ServiceError
from privaat.web.deps import (
    ClientIp,
    ContextDep,
    SessionToken,
    UowDep,
    clear_session_cookie,
    set_session_cookie,
)
from privaat.web.pages.csrf import CheckedForm
from privaat.web.pages.forms import Form
from privaat.web.pages.home import SignedIn
from privaat.web.pages.layout import local_path, page_language, redirect, render
from privaat.web.pages.page_errors import PageRoute

__all__ = ["router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

_LABELS = {"email": N_("E-mail address"), "password": N_("Password")}
_AFTER_LOG_IN = "/account"


def _form(request: Request, typed: dict[str, str] | None = None) -> Form:
    return Form(page_language(request), "login", _LABELS, typed, secret=("password",))


@router.get("/login")
def log_in_page(request: Request, signed: SignedIn, next: str = "") -> Response:  # noqa: A002
    """The log-in form; someone already logged in goes on to where they were going."""
    target = local_path(next, _AFTER_LOG_IN)
    if signed:
        return redirect(target)
    return render(request, "login.html.j2", form=_form(request), next=target)


@router.post("/login")
def log_in(
    request: Request, ctx: ContextDep, uow: UowDep, ip: ClientIp, fields: CheckedForm
) -> Response:
    """Open a session and hand the browser its cookie; a refusal keeps the typed address."""
    form = _form(request, fields)
    target = local_path(fields.get("next"), _AFTER_LOG_IN)
    command = form.model(LogIn, {"email": form.text("email"), "password": form.secret("password")})
    status = 422
    if command is not None:
        try:
            session = ctx.sessions.log_in(
                uow,
                email=command.email,
                password=command.password.get_secret_value(),
                ip=ip,
                user_agent=request.headers.get("user-agent", "")[:512],
            )
        except ServiceError as error:
            status = form.service_error(error)
        else:
            response = redirect(target)
            set_session_cookie(response, ctx, session)
            return response
    return render(request, "login.html.j2", status_code=status, form=form, next=target)


@router.get("/logout")
def log_out_page(request: Request, signed: SignedIn) -> Response:
    """A typed /logout: the button that logs out (a GET never changes anything)."""
    if not signed:
        return redirect("/")
    return render(request, "logout.html.j2", signed_in=True)


@router.post("/logout")
def log_out(ctx: ContextDep, uow: UowDep, token: SessionToken, _fields: CheckedForm) -> Response:
    """End the session on the server and in the browser."""
    ctx.sessions.log_out(uow, token)
    response = redirect("/?notice=logged_out")
    clear_session_cookie(response, ctx)
    return response
