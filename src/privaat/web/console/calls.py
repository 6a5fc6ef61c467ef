"""The console's support calls and recording playback (issue 12 items 2, 6; L26-L28).

    GET  /console/calls                       the latest calls (times, choice, segments; no
                                              name), and the form to log a call
    POST /console/calls                       log a call: the caller by account e-mail or
                                              case reference, the announcement read out (its
                                              language), the caller's choice, hold and
                                              transfer times
    GET  /console/calls/{call_id}             the call through the seam under call_recording:
                                              the choice, holds, segments (``<audio>`` for team
                                              leaders), the playback log; the upload form
    POST /console/calls/{call_id}/segments    upload one recorded segment (multipart, at most
                                              50 MiB: body_limit); 409 after "do not record",
                                              415/422 for a file that is no WAV or Ogg
                                              Opus, 422 for a segment over a hold or transfer
    GET  /console/calls/{call_id}/segments/{segment_id}/audio
                                              team leaders only (the role table): the audio,
                                              decrypted, ``no-store``, each playback logged

Every POST is CSRF-checked (the upload by ``checked_upload``, as ``CheckedForm`` does, with
one file allowed) and redirects with ``?notice=`` when it worked; a refused one shows the
page again with the reason next to its field, and stores nothing.
"""

from __future__ import annotations

import hmac
import re
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from privaat.domain.call_recording import (
    CHOICES,
    MAX_AUDIO_BYTES,
    RECORD,
    CallFieldInvalid,
    Hold,
    parse_holds,
    parse_offset,
)
from privaat.domain.principal import StaffMember, StaffRole
from privaat.i18n import N_, translations
from privaat.services.call_recordings import (
    AudioRefused,
    CallDetail,
    CallNotFound,
    RecordingRefused,
    SegmentNotFound,
)
from privaat.services.errors import (
    DataWithheld,
    InvalidField,
    NotPermitted,
    SubjectNotFound,
)
from privaat.web.console.access import ROLE_NAMES, ConsoleRoute, CurrentStaff, authorise
from privaat.web.console.routes import _page
from privaat.web.deps import ContextDep, UowDep
from privaat.web.pages import csrf
from privaat.web.pages.csrf import CheckedForm, CsrfRefused
from privaat.web.pages.forms import Form
from privaat.web.pages.layout import PAGE_CSP, notice, page_language, redirect

__all__ = ["checked_upload", "declared", "router"]


def declared(ctx: ContextDep) -> None:
    """No calls pages (404) for a provider whose policy records no calls."""
    if not ctx.calls.enabled:
        raise HTTPException(status_code=404)


router = APIRouter(
    prefix="/console",
    route_class=ConsoleRoute,
    include_in_schema=False,
    # the role table, for every route below; then whether the policy records calls at all
    dependencies=[Depends(authorise), Depends(declared)],
)

