"""The privacy choices of a logged-in customer ("Privacykeuzes"): consents and objections.

    GET   /account/preferences             every choice the policy offers here, with its state
    POST  /account/preferences             activity + choice (give | withdraw | object):
                                           one button, one click each (LEGAL L10)
    GET   /account/preferences/receipts/N  a consent record's receipt as a JSON download
                                           (?format=kantara | iso27560)

Which rows the page has is read from the policy file, never from code (LEGAL L9): a consent
row for each consent-based activity whose ``consent.channels`` name the account preferences,
an objection row for each activity whose ``objection.channels`` do, both only where
``web.channels`` sends that channel to this page. So the statement's "in uw
privacyvoorkeuren" is true for exactly the activities this page serves (issue 9: promise
only what runs); ``important_notices`` is the exception, its channel is the edit page.

A refused choice (an activity not on this page, a consent to what is no consent, a
withdrawal of what was never given) comes back as the page with the message beside its row
and a 422, nothing written; a form without its CSRF token is refused before it is read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from babel.dates import format_date, format_datetime
from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse

from privaat.bootstrap import Context
from privaat.domain.guard import is_direct_marketing
from privaat.domain.principal import DataSubject
from privaat.i18n import N_, translations
from privaat.policy.schema import Channel, Policy, ProcessingActivity
from privaat.render.language import formatting_locale
from privaat.render.policy_text import public_text
from privaat.services.consents import (
    ConsentChoice,
    ConsentMethod,
    ConsentRecord,
    Evidence,
    ReceiptFormat,
)
from privaat.services.errors import Conflict, ServiceError
from privaat.services.objections import RecordedObjection
from privaat.store.unit_of_work import UnitOfWork
from privaat.web.channels import PREFERENCES, channel_page
from privaat.web.deps import ClientIp, ContextDep, CurrentSubject, UowDep
from privaat.web.pages.csrf import CheckedForm
from privaat.web.pages.layout import notice, page_language, redirect, render
from privaat.web.pages.page_errors import PageRoute

__all__ = ["consent_activities", "objection_activities", "router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

GIVE, WITHDRAW, OBJECT = "give", "withdraw", "object"

NOTICES = {
    "marketing_saved": N_("Your marketing preferences are saved."),
    "given": N_("Your consent is recorded. You can withdraw it here at any time."),
    # issue 14 item 5: a double opt-in counts only once the mailed link is opened
    "requested": N_(
        "We sent you an e-mail with a link. Your consent counts once you open it; until then "
        "we do not do this."
    ),
    "withdrawn": N_("Your consent is withdrawn. We stopped at once."),
    "objected": N_("Your objection is recorded. We stopped at once."),
}
# how a consent was given or withdrawn, as the history names it
METHOD_WORDS: Mapping[ConsentMethod, str] = {
    ConsentMethod.SIGN_UP: N_("when you created your account"),
    ConsentMethod.PRIVACY_CENTRE: N_("on this page"),
    ConsentMethod.COOKIE_BANNER: N_("in the cookie notice"),
    ConsentMethod.EMAIL_LINK: N_("with the link in an e-mail"),
    ConsentMethod.SUPPORT: N_("through customer service"),
    ConsentMethod.SUPPORT_ACCESS_PAGE: N_("on the support access page"),
    ConsentMethod.API: N_("through the API"),
}
RECEIPT_NAMES: Mapping[ReceiptFormat, str] = {
    ReceiptFormat.KANTARA: "Kantara",
    ReceiptFormat.ISO_27560: "ISO/IEC 27560",
}
_NOT_HERE = N_("This choice is not on this page. Nothing was changed.")
_NO_CONSENT_HERE = N_(
    "You do not give consent for this: you can object to it instead. Nothing was changed."
)
_NO_OBJECTION_HERE = N_(
    "You cannot object to this: you withdraw your consent instead. Nothing was changed."
)
_NOTHING_TO_WITHDRAW = N_(
    "You have not given consent for this, so there is nothing to withdraw. Nothing was changed."
)
_NOT_SAVED = N_("This choice could not be saved. Nothing was changed.")
_PREFERENCES_NOT_SAVED = N_("These preferences are not offered here. Nothing was changed.")
MARKETING_FORM = "marketing"  # the key of the marketing preferences' message on the page


def consent_activities(policy: Policy) -> tuple[ProcessingActivity, ...]:
    """The consent-based activities given and withdrawn on this page, in the file's order."""
    return tuple(
        activity
        for activity in policy.activities
        if activity.consent is not None
        and Channel.ACCOUNT_PREFERENCES in activity.consent.channels
        and _served_here(activity)
    )


