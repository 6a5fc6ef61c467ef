"""Support calls and their recordings (issue 12 item 2, P7, L26-L28).

    log_call      the agent logs a call: whose, the announcement given (the policy's notice of
                  call_recording: its language and SHA-256), the caller's choice and when
                  (L26); hold and transfer times with it (L27)
    refuse        the caller says no later in the call: the choice becomes do_not_record and
                  the segments recorded so far are deleted; a refusal is final (the policy:
                  ``overridable: false``), nothing turns it back into "record"
    add_hold      a hold or transfer interval: never overlapping a recorded segment
    add_segment   one recorded stretch: refused (409) when the caller said no, refused (422)
                  when it overlaps a hold or transfer or another segment, or when the audio
                  lasts longer than the stretch; the audio is checked by its content (a PCM
                  WAV or an Ogg Opus file, at most 50 MiB) and encrypted with the subject's key
    play          only a support team leader; each playback access-logged and kept in
                  call_recording_playbacks (who, which segment, when), shown on the call page
    (retention)   the policy's 30 days from recording are a rule of the retention sweep
                  (services.retention, issue 13), which honours an open request's hold

Every read and write of the person's data goes through ``SubjectAccess`` under
``call_recording`` (the call itself under ``support_desk``). Bad input raises before the
write transaction opens, or inside it (the whole call rolls back): nothing is half stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from privaat.domain.call_recording import (
    CHOICES,
    DO_NOT_RECORD,
    RECORD,
    SLACK_MS,
    AudioInvalid,
    Hold,
    check_audio,
    notice_sha256,
    overlaps,
)
from privaat.domain.clock import Clock
from privaat.domain.principal import StaffMember, StaffRole
from privaat.domain.support_cases import find_reference
from privaat.policy.period import Period
from privaat.policy.schema import Policy
from privaat.services.contact_fields import normalise_email
from privaat.services.errors import (
    Conflict,
    DataWithheld,
    InvalidField,
    NotPermitted,
    ServiceError,
)
from privaat.services.notifier import Notifier
from privaat.services.subject_access import Operation, SubjectAccess
from privaat.store.audit import AuditTrail
from privaat.store.key_store import KeyStore
from privaat.store.tables import accounts
from privaat.store.tables_calls import (
    call_recording_playbacks,
    call_recording_segments,
    support_call_holds,
    support_calls,
)
from privaat.store.tables_support import support_cases
from privaat.store.unit_of_work import UnitOfWork

__all__ = [
    "DESK",
    "PLAYBACK_WINDOW",
    "RECORDING",
    "AudioRefused",
    "CallDetail",
    "CallNotFound",
    "CallRecordings",
    "CallRow",
    "Playback",
    "PlaybackEntry",
    "RecordingRefused",
    "SegmentInfo",
    "SegmentNotFound",
]

DESK = "support_desk"
RECORDING = "call_recording"
_AUDIO_FIELD = "call_recording_segments.audio"
PLAYBACK_WINDOW = timedelta(seconds=30)


class CallNotFound(ServiceError):
    """No call with that id."""

    def __init__(self) -> None:
        super().__init__("no such call")


class SegmentNotFound(ServiceError):
    """No segment with that id in the call (or it was deleted after its 30 days)."""

    def __init__(self) -> None:
        super().__init__("no such recording segment")


class RecordingRefused(Conflict):
    """The caller said "do not record" (L26), or objected to recording before: nothing of
    this call is recorded, ever."""

    def __init__(self) -> None:
        super().__init__("the caller refused the recording of this call; nothing is stored")


class AudioRefused(InvalidField):
    """The upload is no audio file we take (checked by its content), or too large; ``status``
    is the HTTP status a web layer answers with (413, 415 or 422)."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__("audio", message)
        self.status = status


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    """A recorded segment as the call page lists it (no audio)."""

    id: int
    start_ms: int
    end_ms: int
    recorded_at: datetime
    deleted_after: datetime
    media_type: str
    size: int


@dataclass(frozen=True, slots=True)
class PlaybackEntry:
    """One playback: which segment, who (``staff:<id>:<role>``), when."""

    segment_id: int
    actor: str
    played_at: datetime