# the call page plays audio from this site only (the layout's CSP allows no media at all)
_PLAYER_CSP = f"{PAGE_CSP}; media-src 'self'"
_NOTICES = {
    "logged": N_("The call is logged with the caller's choice."),
    "uploaded": N_("The recording is stored, encrypted. It is deleted after 30 days."),
    "refused": N_(
        "The caller refused the recording: it is stopped and what was recorded is deleted."
    ),
}
CHOICE_NAMES = {
    "record": N_("Agreed to the recording"),
    "do_not_record": N_("Refused the recording"),
}
_HOLD_NAMES = {"hold": N_("On hold"), "transfer": N_("Being transferred")}
_LANGUAGE_NAMES = {"nl": N_("Dutch"), "en": N_("English")}
_CALL_LABELS = {
    "caller": N_("The caller's e-mail address or case reference"),
    "language": N_("Language of the announcement"),
    "choice": N_("The caller's choice"),
    "holds": N_("Hold and transfer times"),
}
_SEGMENT_LABELS = {
    "start": N_("Start of the segment in the call"),
    "end": N_("End of the segment in the call"),
    "holds": N_("Hold and transfer times"),
    "audio": N_("Recording (WAV or Ogg Opus file)"),
}
# the service's sentences, in the words of a form
_MESSAGES = {
    "no account has this e-mail address": N_("No account has this e-mail address."),
    "no support case has this reference": N_("No support case has this reference."),
    "say whether the caller agreed to the recording": N_(
        "Choose what the caller said after the announcement."
    ),
    "nl or en": N_("Choose Dutch or English."),
    "not a time in the call such as 2:05 or 1:02:05": N_(
        "Enter a time in the call such as 2:05 or 1:02:05."
    ),
    "write each interval as 'hold 2:10-3:05'": N_(
        "Write each interval as 'hold 2:10-3:05' or 'transfer 5:00-5:30'."
    ),
    "an interval ends after it starts": N_("An interval ends after it starts."),
    "a segment ends after it starts": N_("The segment ends after it starts."),
    "the segment overlaps a hold or transfer": N_(
        "The segment overlaps a hold or transfer: we do not record that time. "
        "Upload the parts before and after it."
    ),
    "the segment overlaps another segment": N_(
        "The segment overlaps a segment that is already stored."
    ),
    "a recorded segment covers part of this interval": N_(
        "A stored segment covers part of this interval."
    ),
    "the audio lasts longer than this segment": N_(
        "The recording lasts longer than the segment: it may contain hold time."
    ),
}
_AUDIO_MESSAGES = {
    413: N_("The file is too large: at most 50 MB."),
    415: N_("This file is not a WAV or Ogg Opus audio file. Upload the recording as one of those."),
    422: N_("This WAV file cannot be read, or holds no sound."),
}
_OBJECTED = N_(
    "This customer objected to the recording of calls: we never record them. "
    "Choose 'Refused the recording'."
)
_REFUSED = N_("The caller refused the recording: nothing of this call is recorded or stored.")


# --- the list and logging a call (L26) ------------------------------------------------------


def _call_form(request: Request, typed: dict[str, str] | None = None) -> Form:
    return Form(page_language(request), "call-new", _CALL_LABELS, typed)


@router.get("/calls")
def calls(request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff) -> Response:
    """The latest calls and the form to log one."""
    return _calls_page(request, ctx, uow, staff, _call_form(request))


@router.post("/calls")
def log_call(
    request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff, fields: CheckedForm
) -> Response:
    """Log a call with the announcement given and the caller's choice (L26)."""
    form = _call_form(request, fields)
    caller = form.text("caller")
    language = fields.get("language", "")
    choice = fields.get("choice", "")
    if not caller:
        form.refuse("caller", N_("Fill in this field."))
    if language not in _LANGUAGE_NAMES:
        form.refuse("language", N_("Choose Dutch or English."))
    if choice not in CHOICES:
        form.refuse("choice", N_("Choose what the caller said after the announcement."))
    holds = _holds(form, fields)
    if form.invalid or caller is None:
        return _calls_page(request, ctx, uow, staff, form, status=422)
    try:
        subject_id, case_id = ctx.calls.caller(uow, caller)
        call_id = ctx.calls.log_call(
            uow,
            staff,
            subject_id=subject_id,
            case_id=case_id,
            language=language,
            choice=choice,
            holds=holds,
        )
    except RecordingRefused:
        form.refuse("choice", _OBJECTED)
        return _calls_page(request, ctx, uow, staff, form, status=409)
    except InvalidField as error:
        field = "caller" if error.field == "email" else error.field
        form.refuse(field, _MESSAGES.get(error.message, N_("This value is not accepted.")))
        return _calls_page(request, ctx, uow, staff, form, status=422)
    return redirect(f"/console/calls/{call_id}?notice=logged")


def _calls_page(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: StaffMember,
    form: Form,
    *,
    status: int = 200,
) -> Response:
    lang = page_language(request)
    gettext = translations(lang).gettext
    response = _page(
        request,
        "console/calls.html.j2",
        staff,
        rows=ctx.calls.calls(uow),
        form=form,
        announcements=[(code, ctx.calls.notice(code)) for code in _LANGUAGE_NAMES],
        notice_languages=[(code, gettext(name)) for code, name in _LANGUAGE_NAMES.items()],
        choice_names=CHOICE_NAMES,
    )
    response.status_code = status
    return response


# --- one call, and uploading a segment (L27) ------------------------------------------------


def _segment_form(request: Request, typed: dict[str, str] | None = None) -> Form:
    return Form(page_language(request), "segment-new", _SEGMENT_LABELS, typed)


