"""The privacy centre's support cases: the customer's own cases and their events (issue 12
items 2 and 6; P5, P7).

    GET  /account/support              my cases, newest first (reference, subject, status)
    GET  /account/support/new          the form: subject, question, how to contact me, a
                                       product's serial number and purchase date, a log
    POST /account/support/new          filed for the signed-in customer: linked to their
                                       account (signed_in); a refused field shows the form
                                       again with the reason and nothing is stored
    GET  /account/support/{reference}  one of my cases: the question, products and events
                                       (never the staff's internal notes)

Another person's reference answers 404, as a reference that does not exist.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response

from privaat.i18n import N_, translations
from privaat.services.errors import InvalidField
from privaat.services.support_desk import (
    CaseDetail,
    CaseNotFound,
    CaseStatus,
    Channel,
    ContactBy,
    EventKind,
    LogFile,
    NewCase,
    Product,
)
from privaat.web.deps import ContextDep, CurrentSubject, UowDep
from privaat.web.pages.csrf import CheckedForm
from privaat.web.pages.forms import Form
from privaat.web.pages.layout import notice, page_language, redirect, render
from privaat.web.pages.page_errors import PageRoute

__all__ = [
    "CHANNEL_WORDS",
    "CONTACT_WORDS",
    "EVENT_WORDS",
    "FIELD_MESSAGES",
    "STATUS_WORDS",
    "case_form_errors",
    "router",
]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

CHANNEL_WORDS = {
    Channel.EMAIL: N_("by e-mail"),
    Channel.PHONE: N_("by phone"),
    Channel.WEB: N_("online"),
    Channel.IN_PERSON: N_("in person"),
}
STATUS_WORDS = {CaseStatus.OPEN: N_("open"), CaseStatus.CLOSED: N_("dealt with")}
CONTACT_WORDS = {ContactBy.EMAIL: N_("By e-mail"), ContactBy.PHONE: N_("By phone")}
EVENT_WORDS = {
    EventKind.NOTE: N_("Internal note"),
    EventKind.REPLY: N_("Reply from customer service"),
    EventKind.MESSAGE: N_("Message from the customer"),
    EventKind.LOG: N_("Log file"),
    EventKind.CLOSED: N_("Case closed"),
    EventKind.REOPENED: N_("Case opened again"),
}
_LABELS = {
    "title": N_("Subject"),
    "question": N_("Your question"),
    "contact_by": N_("How do you want us to contact you?"),
    "phone": N_("Phone number"),
    "serial": N_("Serial number of the product"),
    "purchased_on": N_("Purchase date"),
    "log": N_("Log file (paste its text)"),
}
# the service's refusals (InvalidField.field) in the words of a form
FIELD_MESSAGES = {
    "serial": N_("Enter a serial number of 4 to 32 letters and digits, such as FX-2024-00123."),
    "purchased_on": N_("Enter a purchase date that is not in the future, such as 2025-03-31."),
    "log": N_("The log file is too large: at most 1 MB of text."),
    "email": N_("Enter an e-mail address such as name@example.nl."),
    "phone": N_("Enter a phone number such as 06 12345678 or +31 6 12345678."),
    "title": N_("Use at most 200 characters."),
    "question": N_("Use at most 10,000 characters."),
}
_NOTICES = {"filed": N_("Your question is received. We will contact you as you asked.")}


def case_form_errors(form: Form, error: InvalidField) -> None:
    """Show a refusal of the support desk next to its field."""
    if error.field == "email" and "contact_by" in form.labels and "email" not in form.labels:
        form.refuse("contact_by", N_("Your account has no e-mail address we may use now."))
        return
    form.refuse(error.field, FIELD_MESSAGES.get(error.field, N_("This value is not accepted.")))


def purchase_date(form: Form, name: str = "purchased_on") -> date | None:
    """The form's purchase date (YYYY-MM-DD), or None when empty or malformed (refused)."""
    value = form.value(name).strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        form.refuse(name, N_("Enter a date such as 1990-03-31 (year, month, day)."))
        return None


