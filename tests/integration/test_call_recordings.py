"""Support calls and their recordings through the service (issue 12 item 2; P7; LEGAL L26-L28):
the announcement and the caller's choice are stored, a refusal is final, no hold or transfer
time lies inside a segment, the audio is encrypted, only team leaders play it and each
playback is logged, and the recording is in the person's export, gone after their erasure and
after 30 days. A refused upload stores nothing."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from datetime import UTC, timedelta

import pytest
from sqlalchemy import Table, func, select
from tests.factories import customer
from tests.unit.test_call_rules import opus, wav

from privaat.bootstrap import Context
from privaat.domain.call_recording import DO_NOT_RECORD, RECORD, Hold, notice_sha256
from privaat.domain.clock import FixedClock
from privaat.domain.errors import AccessDenied
from privaat.domain.principal import DataSubject, StaffMember, StaffRole
from privaat.domain.subject_requests import RequestKind
from privaat.render.access_package import access_zip
from privaat.services.call_recordings import PLAYBACK_WINDOW, AudioRefused, RecordingRefused
from privaat.services.errors import InvalidField, NotPermitted
from privaat.services.subject_export import ExportPart, SubjectData, SubjectExport
from privaat.store.tables import access_log, audit_log
from privaat.store.tables_calls import (
    call_recording_playbacks,
    call_recording_segments,
    support_call_holds,
    support_calls,
)

AGENT = StaffMember(7, StaffRole.SUPPORT)
LEAD = StaffMember(8, StaffRole.SUPPORT_LEAD)
OFFICER = StaffMember(1, StaffRole.PRIVACY_OFFICER)
TABLES = (support_calls, support_call_holds, call_recording_segments, call_recording_playbacks)


def _call(
    context: Context, subject_id: int, choice: str = RECORD, holds: tuple[Hold, ...] = ()
) -> int:
    with context.unit_of_work() as uow:
        return context.calls.log_call(
            uow, AGENT, subject_id=subject_id, language="nl", choice=choice, holds=holds
        )


def _segment(
    context: Context,
    call_id: int,
    start: int,
    end: int,
    audio: bytes | None = None,
    holds: Sequence[Hold] = (),
) -> int:
    with context.unit_of_work() as uow:
        return context.calls.add_segment(
            uow,
            AGENT,
            call_id,
            start_ms=start,
            end_ms=end,
            audio=audio if audio is not None else wav((end - start) / 1000),
            holds=holds,
        )


def _count(context: Context, table: Table, **where: object) -> int:
    with context.engine.connect() as connection:
        query = select(func.count()).select_from(table)
        for name, value in where.items():
            query = query.where(table.c[name] == value)
        return int(connection.execute(query).scalar_one())


def _part(data: SubjectData, table: str) -> ExportPart:
    part = data.part(table)
    assert part is not None, f"{table} is not in the export"
    return part


def test_l26_the_announcement_and_the_callers_choice_are_stored(
    context: Context, clock: FixedClock
) -> None:
    me = customer(context)
    call_id = _call(context, me.subject_id)
    with context.engine.connect() as connection:
        row = connection.execute(select(support_calls).where(support_calls.c.id == call_id)).one()
    notice = context.policy.activity("call_recording").notice
    assert notice is not None
    assert row.notice_language == "nl"
    assert row.notice_sha256 == notice_sha256(notice.nl)
    assert row.choice == RECORD
    assert row.choice_at.replace(tzinfo=UTC) == clock.now()
    with context.unit_of_work() as uow:
        detail = context.calls.call(uow, AGENT, call_id)
    assert detail.notice_current and detail.choice == RECORD


def test_l26_a_call_logged_without_a_choice_is_refused_and_stores_nothing(
    context: Context,
) -> None:
    me = customer(context)
    with context.unit_of_work() as uow, pytest.raises(InvalidField) as refused:
        context.calls.log_call(uow, AGENT, subject_id=me.subject_id, language="nl", choice="")
    assert refused.value.field == "choice"
    assert _count(context, support_calls) == 0


def test_l26_do_not_record_refuses_every_upload_and_stores_nothing(context: Context) -> None:
    me = customer(context)
    call_id = _call(context, me.subject_id, DO_NOT_RECORD)
    with pytest.raises(RecordingRefused):
        _segment(context, call_id, 0, 2000)
    assert _count(context, call_recording_segments) == 0


def test_l26_a_refusal_later_in_the_call_deletes_what_was_recorded_and_is_final(
    context: Context,
) -> None:
    me = customer(context)
    call_id = _call(context, me.subject_id)
    _segment(context, call_id, 0, 2000)
    with context.unit_of_work() as uow:
        assert context.calls.refuse(uow, AGENT, call_id) == 1
    assert _count(context, call_recording_segments) == 0
    with pytest.raises(RecordingRefused):
        _segment(context, call_id, 3000, 4000)
    with context.unit_of_work() as uow:
        assert context.calls.call(uow, AGENT, call_id).choice == DO_NOT_RECORD
    with context.engine.connect() as connection:
        detail = connection.execute(
            select(audit_log.c.detail).where(audit_log.c.action == "calls.recording_refused")
        ).scalar_one()
    assert json.loads(detail) == {"call": call_id, "segments_deleted": 1}


def test_l27_a_segment_over_a_hold_or_transfer_is_refused_and_stores_nothing(
    context: Context,
) -> None:
    me = customer(context)
    holds = (Hold("hold", 10_000, 20_000), Hold("transfer", 30_000, 35_000))
    call_id = _call(context, me.subject_id, holds=holds)
    for start, end in ((5_000, 12_000), (12_000, 15_000), (29_000, 36_000)):
        with pytest.raises(InvalidField) as refused:
            _segment(context, call_id, start, end)
        assert refused.value.field == "start"
    assert _count(context, call_recording_segments) == 0
    # the segments around the hold are taken: recording pauses, it does not run on
    _segment(context, call_id, 0, 10_000)
    _segment(context, call_id, 20_000, 30_000)
    assert _count(context, call_recording_segments, call_id=call_id) == 2


def test_l27_a_hold_sent_with_an_upload_that_covers_a_segment_rolls_the_upload_back(
    context: Context,
) -> None:
    me = customer(context)
    call_id = _call(context, me.subject_id)
    _segment(context, call_id, 0, 5_000)
    with pytest.raises(InvalidField):
        _segment(context, call_id, 10_000, 12_000, holds=[Hold("hold", 4_000, 6_000)])
    assert _count(context, support_call_holds) == 0
    assert _count(context, call_recording_segments) == 1
    with context.unit_of_work() as uow, pytest.raises(InvalidField):
        context.calls.add_hold(uow, AGENT, call_id, Hold("transfer", 1_000, 2_000))
    assert _count(context, support_call_holds) == 0


def test_l27_audio_longer_than_its_segment_is_refused(context: Context) -> None:
    me = customer(context)
    call_id = _call(context, me.subject_id, holds=(Hold("hold", 5_000, 60_000),))
    # 60 s of audio claimed as the 5 s before the hold: the hold time would be inside it
    with pytest.raises(InvalidField) as refused:
        _segment(context, call_id, 0, 5_000, audio=wav(60))
    assert refused.value.field == "end"
    assert _count(context, call_recording_segments) == 0


def test_l28_a_fake_wav_is_refused_and_stores_nothing(context: Context) -> None:
    me = customer(context)
    call_id = _call(context, me.subject_id)
    with pytest.raises(AudioRefused) as refused:
        _segment(context, call_id, 0, 1000, audio=b"ID3" + b"\x00" * 2000)
    assert refused.value.status == 415
    assert _count(context, call_recording_segments) == 0


def test_l28_the_audio_is_stored_encrypted_with_the_subjects_key(context: Context) -> None:
    me = customer(context)
    audio = wav(1.0)
    _segment(context, _call(context, me.subject_id), 0, 1000, audio=audio)
    with context.engine.connect() as connection:
        blob = connection.execute(select(call_recording_segments.c.audio_enc)).scalar_one()
    assert b"RIFF" not in blob and audio[44:200] not in blob and len(blob) > len(audio)


def test_l28_only_a_team_leader_plays_and_every_playback_is_logged(
    context: Context, clock: FixedClock
) -> None:
    me = customer(context)
    audio = wav(1.0)
    call_id = _call(context, me.subject_id)
    segment_id = _segment(context, call_id, 0, 1000, audio=audio)
    with context.unit_of_work() as uow, pytest.raises(NotPermitted):
        context.calls.play(uow, AGENT, call_id, segment_id)
    assert _count(context, call_recording_playbacks) == 0
    for _ in range(2):
        clock.advance(timedelta(minutes=1))
        with context.unit_of_work() as uow:
            played = context.calls.play(uow, LEAD, call_id, segment_id)
        assert played.audio == audio and played.media_type == "audio/wav"
    with context.unit_of_work() as uow:
        log = context.calls.call(uow, AGENT, call_id).playbacks
    assert [(entry.segment_id, entry.actor) for entry in log] == [(segment_id, LEAD.actor)] * 2
    assert log[1].played_at == clock.now()
    clock.advance(PLAYBACK_WINDOW / 2)  # the player asks again for the same playback
    with context.unit_of_work() as uow:
        context.calls.play(uow, LEAD, call_id, segment_id)
    with context.unit_of_work() as uow:
        assert len(context.calls.call(uow, AGENT, call_id).playbacks) == 2
    context.access_log.flush()
    with context.engine.connect() as connection:
        reads = connection.execute(
            select(func.count()).where(
                access_log.c.actor == LEAD.actor,
                access_log.c.activity == "call_recording",
                access_log.c.operation == "read",
            )
        ).scalar_one()
    assert reads == 3  # every request is in the access log


def test_l28_the_recording_is_in_the_persons_access_export_as_a_wav_file(
    context: Context, clock: FixedClock
) -> None:
    me = customer(context)
    audio = wav(1.5)
    call_id = _call(context, me.subject_id, holds=(Hold("hold", 2_000, 3_000),))
    _segment(context, call_id, 0, 1500, audio=audio)
    with context.unit_of_work() as uow:
        context.calls.play(uow, LEAD, call_id, 1)
    with context.unit_of_work() as uow:
        data = SubjectExport(access=context.access).collect(
            uow, DataSubject(me.subject_id), me.subject_id
        )
    part = data.part("call_recording_segments")
    assert part is not None
    [row] = part.rows
    assert row["audio"] == "(file call_recording_segments/1-audio.wav)"
    assert dict(part.files) == {"call_recording_segments/1-audio.wav": audio}
    [call] = _part(data, "support_calls").rows
    assert call["choice"] == RECORD and call["actor"] == "staff:support"  # by role only
    [played] = _part(data, "call_recording_playbacks").rows
    assert played["actor"] == "staff:support_lead"
    assert data.part("support_call_holds") is not None
    archive = zipfile.ZipFile(
        io.BytesIO(
            access_zip(data, context.policy, lang="nl", generated_at=clock.now(), kind="access")
        )
    )
    assert archive.read("files/call_recording_segments/1-audio.wav") == audio


def test_l28_the_recordings_are_gone_after_the_persons_erasure(context: Context) -> None:
    me, other = customer(context), customer(context)
    for person in (me, other):
        call_id = _call(context, person.subject_id, holds=(Hold("hold", 5_000, 6_000),))
        segment_id = _segment(context, call_id, 0, 1000)
        with context.unit_of_work() as uow:
            context.calls.play(uow, LEAD, call_id, segment_id)
    for table in TABLES:
        assert _count(context, table, subject_id=me.subject_id) == 1, table.name
    with context.unit_of_work() as uow:
        context.erasure.erase(uow, OFFICER, me.subject_id, ground="art. 17(1)(a)")
    for table in TABLES:
        assert _count(context, table, subject_id=me.subject_id) == 0, table.name
        assert _count(context, table, subject_id=other.subject_id) == 1, table.name


def test_l28_segments_are_deleted_after_30_days_except_under_an_open_request(
    context: Context, clock: FixedClock
) -> None:
    me, asking = customer(context), customer(context)
    mine = _call(context, me.subject_id)
    theirs = _call(context, asking.subject_id)
    _segment(context, mine, 0, 1000)
    segment_id = _segment(context, theirs, 0, 1000)
    with context.unit_of_work() as uow:
        context.calls.play(uow, LEAD, theirs, segment_id)
        context.requests.file_by_staff(
            uow,
            OFFICER,
            email=asking.email,
            kind=RequestKind.ACCESS,
            text="Alles wat u van mij hebt.",
            identity_check="teruggebeld op het nummer van het account",
        )

    # one rule of the retention sweep (issue 13): kept 30 days, gone the moment after
    def purged() -> int:
        report = context.retention.sweep(context.unit_of_work)
        recording = report.counts.get("call_recording", {})
        return recording.get("call_recording_segments", {}).get("deleted", 0)

    clock.advance(timedelta(days=30))
    assert purged() == 0
    clock.advance(timedelta(seconds=1))
    assert purged() == 1  # mine; theirs is held by the request
    assert _count(context, call_recording_segments, subject_id=me.subject_id) == 0
    assert _count(context, call_recording_segments, subject_id=asking.subject_id) == 1
    # the call and the playback log stay: who listened remains known (L28)
    assert _count(context, support_calls) == 2
    assert _count(context, call_recording_playbacks, call_id=theirs) == 1
    with context.unit_of_work() as uow:
        detail = context.calls.call(uow, AGENT, mine)
    assert detail.segments == () and len(detail.playbacks) == 0


def test_l26_a_person_who_objected_to_recording_is_never_recorded(context: Context) -> None:
    me = customer(context)
    call_id = _call(context, me.subject_id)
    with context.unit_of_work() as uow:
        context.objections.object(uow, DataSubject(me.subject_id), me.subject_id, "call_recording")
    with pytest.raises(AccessDenied):  # the guard: the objection stops the processing
        _segment(context, call_id, 0, 1000)
    with pytest.raises(RecordingRefused):  # a new call cannot be logged as "record"
        _call(context, me.subject_id)
    assert _call(context, me.subject_id, DO_NOT_RECORD) > call_id  # "do not record" can
    assert _count(context, call_recording_segments) == 0
    assert _count(context, support_calls, choice=RECORD) == 1


def test_l28_an_ogg_opus_recording_is_played_and_exported_as_ogg(context: Context) -> None:
    me = customer(context)
    recording = opus(2.0)
    call_id = _call(context, me.subject_id)
    segment_id = _segment(context, call_id, 0, 2000, audio=recording)
    with context.unit_of_work() as uow:
        played = context.calls.play(uow, LEAD, call_id, segment_id)
    assert played.audio == recording and played.media_type == "audio/ogg"
    with context.unit_of_work() as uow:
        data = SubjectExport(access=context.access).collect(
            uow, DataSubject(me.subject_id), me.subject_id
        )
    part = _part(data, "call_recording_segments")
    assert dict(part.files) == {"call_recording_segments/1-audio.ogg": recording}
