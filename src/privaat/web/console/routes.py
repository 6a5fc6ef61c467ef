"""The console's pages under ``/console``: log-in, enrolment, and what each role may open.

Routes are thin: read the form through the text rule (``pages.forms.Form``), call a service,
render. Who may open each route is ``access.ROLE_TABLE``, checked by the router's one
dependency before any route runs. A customer's e-mail is looked up by POST, so the address
is never in a URL, a server log or the browser's history.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from markupsafe import Markup

from privaat.domain.errors import AccessDenied
from privaat.domain.principal import StaffMember, StaffRole
from privaat.i18n import N_, translations
from privaat.policy.ropa import processor_record, ropa_header, ropa_rows, vendor_register
from privaat.render.ropa_output import (
    column_labels,
    processor_column_labels,
    vendor_column_labels,
)
from privaat.services.console import data_map_tables
from privaat.services.dpia import register_entries
from privaat.services.errors import (
    InvalidCredentials,
    InvalidField,
    NotPermitted,
    TooManyAttempts,
)
from privaat.services.passwords import MIN_LENGTH
from privaat.services.staff import EnrolmentInvalid, PendingEnrolment
from privaat.store.tables import metadata
from privaat.web.console.access import (
    NAVIGATION,
    ROLE_NAMES,
    ConsoleRoute,
    CurrentStaff,
    allows,
    authorise,
    clear_staff_cookie,
    set_staff_cookie,
    staff_cookie_name,
)
from privaat.web.deps import ClientIp, ContextDep, UowDep
from privaat.web.pages.csrf import CheckedForm
from privaat.web.pages.forms import FIELD_FORMATS, Form
from privaat.web.pages.layout import local_path, notice, page_language, redirect, render
from privaat.web.pages.page_errors import error_page

__all__ = ["router"]

router = APIRouter(
    prefix="/console",
    route_class=ConsoleRoute,
    include_in_schema=False,
    dependencies=[Depends(authorise)],  # the role table, for every route below
)

NOTICES = {
    "logged_out": N_("You are logged out of the console."),
    "enrolled": N_("Your account is ready. Log in with your password and a code from the app."),
}
_LOGIN_LABELS = {
    "email": N_("E-mail address"),
    "password": N_("Password"),
    "code": N_("Code from the authenticator app"),
}
_ENROL_LABELS = {
    "password": N_("New password"),
    "password_again": N_("The new password again"),
    "code": N_("Code from the authenticator app"),
}
_LOOK_UP_LABELS = {"email": N_("The customer's e-mail address")}
_CODE_WRONG = N_("This code does not match. Check that the app's clock is right.")


def _page(request: Request, template: str, staff: StaffMember | None, **context: Any) -> Response:
    """A console page: the menu holds what the staff member's role may open."""
    menu = (
        [
            (path, ident, label)
            for path, ident, label in NAVIGATION
            if allows(staff.role, f"GET {path}")
        ]
        if staff is not None
        else []
    )
    role = ROLE_NAMES[staff.role] if staff is not None else None
    return render(request, template, staff=staff, role_name=role, menu=menu, **context)


def _form(request: Request, form_id: str, labels: dict[str, str], typed: Any = None) -> Form:
    return Form(
        page_language(request), form_id, labels, typed, secret=("password", "password_again")
    )


# --- log-in, log-out, enrolment --------------------------------------------------------------


@router.get("/login")
def login_page(request: Request) -> Response:
    """The console's log-in: e-mail address, password and a code from the authenticator app."""
    return _page(
        request,
        "console/login.html.j2",
        None,
        form=_form(request, "console-login", _LOGIN_LABELS),
        next=local_path(request.query_params.get("next"), "/console"),
        notice=notice(request, NOTICES),
    )


@router.post("/login")
def log_in(
    request: Request, ctx: ContextDep, uow: UowDep, ip: ClientIp, fields: CheckedForm
) -> Response:
    """Open a staff session (SameSite=Strict cookie) and go to the page asked for."""
    form = _form(request, "console-login", _LOGIN_LABELS, fields)
    email, password, code = form.text("email"), form.secret("password"), form.text("code")
    for name, value in (("email", email), ("password", password), ("code", code)):
        if value is None:
            form.refuse(name, N_("Fill in this field."))
    target = _console_path(fields.get("next"))
    status = 422
    if not form.invalid and email and password and code:
        try:
            session = ctx.staff.log_in(uow, email=email, password=password, code=code, ip=ip)
        except InvalidCredentials:
            form.refuse_form(N_("The e-mail address, the password or the code is not correct."))
        except TooManyAttempts as error:
            status = form.service_error(error)
        else:
            moved = redirect(target)
            set_staff_cookie(moved, ctx, session)
            return moved
    response = _page(request, "console/login.html.j2", None, form=form, next=target, notice=None)
    response.status_code = status
    return response