def objection_activities(policy: Policy) -> tuple[ProcessingActivity, ...]:
    """The activities objected to on this page: direct marketing first (its objection is
    absolute, art. 21(3)), then the file's order, as the statement's objection box lists them."""
    found = [
        activity
        for activity in policy.activities
        if activity.objection.possible
        and Channel.ACCOUNT_PREFERENCES in activity.objection.channels
        and _served_here(activity)
    ]
    return tuple(sorted(found, key=lambda activity: not is_direct_marketing(activity)))


def _served_here(activity: ProcessingActivity) -> bool:
    # the statement links the channel where web.channels sends it: this page, or another
    return channel_page(Channel.ACCOUNT_PREFERENCES, activity.id) == PREFERENCES


# --- what the template shows -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Receipt:
    """A download of one record as a receipt of one standard (its name is the link's text)."""

    standard: str
    href: str


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One record of the consent ledger: when, given or withdrawn, how, and its receipts."""

    at: str
    at_iso: str
    given: bool
    requested: bool  # a double opt-in asked by e-mail, not a withdrawal (issue 14 item 5)
    method: str
    receipts: tuple[Receipt, ...]


@dataclass(frozen=True, slots=True)
class ConsentRow:
    """One consent as the person sees it, and the one button that changes it."""

    activity: str
    name: str
    purpose: str
    request: str  # the exact text whose hash the ledger keeps (art. 7(1), LEGAL L86)
    state: str
    given: bool  # counts now: the button withdraws
    stale: bool  # given for an earlier text: asked again
    awaiting: bool  # a double opt-in's link is out: the second button cancels it
    stopped_by_objection: bool
    history: tuple[HistoryRow, ...]
    error: str | None


@dataclass(frozen=True, slots=True)
class ObjectionRow:
    """One activity the person may object to, with what objecting does."""

    activity: str
    name: str
    purpose: str
    note: str | None
    absolute: bool  # direct marketing (art. 21(3)): no grounds, no reason asked
    final: bool  # the policy never weighs its grounds against it (Objection.overridable)
    state: str | None  # None: not objected
    overridden: bool
    error: str | None


class _Words:
    """The page's words and dates in one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._gettext = translations(lang).gettext
        self._locale = formatting_locale(lang)

    def __call__(self, msgid: str, **params: Any) -> str:
        return self._gettext(msgid).format(**params)

    def date(self, moment: datetime) -> str:
        return format_date(moment.date(), format="long", locale=self._locale)

    def moment(self, moment: datetime) -> str:
        text = format_datetime(moment, format="medium", tzinfo=moment.tzinfo, locale=self._locale)
        return f"{text} UTC"


def _consent_state(words: _Words, choice: ConsentChoice | None, now: datetime) -> tuple[str, bool]:
    """The state in words, and whether the consent counts now (so the button withdraws)."""
    current = choice.current if choice is not None else None
    awaiting = choice.awaiting if choice is not None else None
    if awaiting is not None and awaiting.expires_at is not None:
        # issue 14 item 5: asked, not yet confirmed through the mailed link
        return words(
            N_(
                "On {date} we e-mailed you a link to confirm this. It counts once you open the "
                "link, before {end}. Until then we do not do this."
            ),
            date=words.date(awaiting.at),
            end=words.date(awaiting.expires_at),
        ), False
    if current is None:
        return words(N_("You have not given consent for this. So we do not do it.")), False
    if not current.given:
        return words(
            N_("You withdrew your consent on {date}. We do not do this any more."),
            date=words.date(current.at),
        ), False
    if choice is not None and choice.stale:
        # LEGAL L86: a consent counts only for the text it was given for
        return words(
            N_(
                "You gave consent on {date} for an earlier text. The text has changed, so we "
                "ask you again. Until you give consent again, we do not do this."
            ),
            date=words.date(current.at),
        ), False
    if current.expires_at is not None and current.expires_at <= now:
        # a time-limited grant that ran out (LEGAL L29): the guard no longer counts it
        return words(
            N_("Your consent ended on {date}. We do not do this any more."),
            date=words.date(current.expires_at),
        ), False
    if current.expires_at is not None:
        return words(
            N_("You gave consent on {date}. It ends by itself on {end}."),
            date=words.date(current.at),
            end=words.date(current.expires_at),
        ), True
    return words(N_("You gave consent on {date}."), date=words.date(current.at)), True


def _history(words: _Words, records: Sequence[ConsentRecord]) -> tuple[HistoryRow, ...]:
    rows = []
    for record in sorted(records, key=lambda r: (r.at, r.id), reverse=True):
        receipts = tuple(
            Receipt(name, f"{PREFERENCES}/receipts/{record.id}?format={fmt.value}")
            for fmt, name in RECEIPT_NAMES.items()
            # Kantara CR v1.1 has no field for a withdrawal: the ISO record says both
            if record.given or fmt is not ReceiptFormat.KANTARA
        )
        rows.append(
            HistoryRow(
                at=words.moment(record.at),
                at_iso=record.at.isoformat(),
                given=record.given,
                requested=record.requested,
                method=words(METHOD_WORDS.get(record.method, N_("in another way"))),
                receipts=receipts,
            )
        )
    return tuple(rows)