@router.get("/calls/{call_id}")
def call_page(
    request: Request, ctx: ContextDep, uow: UowDep, staff: CurrentStaff, call_id: str
) -> Response:
    """The call, its segments and who played them."""
    return _call_page(request, ctx, uow, staff, _number(call_id), _segment_form(request))


async def checked_upload(request: Request) -> tuple[dict[str, str], UploadFile | None]:
    """The fields and the one file of a POSTed multipart form, once its CSRF token is verified
    as ``csrf.checked_form`` verifies it (CsrfRefused otherwise)."""
    csrf._same_origin(request)
    form = await request.form(max_files=1, max_fields=csrf.MAX_FIELDS)
    fields: dict[str, str] = {}
    upload: UploadFile | None = None
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            upload = upload or value
        else:
            fields.setdefault(name, value)
    try:
        await _check_token(request, fields.pop(csrf.FIELD, ""))
    except CsrfRefused:
        await form.close()  # the spooled file goes at once, unread
        raise
    return fields, upload


async def _check_token(request: Request, sent: str) -> None:
    nonce = csrf._nonce(request)
    if nonce is None or not sent:
        raise CsrfRefused("no token or no nonce cookie")
    index = request.app.state.context.keys.cached_blind_index
    if index is None:
        index = await run_in_threadpool(csrf._index, request)
    if not hmac.compare_digest(sent.encode(), csrf._expected(index, nonce, request).encode()):
        raise CsrfRefused("the token does not match this browser and session")


CheckedUpload = Annotated[tuple[dict[str, str], UploadFile | None], Depends(checked_upload)]


@router.post("/calls/{call_id}/segments")
async def upload_segment(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    call_id: str,
    sent: CheckedUpload,
) -> Response:
    """Store one recorded segment; refused after "do not record", over a hold, or not a WAV."""
    number = _number(call_id)
    fields, upload = sent
    form = _segment_form(request, fields)
    start = _offset(form, fields, "start")
    end = _offset(form, fields, "end")
    holds = _holds(form, fields)
    audio = await upload.read(MAX_AUDIO_BYTES + 1) if upload is not None else b""
    if upload is not None:
        await upload.close()
    if not audio:
        form.refuse("audio", N_("Choose the recording's file."))
    if form.invalid or start is None or end is None:
        return await run_in_threadpool(_call_page, request, ctx, uow, staff, number, form, 422)
    try:
        await run_in_threadpool(
            ctx.calls.add_segment,
            uow,
            staff,
            number,
            start_ms=start,
            end_ms=end,
            audio=audio,
            holds=holds,
        )
    except RecordingRefused:
        form.refuse_form(_REFUSED)
        status = 409
    except AudioRefused as refused:
        form.refuse("audio", _AUDIO_MESSAGES.get(refused.status, _AUDIO_MESSAGES[422]))
        status = refused.status
    except InvalidField as error:
        form.refuse(error.field, _MESSAGES.get(error.message, N_("This value is not accepted.")))
        status = 422
    else:
        return redirect(f"/console/calls/{number}?notice=uploaded")
    return await run_in_threadpool(_call_page, request, ctx, uow, staff, number, form, status)


def _call_page(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: StaffMember,
    call_id: int,
    form: Form,
    status: int = 200,
) -> Response:
    try:
        detail: CallDetail = ctx.calls.call(uow, staff, call_id)
    except (CallNotFound, SubjectNotFound):
        raise HTTPException(status_code=404) from None
    except (NotPermitted, DataWithheld):
        raise HTTPException(status_code=403) from None
    lang = page_language(request)
    leader = staff.role is StaffRole.SUPPORT_LEAD
    response = _page(
        request,
        "console/call.html.j2",
        staff,
        call=detail,
        form=form,
        notice=notice(request, _NOTICES),
        leader=leader,
        recording=detail.choice == RECORD,
        announcement=ctx.calls.notice(detail.notice_language),
        choice_names=CHOICE_NAMES,
        hold_names=_HOLD_NAMES,
        language_name=translations(lang).gettext(_LANGUAGE_NAMES[detail.notice_language]),
        clock=_clock,
        who=lambda actor: _staff_words(actor, lang),
        headers={"Content-Security-Policy": _PLAYER_CSP} if leader else None,
    )
    response.status_code = status
    return response