@router.post("/logout")
def log_out(request: Request, ctx: ContextDep, uow: UowDep, _fields: CheckedForm) -> Response:
    """End the staff session and forget its cookie."""
    ctx.staff.log_out(uow, request.cookies.get(staff_cookie_name(ctx)))
    response = redirect("/console/login?notice=logged_out")
    clear_staff_cookie(response, ctx)
    return response


@router.get("/enrol/{token}")
def enrol_page(request: Request, ctx: ContextDep, uow: UowDep, token: str) -> Response:
    """Set a password and add the account to an authenticator app (QR code and secret)."""
    try:
        pending = ctx.staff.pending_enrolment(uow, token)
    except EnrolmentInvalid:
        return _link_invalid(request)
    return _enrol_page(request, pending, _form(request, "console-enrol", _ENROL_LABELS))


@router.post("/enrol/{token}")
def enrol(
    request: Request, ctx: ContextDep, uow: UowDep, token: str, fields: CheckedForm
) -> Response:
    """Spend the link: the password is set and the authenticator confirmed by one code."""
    try:
        pending = ctx.staff.pending_enrolment(uow, token)
    except EnrolmentInvalid:
        return _link_invalid(request)
    form = _form(request, "console-enrol", _ENROL_LABELS, fields)
    password, again, code = (
        form.secret("password"),
        form.secret("password_again"),
        form.text("code"),
    )
    for name, value in (("password", password), ("password_again", again), ("code", code)):
        if value is None:
            form.refuse(name, N_("Fill in this field."))
    if password and again and password != again:
        form.refuse("password_again", N_("The two passwords are not the same."))
    if not form.invalid and password and code:
        try:
            ctx.staff.enrol(uow, token=token, password=password, code=code)
        except EnrolmentInvalid:
            return _link_invalid(request)
        except InvalidField as refused:
            if refused.field == "password":
                form.refuse("password", FIELD_FORMATS["password"], min=MIN_LENGTH)
            else:
                form.refuse("code", _CODE_WRONG)
        else:
            return redirect("/console/login?notice=enrolled")
    response = _enrol_page(request, pending, form)
    response.status_code = 422
    return response


def _enrol_page(request: Request, pending: PendingEnrolment, form: Form) -> Response:
    return _page(
        request,
        "console/enrol.html.j2",
        None,
        form=form,
        qr=_qr_code(pending.provisioning_uri, page_language(request)),
        secret=" ".join(pending.secret[i : i + 4] for i in range(0, len(pending.secret), 4)),
        role=ROLE_NAMES[pending.role],
        min_length=MIN_LENGTH,
    )


def _qr_code(uri: str, lang: str) -> Markup:
    """The otpauth URI as an inline SVG drawn here (segno): no image service sees the secret."""
    import segno  # noqa: PLC0415 - its tables cost ~90 ms of every start-up; only enrolment draws

    title = translations(lang).gettext("QR code with the secret of your console account")
    svg = segno.make(uri, error="m").svg_inline(
        scale=4, title=title, svgclass="qr-code", dark="#000", light="#fff"
    )
    # segno escapes the title and draws only paths; a role and a name for assistive tech
    svg = svg.replace("<svg ", '<svg role="img" aria-labelledby="qr-title" ', 1)
    svg = svg.replace("<title>", '<title id="qr-title">', 1)
    return Markup(svg)  # noqa: S704  (our own drawing: nothing in it was typed by a person)


def _link_invalid(request: Request) -> Response:
    return error_page(
        request,
        404,
        N_("This link does not work"),
        N_(
            "An enrolment link works once and for 72 hours. Ask an administrator for a new "
            "account link."
        ),
    )


def _console_path(value: str | None) -> str:
    path = local_path(value, "/console")
    return path if path == "/console" or path.startswith("/console/") else "/console"


# --- the pages of the roles ------------------------------------------------------------------