@dataclass(frozen=True, slots=True)
class CallRow:
    """A call in the console's list: no name, no number."""

    id: int
    started_at: datetime
    choice: str
    segments: int


@dataclass(frozen=True, slots=True)
class CallDetail:
    """A call with its announcement, choice, holds, segments and playback log."""

    id: int
    pseudonym: str
    case_id: int | None
    case_reference: str | None  # the support case's "SC-…", when the call has one
    actor: str
    started_at: datetime
    ended_at: datetime | None
    notice_language: str
    notice_current: bool  # the stored SHA-256 is that of the policy's notice as it reads now
    choice: str
    choice_at: datetime
    holds: tuple[Hold, ...]
    segments: tuple[SegmentInfo, ...]
    playbacks: tuple[PlaybackEntry, ...]


@dataclass(frozen=True, slots=True)
class Playback:
    """A segment's audio, decrypted for one logged playback."""

    audio: bytes
    media_type: str


# --- the service ----------------------------------------------------------------------------


class CallRecordings:
    """Calls with the announcement and the caller's choice; encrypted segments; logged playback."""

    activities: frozenset[str] = frozenset({"call_recording"})

    def __init__(
        self,
        *,
        access: SubjectAccess,
        keys: KeyStore,
        policy: Policy,
        clock: Clock,
        notifier: Notifier,
        base_url: str,
    ) -> None:
        self._access, self._keys, self._policy, self._clock = access, keys, policy, clock
        self._notifier, self._base_url = notifier, base_url

    @property
    def enabled(self) -> bool:
        """Whether the policy declares call_recording (another provider's may not)."""
        return any(activity.id == RECORDING for activity in self._policy.activities)

    # --- the announcement -----------------------------------------------------------------

    def notice(self, language: str) -> str:
        """The announcement the agent reads out (the policy's notice of call_recording)."""
        text = self._policy.activity(RECORDING).notice
        if text is None:  # the policy must announce a recording (L26); the loader's check
            raise NotPermitted("the policy gives no announcement for call_recording")
        return text.in_language(language)

    def retention(self) -> Period:
        """How long a segment is kept from its recording (the policy's call_recording)."""
        return self._policy.activity(RECORDING).retention.period

    # --- finding the caller ---------------------------------------------------------------

    def subject_by_email(self, uow: UnitOfWork, email: str) -> int:
        """The subject whose account has ``email``; InvalidField("email") when none has."""
        try:
            address = normalise_email(email.strip())
        except ValueError as error:
            raise InvalidField("email", str(error)) from None
        index = self._keys.cached_blind_index
        if index is None:  # the first use may create the index key: a write
            with uow.writing() as connection:
                index = self._keys.blind_index(connection)
        with uow.reading() as connection:
            subject_id = connection.execute(
                select(accounts.c.subject_id).where(accounts.c.email_bidx == index.email(address))
            ).scalar()
        if subject_id is None:
            raise InvalidField("email", "no account has this e-mail address")
        return int(subject_id)

    def subject_by_case(self, uow: UnitOfWork, reference: str) -> tuple[int, int]:
        """The subject and id of the support case ``reference`` ("SC-…"); InvalidField("email")
        (the form's one field for the caller) when no case has it."""
        found = find_reference(reference.strip())
        row = None
        if found is not None:
            with uow.reading() as connection:
                row = connection.execute(
                    select(support_cases.c.subject_id, support_cases.c.id).where(
                        support_cases.c.reference == found
                    )
                ).first()
        if row is None:
            raise InvalidField("email", "no support case has this reference")
        return int(row[0]), int(row[1])

    def caller(self, uow: UnitOfWork, given: str) -> tuple[int, int | None]:
        """The subject (and case, if one is named) of what the agent typed: an account's
        e-mail address or a case reference."""
        if "@" in given:
            return self.subject_by_email(uow, given), None
        return self.subject_by_case(uow, given)

    # --- writing --------------------------------------------------------------------------

    def log_call(
        self,
        uow: UnitOfWork,
        staff: StaffMember,
        *,
        subject_id: int,
        language: str,
        choice: str,
        case_id: int | None = None,
        started_at: datetime | None = None,
        ended_at: datetime | None = None,
        holds: Sequence[Hold] = (),
    ) -> int:
        """Log a call after the announcement in ``language`` and the caller's ``choice``
        (L26); its hold and transfer times with it (L27). Returns the call's id."""
        if choice not in CHOICES:
            raise InvalidField("choice", "say whether the caller agreed to the recording")
        if language not in ("nl", "en"):
            raise InvalidField("language", "nl or en")
        now = self._clock.now()
        started = started_at or now
        if started > now:
            raise InvalidField("started_at", "the call cannot start in the future")
        if ended_at is not None and ended_at < started:
            raise InvalidField("ended_at", "the call ends after it starts")
        digest = notice_sha256(self.notice(language))
        with uow.writing() as connection:
            self._access.open(connection, staff, subject_id, DESK, operation=Operation.WRITE)
            if (
                choice == RECORD
                and not self._access.decide(connection, staff, subject_id, RECORDING).allowed
            ):
                # e.g. an objection to call_recording (art. 21): final, never overridden
                raise RecordingRefused()
            call_id: int = connection.execute(
                insert(support_calls)
                .values(
                    subject_id=subject_id,
                    case_id=case_id,
                    actor=staff.actor,
                    started_at=started,
                    ended_at=ended_at,
                    notice_language=language,
                    notice_sha256=digest,
                    choice=choice,
                    choice_at=now,
                )
                .returning(support_calls.c.id)
            ).scalar_one()
            for hold in holds:
                self._insert_hold(connection, call_id, subject_id, hold, now)
        return call_id

    def refuse(self, uow: UnitOfWork, staff: StaffMember, call_id: int) -> int:
        """The caller refuses the recording later in the call: the choice becomes
        do_not_record for good and the segments recorded so far are deleted (art. 21, with
        no compelling grounds: the policy's ``overridable: false``). Returns how many."""
        with uow.writing() as connection:
            call = self._call(connection, call_id)
            opened = self._access.open(
                connection, staff, call["subject_id"], RECORDING, operation=Operation.ERASE
            )
            now = self._clock.now()
            if call["choice"] != DO_NOT_RECORD:
                connection.execute(
                    update(support_calls)
                    .where(support_calls.c.id == call_id)
                    .values(choice=DO_NOT_RECORD, choice_at=now)
                )
            gone = int(
                connection.execute(
                    delete(call_recording_segments).where(
                        call_recording_segments.c.call_id == call_id
                    )
                ).rowcount
                or 0
            )
            AuditTrail.append(
                connection,
                at=now,
                actor=staff.actor,
                action="calls.recording_refused",
                subject_pseudonym=opened.pseudonym,
                detail={"call": call_id, "segments_deleted": gone},
            )
        return gone

    def add_hold(self, uow: UnitOfWork, staff: StaffMember, call_id: int, hold: Hold) -> None:
        """Record a hold or transfer interval; InvalidField when a segment covers part of it
        (L27: hold time is never inside a recording)."""
        with uow.writing() as connection:
            call = self._call(connection, call_id)
            self._access.open(
                connection, staff, call["subject_id"], RECORDING, operation=Operation.WRITE
            )
            if overlaps(hold.start_ms, hold.end_ms, self._segment_spans(connection, call_id)):
                raise InvalidField("holds", "a recorded segment covers part of this interval")
            self._insert_hold(connection, call_id, call["subject_id"], hold, self._clock.now())

    def add_segment(
        self,
        uow: UnitOfWork,
        staff: StaffMember,
        call_id: int,
        *,
        start_ms: int,
        end_ms: int,
        audio: bytes,
        holds: Sequence[Hold] = (),
    ) -> int:
        """Store one recorded stretch of the call, encrypted with the subject's key; first
        any further ``holds`` of the call. RecordingRefused (the caller said no), AudioRefused
        (not a WAV, too large), InvalidField (overlaps a hold, a transfer or a segment; audio
        longer than the stretch). Returns the segment's id."""
        if start_ms < 0 or end_ms <= start_ms:
            raise InvalidField("end", "a segment ends after it starts")
        try:  # before any transaction: a refused file touches nothing
            info = check_audio(audio)
        except AudioInvalid as invalid:
            raise AudioRefused(invalid.message, status=invalid.status) from None
        if info.duration_ms > end_ms - start_ms + SLACK_MS:
            raise InvalidField("end", "the audio lasts longer than this segment")
        now = self._clock.now()
        with uow.writing() as connection:
            call = self._call(connection, call_id)
            if call["choice"] != RECORD:
                raise RecordingRefused()
            subject_id = call["subject_id"]
            opened = self._access.open(
                connection, staff, subject_id, RECORDING, operation=Operation.WRITE
            )
            segments = self._segment_spans(connection, call_id)
            for hold in holds:
                if overlaps(hold.start_ms, hold.end_ms, segments):
                    raise InvalidField("holds", "a recorded segment covers part of this interval")
                self._insert_hold(connection, call_id, subject_id, hold, now)
            held = connection.execute(
                select(support_call_holds.c.start_ms, support_call_holds.c.end_ms).where(
                    support_call_holds.c.call_id == call_id
                )
            ).all()
            if overlaps(start_ms, end_ms, [(row[0], row[1]) for row in held]):
                raise InvalidField("start", "the segment overlaps a hold or transfer")
            if overlaps(start_ms, end_ms, segments):
                raise InvalidField("start", "the segment overlaps another segment")
            segment_id: int = connection.execute(
                insert(call_recording_segments)
                .values(
                    call_id=call_id,
                    subject_id=subject_id,
                    start_ms=start_ms,
                    end_ms=end_ms,
                    recorded_at=now,
                    media_type=info.media_type,
                    size=len(audio),
                    audio_enc=opened.cipher.encrypt_bytes(_AUDIO_FIELD, audio),
                )
                .returning(call_recording_segments.c.id)
            ).scalar_one()
        return segment_id

    # --- reading --------------------------------------------------------------------------

    def calls(
        self, uow: UnitOfWork, *, limit: int = 200, case_reference: str | None = None
    ) -> list[CallRow]:
        """The latest calls (of one support case, if given), newest first: times, choice and
        segment count; nobody named."""
        count = (
            select(func.count())
            .where(call_recording_segments.c.call_id == support_calls.c.id)
            .scalar_subquery()
        )
        query = select(
            support_calls.c.id, support_calls.c.started_at, support_calls.c.choice, count
        )
        if case_reference is not None:
            query = query.join(support_cases, support_cases.c.id == support_calls.c.case_id).where(
                support_cases.c.reference == case_reference
            )
        with uow.reading() as connection:
            rows = connection.execute(
                query.order_by(support_calls.c.started_at.desc(), support_calls.c.id.desc()).limit(
                    limit
                )
            ).all()
        return [CallRow(row[0], row[1], row[2], int(row[3])) for row in rows]

    def call(self, uow: UnitOfWork, staff: StaffMember, call_id: int) -> CallDetail:
        """The call, read through the seam under call_recording (access-logged)."""
        retention = self.retention()
        with uow.reading() as connection:
            call = self._call(connection, call_id)
            opened = self._access.open(connection, staff, call["subject_id"], RECORDING)
            case_reference = connection.execute(
                select(support_cases.c.reference).where(support_cases.c.id == call["case_id"])
            ).scalar()
            holds = connection.execute(
                select(
                    support_call_holds.c.kind,
                    support_call_holds.c.start_ms,
                    support_call_holds.c.end_ms,
                )
                .where(support_call_holds.c.call_id == call_id)
                .order_by(support_call_holds.c.start_ms)
            ).all()
            segments = connection.execute(
                select(
                    call_recording_segments.c.id,
                    call_recording_segments.c.start_ms,
                    call_recording_segments.c.end_ms,
                    call_recording_segments.c.recorded_at,
                    call_recording_segments.c.media_type,
                    call_recording_segments.c.size,
                )
                .where(call_recording_segments.c.call_id == call_id)
                .order_by(call_recording_segments.c.start_ms)
            ).all()
            playbacks = connection.execute(
                select(
                    call_recording_playbacks.c.segment_id,
                    call_recording_playbacks.c.actor,
                    call_recording_playbacks.c.played_at,
                )
                .where(call_recording_playbacks.c.call_id == call_id)
                .order_by(call_recording_playbacks.c.played_at, call_recording_playbacks.c.id)
            ).all()
        language = call["notice_language"]
        return CallDetail(
            id=call_id,
            pseudonym=opened.pseudonym,
            case_id=call["case_id"],
            case_reference=case_reference,
            actor=call["actor"],
            started_at=call["started_at"],
            ended_at=call["ended_at"],
            notice_language=language,
            notice_current=call["notice_sha256"] == notice_sha256(self.notice(language)),
            choice=call["choice"],
            choice_at=call["choice_at"],
            holds=tuple(Hold(row[0], row[1], row[2]) for row in holds),
            segments=tuple(
                SegmentInfo(row[0], row[1], row[2], row[3], retention.after(row[3]), row[4], row[5])
                for row in segments
            ),
            playbacks=tuple(PlaybackEntry(row[0], row[1], row[2]) for row in playbacks),
        )

    def play(self, uow: UnitOfWork, staff: StaffMember, call_id: int, segment_id: int) -> Playback:
        """A segment's audio for a support team leader (L28), decrypted under call_recording;
        every request is access-logged, and the playback kept in the call's playback log (the
        requests of one leader for one segment within ``PLAYBACK_WINDOW`` are one playback:
        a browser's player asks for the file more than once)."""
        if staff.role is not StaffRole.SUPPORT_LEAD:  # the role table's backstop
            raise NotPermitted("only a support team leader plays a recording")
        with uow.writing() as connection:
            row = connection.execute(
                select(
                    call_recording_segments.c.subject_id,
                    call_recording_segments.c.media_type,
                    call_recording_segments.c.audio_enc,
                ).where(
                    call_recording_segments.c.id == segment_id,
                    call_recording_segments.c.call_id == call_id,
                )
            ).first()
            if row is None:
                raise SegmentNotFound()
            subject_id, media_type, blob = row
            opened = self._access.open(connection, staff, subject_id, RECORDING)
            if opened.withholds(_AUDIO_FIELD):  # art. 18: a restricted category stays shut
                raise DataWithheld(_AUDIO_FIELD)
            audio = opened.cipher.decrypt_bytes(_AUDIO_FIELD, blob)
            now = self._clock.now()
            log = call_recording_playbacks.c
            just_played = connection.execute(
                select(log.id).where(
                    log.segment_id == segment_id,
                    log.actor == staff.actor,
                    log.played_at > now - PLAYBACK_WINDOW,
                )
            ).first()
            if just_played is None:  # a player's several requests for one playback: one row
                connection.execute(
                    insert(call_recording_playbacks).values(
                        call_id=call_id,
                        segment_id=segment_id,
                        subject_id=subject_id,
                        actor=staff.actor,
                        played_at=now,
                    )
                )
        return Playback(audio, media_type)

    # --- retention (L28) ------------------------------------------------------------------

    # --- the steps ------------------------------------------------------------------------

    def _call(self, connection: Connection, call_id: int) -> Any:
        call = connection.execute(
            select(support_calls).where(support_calls.c.id == call_id)
        ).first()
        if call is None:
            raise CallNotFound()
        return call._mapping

    def _segment_spans(self, connection: Connection, call_id: int) -> list[tuple[int, int]]:
        rows = connection.execute(
            select(call_recording_segments.c.start_ms, call_recording_segments.c.end_ms).where(
                call_recording_segments.c.call_id == call_id
            )
        ).all()
        return [(row[0], row[1]) for row in rows]

    def _insert_hold(
        self, connection: Connection, call_id: int, subject_id: int, hold: Hold, now: datetime
    ) -> None:
        connection.execute(
            insert(support_call_holds).values(
                call_id=call_id,
                subject_id=subject_id,
                kind=hold.kind,
                start_ms=hold.start_ms,
                end_ms=hold.end_ms,
                created_at=now,
            )
        )
