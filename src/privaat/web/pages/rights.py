"""Filing a privacy request on the web, and following it (issue 11 items 1 and 11; P22;
LEGAL L54, L57).

    /requests/new   logged in: which right, optionally what about it; verified at once
                    not logged in: also the address; a confirmation link is sent there and
                    the page says the same whether or not the address has an account
    /account/requests   the person's own requests, their status and due date

No form is required to exercise a right (art. 12(2)): this one only helps. The public form
is rate-limited per address and per IP, so nobody uses it to mail-bomb someone else.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from privaat.domain.principal import DataSubject
from privaat.domain.subject_requests import RequestKind
from privaat.i18n import N_, translations
from privaat.services.errors import NotAuthenticated, ServiceError
from privaat.services.request_commands import RightAsked, SignedInRequest, WebRequest
from privaat.services.subject_requests import RequestChannel
from privaat.web.deps import ClientIp, ContextDep, CurrentSubject, SessionToken, UowDep
from privaat.web.pages.csrf import CheckedForm
from privaat.web.pages.forms import Form
from privaat.web.pages.layout import page_language, redirect, render
from privaat.web.pages.page_errors import PageRoute

__all__ = ["router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

RIGHT_WORDS = {
    RightAsked.ACCESS: N_("See my data (access, article 15)"),
    RightAsked.RECTIFICATION: N_("Correct my data (rectification, article 16)"),
    RightAsked.ERASURE: N_("Erase my data (erasure, article 17)"),
    RightAsked.RESTRICTION: N_("Restrict the processing (article 18)"),
    RightAsked.PORTABILITY: N_("Take my data with me (portability, article 20)"),
    RightAsked.OBJECTION: N_("Object to the processing (article 21)"),
}
_LABELS = {
    "email": N_("Your e-mail address"),
    "type": N_("What do you ask for?"),
    "details": N_("Anything we should know (optional)"),
}
STATUS_WORDS = {
    "received": N_("waiting for your confirmation"),
    "verified": N_("confirmed"),
    "in_progress": N_("in progress"),
    "extended": N_("extended"),
    "completed": N_("answered"),
    "refused": N_("refused"),
    "closed": N_("finished"),
}


def _subject(ctx: ContextDep, uow: UowDep, token: str | None) -> DataSubject | None:
    if not token:
        return None
    try:
        return DataSubject(ctx.sessions.subject_of(uow, token))
    except NotAuthenticated:
        return None


@router.get("/requests/new")
def request_page(request: Request, ctx: ContextDep, uow: UowDep, token: SessionToken) -> Response:
    """The form: which right, and (without a log-in) the address to answer at."""
    subject = _subject(ctx, uow, token)
    return _page(request, _form(request), signed_in=subject is not None)


@router.post("/requests/new")
def file_request(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    token: SessionToken,
    ip: ClientIp,
    fields: CheckedForm,
) -> Response:
    """File the request: verified at once with a log-in, else confirmed by mail."""
    subject = _subject(ctx, uow, token)
    form = _form(request, fields)
    data = {"type": fields.get("type") or None, "details": form.text("details", multiline=True)}
    if subject is not None:
        command = form.model(SignedInRequest, data)
        if command is None:
            return _page(request, form, signed_in=True, status_code=422)
        _row, created = ctx.requests.file_for(
            uow,
            subject,
            command.type.kind,
            channel=RequestChannel.WEB,
            text=command.details,
        )
        # issue 15 item 8: the same right asked again while it runs joins the open request
        return redirect(f"/account/requests?notice=request_{'filed' if created else 'joined'}")
    web = form.model(WebRequest, {**data, "email": form.text("email"), "language": form.lang})
    if web is None:
        return _page(request, form, signed_in=False, status_code=422)
    try:
        ctx.requests.receive_form(
            uow,
            email=web.email,
            kind=web.type.kind,
            text=web.details,
            language=web.language,
            ip=ip,
        )
    except ServiceError as error:
        return _page(request, form, signed_in=False, status_code=form.service_error(error))
    # L57: the same page whether or not the address has an account
    return render(request, "request_sent.html.j2", signed_in=False)


@router.get("/account/requests")
def my_requests(
    request: Request, ctx: ContextDep, uow: UowDep, subject: CurrentSubject
) -> Response:
    """The person's own requests, newest first."""
    _ = translations(page_language(request)).gettext
    rows = [
        {
            "reference": row.reference,
            "what": _(RIGHT_WORDS[RightAsked(row.kind.value)])
            if row.kind is not RequestKind.UNCLEAR
            else _("A privacy question"),
            "received": row.received_at.date().isoformat(),
            "status": _(STATUS_WORDS[row.status.value]),
            "due": row.due_on.isoformat(),
        }
        for row in ctx.requests.requests_of(uow, subject, subject.subject_id)
    ]
    filed = request.query_params.get("notice") == "request_filed"
    joined = request.query_params.get("notice") == "request_joined"
    return render(
        request, "account_requests.html.j2", signed_in=True, rows=rows, filed=filed, joined=joined
    )


def _form(request: Request, typed: dict[str, str] | None = None) -> Form:
    return Form(page_language(request), "request", _LABELS, typed)


def _page(request: Request, form: Form, *, signed_in: bool, status_code: int = 200) -> Response:
    return render(
        request,
        "request_new.html.j2",
        status_code=status_code,
        signed_in=signed_in,
        form=form,
        rights=[(right.value, form.say(RIGHT_WORDS[right])) for right in RightAsked],
        contact_email=request.app.state.policy.privacy_contact.email,
    )