@router.get("")
def dashboard(request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff) -> Response:
    """What is in the system, in counts: accounts, mail by state, audit entries, staff."""
    return _page(request, "console/dashboard.html.j2", staff, overview=ctx.console.overview(uow))


@router.get("/ropa")
def ropa(request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff) -> Response:
    """The register of processing activities (art. 30(1)), the processor register (L19) and
    the record as a processor (art. 30(2), L74), from the policy file; each activity the
    screening flags links to its DPIA with the latest decision (art. 35, issue 15 item 9)."""
    lang = page_language(request)
    return _page(
        request,
        "console/ropa.html.j2",
        staff,
        header=ropa_header(ctx.policy, lang),
        controller_name=ctx.policy.controller.name,
        rows=ropa_rows(ctx.policy, lang),
        labels=column_labels(lang),
        # L19: every vendor with its agreement and transfer; L74: the art. 30(2) record
        vendors=vendor_register(ctx.policy, lang),
        vendor_labels=vendor_column_labels(lang),
        services=processor_record(ctx.policy, lang),
        service_labels=processor_column_labels(lang),
        dpia=register_entries(ctx.dpia.overview(uow), lang),
    )


@router.get("/data-map")
def data_map(request: Request, ctx: ContextDep, staff: CurrentStaff) -> Response:
    """Every table and column with what it holds, from the data registry on the tables."""
    lang = page_language(request)
    return _page(
        request,
        "console/data_map.html.j2",
        staff,
        tables=data_map_tables(metadata),
        activity_names={a.id: a.name.in_language(lang) for a in ctx.policy.activities},
        category_names={c.id: c.name.in_language(lang) for c in ctx.policy.data_categories},
    )


@router.get("/audit")
def audit(request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff) -> Response:
    """The newest entries of the audit trail, with the button that verifies the chain."""
    return _audit_page(request, ctx, uow, staff, verdict=None)


@router.post("/audit/verify")
def verify_audit(
    request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff, _fields: CheckedForm
) -> Response:
    """Recompute the whole hash chain and say whether it is intact, or where it breaks."""
    return _audit_page(request, ctx, uow, staff, verdict=ctx.console.verify_audit(uow))


def _audit_page(
    request: Request, ctx: ContextDep, uow: UowDep, staff: StaffMember, verdict: Any
) -> Response:
    return _page(
        request,
        "console/audit.html.j2",
        staff,
        entries=ctx.console.audit_entries(uow),
        verdict=verdict,
    )


@router.get("/outbox")
def outbox(request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff) -> Response:
    """Queued, sent and failed mail per template; recipients only for a privacy officer."""
    view = ctx.console.outbox(uow, staff)
    return _page(request, "console/outbox.html.j2", staff, view=view)


@router.get("/customers")
def customers_page(request: Request, staff: CurrentStaff) -> Response:
    """Find a customer's account by e-mail address (sent by POST: no address in a URL)."""
    return _look_up_page(request, staff, _form(request, "console-customer", _LOOK_UP_LABELS))


@router.post("/customers")
def look_up(
    request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff, fields: CheckedForm
) -> Response:
    """The account of the address, read under the role's activity through the seam."""
    form = _form(request, "console-customer", _LOOK_UP_LABELS, fields)
    email = form.text("email")
    if email is None and not form.invalid:
        form.refuse("email", N_("Fill in this field."))
    if form.invalid or email is None:
        return _look_up_page(request, staff, form, status=422)
    try:
        record = ctx.console.look_up(uow, staff, email)
    except InvalidField:
        form.refuse("email", FIELD_FORMATS["email"])
        return _look_up_page(request, staff, form, status=422)
    except AccessDenied as denied:  # the guard: this customer's data is not for this work now
        return _look_up_page(request, staff, form, status=403, refusal=denied.decision.reason)
    except NotPermitted:  # a role the table lets in but the service does not (never today)
        return error_page(request, 403, N_("Not allowed"), N_("You may not do this."))
    return _look_up_page(request, staff, form, searched=True, record=record)


def _look_up_page(
    request: Request,
    staff: StaffMember,
    form: Form,
    *,
    status: int = 200,
    searched: bool = False,
    record: Any = None,
    refusal: Any = None,
) -> Response:
    response = _page(
        request,
        "console/customers.html.j2",
        staff,
        form=form,
        searched=searched,
        record=record,
        refused=refusal is not None,
        privacy_officer=staff.role is StaffRole.PRIVACY_OFFICER,
    )
    response.status_code = status
    return response