def _form(request: Request, typed: dict[str, str] | None = None) -> Form:
    return Form(page_language(request), "support-new", _LABELS, typed)


@router.get("/account/support")
def my_cases(request: Request, ctx: ContextDep, uow: UowDep, subject: CurrentSubject) -> Response:
    """The customer's own support cases, newest first."""
    gettext = translations(page_language(request)).gettext
    rows = [
        {
            "reference": case.reference,
            "title": case.title,
            "opened": case.opened_at.date().isoformat(),
            "channel": gettext(CHANNEL_WORDS[case.channel]),
            "status": gettext(STATUS_WORDS[case.status]),
        }
        for case in ctx.support.mine(uow, subject)
    ]
    done = notice(request, _NOTICES)
    return render(request, "support.html.j2", signed_in=True, rows=rows, notice=done)


@router.get("/account/support/new")
def new_case_page(request: Request, subject: CurrentSubject) -> Response:
    """The form for a new question to customer service."""
    return _page(request, _form(request, {"contact_by": ContactBy.EMAIL.value}))


@router.post("/account/support/new")
def file_case(
    request: Request, ctx: ContextDep, uow: UowDep, subject: CurrentSubject, fields: CheckedForm
) -> Response:
    """File the question as a case of the signed-in customer."""
    form = _form(request, fields)
    title = form.text("title")
    question = form.text("question", multiline=True)
    phone = form.text("phone")
    serial = form.text("serial")
    purchased_on = purchase_date(form)
    log = fields.get("log", "")
    for name, value in (("title", title), ("question", question)):
        if value is None and name not in form.errors:
            form.refuse(name, N_("Fill in this field."))
    try:
        contact_by = ContactBy(fields.get("contact_by", ""))
    except ValueError:
        form.refuse("contact_by", N_("Choose one of the options."))
        contact_by = ContactBy.EMAIL
    if serial is None and purchased_on is not None:
        form.refuse("serial", N_("Fill in this field."))
    if form.invalid or title is None or question is None:
        return _page(request, form, status_code=422)
    profile = ctx.accounts.read_profile(uow, subject, subject.subject_id)
    case = NewCase(
        channel=Channel.WEB,
        title=title,
        question=question,
        contact_by=contact_by,
        name=profile.name,
        email=profile.email,
        phone=phone,
        products=(Product(serial, purchased_on),) if serial else (),
        log=LogFile("log.txt", log.encode("utf-8")) if log.strip() else None,
    )
    try:
        filed = ctx.support.file_by_customer(uow, subject, case)
    except InvalidField as error:
        case_form_errors(form, error)
        return _page(request, form, status_code=422)
    return redirect(f"/account/support/{filed.reference}?notice=filed")


@router.get("/account/support/{reference}")
def my_case(
    request: Request, ctx: ContextDep, uow: UowDep, subject: CurrentSubject, reference: str
) -> Response:
    """One of the customer's own cases: what they asked, and what happened since."""
    try:
        detail = ctx.support.read(uow, subject, reference)
    except CaseNotFound:
        raise HTTPException(status_code=404) from None
    return render(
        request,
        "support_case.html.j2",
        signed_in=True,
        case=detail,
        words=case_words(request, detail),
        notice=notice(request, _NOTICES),
    )


def case_words(request: Request, detail: CaseDetail) -> dict[str, Any]:
    """The case's channel, status, contact preference and event kinds in the page's language."""
    gettext = translations(page_language(request)).gettext
    return {
        "channel": gettext(CHANNEL_WORDS[detail.summary.channel]),
        "status": gettext(STATUS_WORDS[detail.summary.status]),
        "contact_by": gettext(CONTACT_WORDS[detail.contact_by]),
        "events": {kind.value: gettext(word) for kind, word in EVENT_WORDS.items()},
    }


def _page(request: Request, form: Form, *, status_code: int = 200) -> Response:
    gettext = translations(page_language(request)).gettext
    return render(
        request,
        "support_new.html.j2",
        status_code=status_code,
        signed_in=True,
        form=form,
        contact_options=[(value.value, gettext(word)) for value, word in CONTACT_WORDS.items()],
    )
