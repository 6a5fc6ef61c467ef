"""The start page (``/``) and the language switch (``POST /language``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from privaat.i18n import LANGUAGES, N_
from privaat.services.errors import NotAuthenticated
from privaat.web.deps import ContextDep, SessionToken, UowDep
from privaat.web.pages.cookies import set_language_cookie
from privaat.web.pages.csrf import CheckedForm
from privaat.web.pages.layout import local_path, notice, redirect, render
from privaat.web.pages.page_errors import PageRoute

__all__ = ["SignedIn", "router", "signed_in"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

NOTICES = {
    "email_verified": N_("Thank you: your e-mail address is verified."),
    "email_changed": N_("Your new e-mail address is now in use. We told both addresses."),
    "logged_out": N_("You are logged out."),
    "account_closed": N_(
        "Your account is closed and you are logged out. We sent a confirmation to your e-mail "
        "address."
    ),
}


def signed_in(ctx: ContextDep, uow: UowDep, token: SessionToken) -> bool:
    """Whether the request carries a live customer session (one point read when it has one)."""
    if not token:
        return False
    try:
        ctx.sessions.subject_of(uow, token)
    except NotAuthenticated:
        return False
    return True


SignedIn = Annotated[bool, Depends(signed_in)]


@router.get("/")
def home(request: Request, ctx: ContextDep, signed: SignedIn) -> Response:
    """What the service is and where to go: log in, sign up, my data, the policy, the console."""
    return render(
        request,
        "home.html.j2",
        signed_in=signed,
        notice=notice(request, NOTICES),
        controller=ctx.policy.controller,
    )


@router.get("/language")
def language_page() -> Response:
    """The switch is a form on every page; an address typed by hand goes to the start."""
    return redirect("/")


@router.post("/language")
def switch_language(request: Request, ctx: ContextDep, fields: CheckedForm) -> Response:
    """Remember the chosen language in a cookie and go back to the page it was chosen on."""
    back = redirect(local_path(fields.get("next"), "/"))
    lang = fields.get("lang", "")
    if lang in LANGUAGES:
        set_language_cookie(back, request, ctx, lang)
    return back