@router.post("/calls/{call_id}/refuse")
def refuse_recording(
    ctx: ContextDep, uow: UowDep, staff: CurrentStaff, call_id: str, _fields: CheckedForm
) -> Response:
    """The caller refuses later in the call (L26, art. 21): the choice becomes final and the
    segments recorded so far are deleted."""
    number = _number(call_id)
    try:
        ctx.calls.refuse(uow, staff, number)
    except (CallNotFound, SubjectNotFound):
        raise HTTPException(status_code=404) from None
    except (NotPermitted, DataWithheld):
        raise HTTPException(status_code=403) from None
    return redirect(f"/console/calls/{number}?notice=refused")


# --- playback (L28) -------------------------------------------------------------------------


@router.get("/calls/{call_id}/segments/{segment_id}/audio")
def play(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    staff: CurrentStaff,
    call_id: str,
    segment_id: str,
) -> Response:
    """The segment's audio for a team leader; the playback is logged (who, what, when). A
    single byte range (RFC 9110 §14) is answered 206, as a browser's player asks for one."""
    try:
        played = ctx.calls.play(uow, staff, _number(call_id), _number(segment_id))
    except (SegmentNotFound, SubjectNotFound):
        raise HTTPException(status_code=404) from None
    except (NotPermitted, DataWithheld):
        raise HTTPException(status_code=403) from None
    extension = "ogg" if played.media_type == "audio/ogg" else "wav"
    headers = {
        "Cache-Control": "no-store",
        "Content-Disposition": f'inline; filename="call-{call_id}-{segment_id}.{extension}"',
        "Accept-Ranges": "bytes",
        "X-Content-Type-Options": "nosniff",
    }
    audio, size = played.audio, len(played.audio)
    wanted = _byte_range(request.headers.get("range"), size)
    if wanted is None:
        return Response(audio, media_type=played.media_type, headers=headers)
    first, last = wanted
    if first >= size:
        headers["Content-Range"] = f"bytes */{size}"
        return Response(b"", status_code=416, headers=headers)
    headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    return Response(
        audio[first : last + 1], status_code=206, media_type=played.media_type, headers=headers
    )


_RANGE = re.compile(r"^bytes=(\d{0,18})-(\d{0,18})$")


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) byte of a single range, or None for no range (or one we do not take)."""
    found = _RANGE.match((header or "").strip())
    if found is None or found.groups() == ("", ""):
        return None
    start, end = found.groups()
    if start == "":  # the last ``end`` bytes
        return max(size - int(end), 0), size - 1
    first = int(start)
    last = min(int(end), size - 1) if end else size - 1
    return (first, last) if last >= first or first >= size else None


# --- the steps ------------------------------------------------------------------------------


def _number(text: str) -> int:
    if not text.isdigit() or len(text) > 18:
        raise HTTPException(status_code=404)
    return int(text)


def _offset(form: Form, fields: dict[str, str], name: str) -> int | None:
    value = (fields.get(name) or "").strip()
    if not value:
        form.refuse(name, N_("Fill in this field."))
        return None
    try:
        return parse_offset(value, name)
    except CallFieldInvalid as error:
        form.refuse(name, _MESSAGES[error.message])
        return None


def _holds(form: Form, fields: dict[str, str]) -> list[Hold]:
    try:
        return parse_holds(fields.get("holds"))
    except CallFieldInvalid as error:
        form.refuse("holds", _MESSAGES.get(error.message, N_("This value is not accepted.")))
        return []


def _staff_words(actor: str, lang: str) -> str:
    """``staff:<id>:<role>`` as "customer support team leader, staff number 4"."""
    parts = actor.split(":")
    if len(parts) != 3 or parts[0] != "staff":
        return actor
    gettext = translations(lang).gettext
    try:
        role = gettext(ROLE_NAMES[StaffRole(parts[2])])
    except ValueError:
        role = parts[2]
    return gettext(N_("{role}, staff number {number}")).format(role=role, number=parts[1])


def _clock(milliseconds: int) -> str:
    """An offset in the call as ``m:ss`` (``h:mm:ss`` from an hour on)."""
    seconds = milliseconds // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"
