"""The console's support cases (issue 12 items 2, 6; P5, P7, LEGAL L5).

    GET  /console/support                       the queue: open cases first, oldest first;
                                                reference, subject, channel, status, and
                                                whether the case is linked to an account
    GET  /console/support/new                   the form for a phoned or in-person question
    POST /console/support/new                   file it: linked to an account only when the
                                                address the person gives is that account's
                                                verified address (L5)
    GET  /console/support/{reference}           the case through the seam under support_desk
                                                (access-logged): question, contact details,
                                                products, events with notes and logs
    POST /console/support/{reference}/note      an internal note or a reply to the person
    POST /console/support/{reference}/close     close it: the retention year starts (P1Y)

The role table lets the support desk in (agents and team leaders). Every POST is CSRF-checked
and redirects with ``?notice=`` when it worked; a refused one shows the page again with the
reason next to its field, and stores nothing. A customer who objected to support_desk is not
shown (the guard refuses their data: 403).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from privaat.domain.principal import StaffMember
from privaat.i18n import N_, translations
from privaat.services.errors import InvalidField
from privaat.services.support_desk import (
    CaseNotFound,
    CaseStatus,
    Channel,
    ContactBy,
    EventKind,
    LogFile,
    NewCase,
    Product,
)
from privaat.web.console.access import ConsoleRoute, CurrentStaff, authorise
from privaat.web.console.calls import CHOICE_NAMES
from privaat.web.console.routes import _page
from privaat.web.deps import ContextDep, UowDep
from privaat.web.pages.csrf import CheckedForm
from privaat.web.pages.forms import Form
from privaat.web.pages.layout import notice, page_language, redirect
from privaat.web.pages.support import (
    CHANNEL_WORDS,
    CONTACT_WORDS,
    STATUS_WORDS,
    case_form_errors,
    case_words,
    purchase_date,
)

__all__ = ["router"]

router = APIRouter(
    prefix="/console",
    route_class=ConsoleRoute,
    include_in_schema=False,
    dependencies=[Depends(authorise)],  # the role table, for every route below
)

_STAFF_CHANNELS = (Channel.PHONE, Channel.IN_PERSON)
_NEW_LABELS = {
    "channel": N_("How did the person contact us?"),
    "title": N_("Subject"),
    "question": N_("The question"),
    "name": N_("Name"),
    "email": N_("E-mail address"),
    "phone": N_("Phone number"),
    "contact_by": N_("How do they want to be contacted?"),
    "serial": N_("Serial number of the product"),
    "purchased_on": N_("Purchase date"),
    "log": N_("Log file (paste its text)"),
}
_NOTE_LABELS = {"kind": N_("What is it?"), "text": N_("Text")}
_NOTE_KINDS = {
    EventKind.NOTE: N_("Internal note (the customer does not see it in the privacy centre)"),
    EventKind.REPLY: N_("Reply to the customer"),
}
_NOTICES = {
    "filed": N_("The case is filed."),
    "noted": N_("Added to the case."),
    "mailed": N_("Added to the case, and the reply is mailed to the customer."),
    "closed": N_("The case is closed. We keep it for one year from now."),
}
_LINKED_WORDS = {
    "verified_email": N_("Linked to the account by its verified e-mail address"),
    "signed_in": N_("Filed by the customer in the privacy centre"),
}
_NOT_LINKED = N_("Not linked to an account")


def _new_form(request: Request, typed: dict[str, str] | None = None) -> Form:
    return Form(page_language(request), "support-new", _NEW_LABELS, typed)


def _note_form(request: Request, typed: dict[str, str] | None = None) -> Form:
    return Form(page_language(request), "support-note", _NOTE_LABELS, typed)


@router.get("/support")
def queue(request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff) -> Response:
    """The support cases, open first and oldest first."""
    gettext = translations(page_language(request)).gettext
    rows = [
        {
            "reference": case.reference,
            "title": case.title,
            "opened": case.opened_at.strftime("%Y-%m-%d %H:%M"),
            "channel": gettext(CHANNEL_WORDS[case.channel]),
            "status": gettext(STATUS_WORDS[case.status]),
            "open": case.status is CaseStatus.OPEN,
            "linked": gettext(_LINKED_WORDS[case.linked_by.value])
            if case.linked_by
            else gettext(_NOT_LINKED),
        }
        for case in ctx.support.queue(uow, staff)
    ]
    return _page(
        request, "console/support.html.j2", staff, rows=rows, notice=notice(request, _NOTICES)
    )


@router.get("/support/new")
def new_case_page(request: Request, staff: CurrentStaff) -> Response:
    """The form for a question by phone or in person."""
    form = _new_form(request, {"channel": Channel.PHONE.value, "contact_by": "phone"})
    return _new_page(request, staff, form)


@router.post("/support/new")
def file_case(
    request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff, fields: CheckedForm
) -> Response:
    """File a phoned or in-person question (linked only by a verified address, L5)."""
    form = _new_form(request, fields)
    title = form.text("title")
    question = form.text("question", multiline=True)
    name, email, phone = form.text("name"), form.text("email"), form.text("phone")
    serial = form.text("serial")
    purchased_on = purchase_date(form)
    log = fields.get("log", "")
    channel = next((c for c in _STAFF_CHANNELS if c.value == fields.get("channel")), None)
    if channel is None:
        form.refuse("channel", N_("Choose one of the options."))
    try:
        contact_by = ContactBy(fields.get("contact_by", ""))
    except ValueError:
        form.refuse("contact_by", N_("Choose one of the options."))
        contact_by = ContactBy.PHONE
    for field, value in (("title", title), ("question", question)):
        if value is None and field not in form.errors:
            form.refuse(field, N_("Fill in this field."))
    if serial is None and purchased_on is not None:
        form.refuse("serial", N_("Fill in this field."))
    if form.invalid or channel is None or title is None or question is None:
        return _new_page(request, staff, form, status=422)
    case = NewCase(
        channel=channel,
        title=title,
        question=question,
        contact_by=contact_by,
        name=name,
        email=email,
        phone=phone,
        products=(Product(serial, purchased_on),) if serial else (),
        log=LogFile("log.txt", log.encode("utf-8")) if log.strip() else None,
    )
    try:
        filed = ctx.support.file_by_staff(uow, staff, case)
    except InvalidField as error:
        case_form_errors(form, error)
        return _new_page(request, staff, form, status=422)
    return redirect(f"/console/support/{filed.reference}?notice=filed")


def _new_page(request: Request, staff: StaffMember, form: Form, *, status: int = 200) -> Response:
    gettext = translations(page_language(request)).gettext
    response = _page(
        request,
        "console/support_new.html.j2",
        staff,
        form=form,
        channels=[(c.value, gettext(CHANNEL_WORDS[c])) for c in _STAFF_CHANNELS],
        contact_options=[(value.value, gettext(word)) for value, word in CONTACT_WORDS.items()],
    )
    response.status_code = status
    return response


@router.get("/support/{reference}")
def case_page(
    request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff, reference: str
) -> Response:
    """One case: the question, contact details, products and every event."""
    return _case_page(request, ctx, uow, staff, reference, _note_form(request, {"kind": "note"}))


@router.post("/support/{reference}/note")
def add_note(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    reference: str,
    fields: CheckedForm,
) -> Response:
    """Add an internal note or a reply to the case."""
    _known(ctx, uow, reference)
    form = _note_form(request, fields)
    text = form.text("text", multiline=True)
    kind = next((k for k in _NOTE_KINDS if k.value == fields.get("kind")), None)
    if kind is None:
        form.refuse("kind", N_("Choose one of the options."))
    if text is None and "text" not in form.errors:
        form.refuse("text", N_("Fill in this field."))
    if form.invalid or kind is None or text is None:
        return _case_page(request, ctx, uow, staff, reference, form, status=422)
    try:
        mailed = ctx.support.add_event(uow, staff, reference, kind, text)
    except InvalidField:
        form.refuse("text", N_("Use at most 10,000 characters."))
        return _case_page(request, ctx, uow, staff, reference, form, status=422)
    return redirect(f"/console/support/{reference}?notice={'mailed' if mailed else 'noted'}")


@router.post("/support/{reference}/close")
def close_case(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    reference: str,
    fields: CheckedForm,
) -> Response:
    """Close the case: its retention year starts now."""
    try:
        ctx.support.close(uow, staff, reference)
    except CaseNotFound:
        raise HTTPException(status_code=404) from None
    return redirect(f"/console/support/{reference}?notice=closed")


def _known(ctx: ContextDep, uow: UowDep, reference: str) -> None:
    if not ctx.support.exists(uow, reference):
        raise HTTPException(status_code=404)


def _case_page(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: StaffMember,
    reference: str,
    form: Form,
    *,
    status: int = 200,
) -> Response:
    try:
        detail = ctx.support.read(uow, staff, reference)
    except CaseNotFound:
        raise HTTPException(status_code=404) from None
    gettext = translations(page_language(request)).gettext
    linked = detail.summary.linked_by
    response = _page(
        request,
        "console/support_case.html.j2",
        staff,
        case=detail,
        words=case_words(request, detail),
        linked=gettext(_LINKED_WORDS[linked.value]) if linked else gettext(_NOT_LINKED),
        form=form,
        note_kinds=[(k.value, gettext(word)) for k, word in _NOTE_KINDS.items()],
        notice=notice(request, _NOTICES),
        # the calls about this case, each opened (and played, by a team leader) on its page
        calls=ctx.calls.calls(uow, case_reference=detail.reference)
        if "call_recording" in ctx.policy.activity_ids
        else [],
        choice_names=CHOICE_NAMES,
    )
    response.status_code = status
    return response