def _objection_state(words: _Words, found: RecordedObjection | None) -> str | None:
    if found is None:
        return None
    if found.overridden:
        return words(
            N_(
                "You objected on {date}. We weighed your objection and continue for reasons "
                "we sent you by e-mail."
            ),
            date=words.date(found.at),
        )
    return words(N_("You objected on {date}. We stopped at once."), date=words.date(found.at))


def _page(
    request: Request,
    ctx: Context,
    uow: UnitOfWork,
    subject: DataSubject,
    *,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The page with every row's state; ``errors`` maps an activity id (or "" for the page)
    to the message shown beside its row."""
    errors = errors or {}
    words = _Words(page_language(request))
    policy, now = ctx.policy, ctx.clock.now()
    choices = {c.activity: c for c in ctx.consents.choices(uow, subject, subject.subject_id)}
    ledger: dict[str, list[ConsentRecord]] = {}
    for record in ctx.consents.history(uow, subject, subject.subject_id):
        ledger.setdefault(record.activity, []).append(record)
    recorded = ctx.objections.recorded(uow, subject, subject.subject_id)

    consents = []
    for activity in consent_activities(policy):
        if activity.consent is None:  # consent_activities keeps consent-based ones only
            continue
        choice = choices.get(activity.id)
        state, given = _consent_state(words, choice, now)
        stopped = is_direct_marketing(activity) and ctx.objections.stopping(recorded, activity)
        consents.append(
            ConsentRow(
                activity=activity.id,
                name=activity.name.in_language(words.lang),
                purpose=public_text(activity.description, words.lang),
                # shown exactly as the ledger hashes it: the policy's own request text
                request=activity.consent.request.in_language(words.lang),
                state=state,
                given=given,
                stale=bool(choice and choice.stale and choice.current and choice.current.given),
                awaiting=bool(choice and choice.awaiting),
                stopped_by_objection=bool(stopped),
                history=_history(words, ledger.get(activity.id, ())),
                error=errors.get(activity.id),
            )
        )
    objections = []
    for activity in objection_activities(policy):
        found = ctx.objections.stopping(recorded, activity)
        note = activity.objection.note
        objections.append(
            ObjectionRow(
                activity=activity.id,
                name=activity.name.in_language(words.lang),
                purpose=public_text(activity.description, words.lang),
                note=public_text(note, words.lang) if note is not None else None,
                absolute=is_direct_marketing(activity) or activity.objection.absolute,
                final=not activity.objection.overridable,
                state=_objection_state(words, found),
                overridden=bool(found and found.overridden),
                error=errors.get(activity.id),
            )
        )
    return render(
        request,
        "preferences.html.j2",
        status_code=status_code,
        signed_in=True,
        notice=notice(request, NOTICES),
        consents=consents,
        objections=objections,
        summary=[(_anchor(key, consents, objections), message) for key, message in errors.items()],
        marketing=_marketing(ctx, uow, subject, words, errors.get(MARKETING_FORM)),
    )


@dataclass(frozen=True)
class MarketingSection:
    """The marketing preferences form (P4): topics, language, channels, as the policy offers."""

    topics: tuple[tuple[str, str, bool], ...]  # (id, name, chosen)
    channels: tuple[tuple[str, str, bool], ...]
    languages: tuple[tuple[str, str, bool], ...]
    error: str | None


_LANGUAGE_NAMES = {"nl": N_("Dutch"), "en": N_("English")}


def _marketing(
    ctx: Context, uow: UnitOfWork, subject: DataSubject, words: _Words, error: str | None
) -> MarketingSection | None:
    offer = ctx.preferences
    if not offer.topics:
        return None  # a provider without marketing offers no preferences
    chosen = offer.get(uow, subject, subject.subject_id)
    return MarketingSection(
        topics=tuple(
            (t.id, t.name.in_language(words.lang), t.id in chosen.topics) for t in offer.topics
        ),
        channels=tuple(
            (c.id, c.name.in_language(words.lang), c.id in chosen.channels) for c in offer.channels
        ),
        languages=tuple(
            (lang, words(_LANGUAGE_NAMES.get(lang, lang)), lang == chosen.language)
            for lang in offer.languages
        ),
        error=error,
    )


def _anchor(key: str, consents: Sequence[ConsentRow], objections: Sequence[ObjectionRow]) -> str:
    """The id of the row a message stands beside, for the summary's link ("" for the page)."""
    if any(row.activity == key for row in consents):
        return f"consent-{key}"
    if any(row.activity == key for row in objections):
        return f"objection-{key}"
    if key == MARKETING_FORM:
        return "marketing-preferences"
    return ""


# --- the routes --------------------------------------------------------------------------------


@router.get(PREFERENCES)
def preferences_page(
    request: Request, ctx: ContextDep, uow: UowDep, subject: CurrentSubject
) -> Response:
    """Every consent and objection this page offers, each with its state and one button."""
    return _page(request, ctx, uow, subject)


@router.post(PREFERENCES)
def choose(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    subject: CurrentSubject,
    ip: ClientIp,
    fields: CheckedForm,
) -> Response:
    """Give, withdraw (art. 7(3): one click, as giving, LEGAL L10) or object (art. 21)."""
    activity, choice = fields.get("activity", ""), fields.get("choice", "")
    consent_ids = {a.id for a in consent_activities(ctx.policy)}
    objection_ids = {a.id for a in objection_activities(ctx.policy)}
    on_page = consent_ids | objection_ids
    row = activity if activity in on_page else ""
    words = _Words(page_language(request))

    def refused(msgid: str) -> Response:
        # nothing was written: the page again, the message beside the row it is about
        return _page(request, ctx, uow, subject, errors={row: words(msgid)}, status_code=422)

    if choice in (GIVE, WITHDRAW) and activity not in consent_ids:
        # a consent to an objection row (legitimate interest) or to an activity elsewhere
        return refused(_NO_CONSENT_HERE if activity in objection_ids else _NOT_HERE)
    if choice == OBJECT and activity not in objection_ids:
        return refused(_NO_OBJECTION_HERE if activity in consent_ids else _NOT_HERE)
    if choice not in (GIVE, WITHDRAW, OBJECT):
        return refused(_NOT_HERE)
    evidence = Evidence(ip=ip, user_agent=request.headers.get("user-agent"))
    try:
        if choice == GIVE:
            record = ctx.consents.give(
                uow,
                subject,
                subject.subject_id,
                activity,
                lang=words.lang,  # the language of the text the person read on this page
                method=ConsentMethod.PRIVACY_CENTRE,
                evidence=evidence,
            )
        elif choice == WITHDRAW:
            ctx.consents.withdraw(
                uow,
                subject,
                subject.subject_id,
                activity,
                method=ConsentMethod.PRIVACY_CENTRE,
                evidence=evidence,
            )
        else:
            # art. 21(3), LEGAL L15: direct marketing stops at once, no reason asked
            ctx.objections.object(uow, subject, subject.subject_id, activity)
    except Conflict:  # Consents.withdraw: never given (art. 7(3) needs a consent to end)
        return refused(_NOTHING_TO_WITHDRAW)
    except ServiceError:  # InvalidField among them: the service refused, nothing written
        return refused(_NOT_SAVED)
    done = {GIVE: "given", WITHDRAW: "withdrawn", OBJECT: "objected"}[choice]
    if choice == GIVE and record.requested:
        done = "requested"
    return redirect(f"{PREFERENCES}?notice={done}")


@router.get(PREFERENCES + "/receipts/{record_id}")
def receipt(
    record_id: int, ctx: ContextDep, uow: UowDep, subject: CurrentSubject, format: str = ""
) -> Response:
    """One consent record as a receipt to keep (Kantara CR v1.1 or ISO/IEC TS 27560): the
    same JSON the API serves, as a file download."""
    try:
        fmt = ReceiptFormat(format)
    except ValueError:
        raise HTTPException(status_code=404) from None
    try:
        body = ctx.consents.receipt(uow, subject, subject.subject_id, record_id, fmt)
    except ServiceError:  # another person's record, or none: the same answer
        raise HTTPException(status_code=404) from None
    name = f"consent-receipt-{record_id}-{fmt.value}.json"
    return JSONResponse(
        body,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",  # a record of the person's choices
        },
    )


@router.post(PREFERENCES + "/marketing")
def choose_marketing(
    request: Request, ctx: ContextDep, uow: UowDep, subject: CurrentSubject, fields: CheckedForm
) -> Response:
    """Save the marketing preferences (P4) from one form: a checkbox per topic and channel
    (``topic_<id>``, ``channel_<id>``) and the language; anything not offered saves nothing."""
    topics = [name.removeprefix("topic_") for name in fields if name.startswith("topic_")]
    channels = [name.removeprefix("channel_") for name in fields if name.startswith("channel_")]
    language = fields.get("language", "")
    try:
        ctx.preferences.update(
            uow, subject, subject.subject_id, topics=topics, language=language, channels=channels
        )
    except ServiceError:  # InvalidField: not offered by the policy; nothing was written
        words = _Words(page_language(request))
        return _page(
            request,
            ctx,
            uow,
            subject,
            errors={MARKETING_FORM: words(_PREFERENCES_NOT_SAVED)},
            status_code=422,
        )
    return redirect(f"{PREFERENCES}?notice=marketing_saved#marketing-preferences")
