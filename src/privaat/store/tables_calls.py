"""Support calls and their recordings (issue 12 item 2, P7, L26-L28), on the shared metadata.

    support_calls               one call: when, the announcement given (its language and the
                                SHA-256 of the policy's notice text), the caller's choice and
                                when it was made (L26); under support_desk
    support_call_holds          hold and transfer intervals of a call, as offsets in the call
                                (L27: times only, never audio)
    call_recording_segments     each recorded stretch of a call: its offsets and the audio,
                                ciphertext under the subject's data key (``audio_enc``); kept
                                30 days from ``recorded_at`` (call_recording)
    call_recording_playbacks    every playback: which segment, by whom, when (L28); kept with
                                the call, also after the segment is deleted

Every table names the subject, so the registry's walks export the audio as a file of its own
(``info["file"]``), erase it (crypto-shredding, then the rows) and map it, with no list kept
by hand. Offsets are milliseconds from the call's start.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
)

from privaat.domain.call_recording import audio_extension
from privaat.store.registry import SubjectTable, personal, technical
from privaat.store.tables import UTC_TIME, _subject_fk, metadata

__all__ = [
    "call_recording_playbacks",
    "call_recording_segments",
    "support_call_holds",
    "support_calls",
]

DESK = "support_desk"
RECORDING = "call_recording"
_KEY = BigInteger().with_variant(Integer(), "sqlite")


def _call_fk() -> Column[int]:
    return technical(
        "call_id", _KEY, ForeignKey("support_calls.id", ondelete="CASCADE"), nullable=False
    )


def _offsets() -> tuple[Column[int], Column[int]]:
    return (
        personal("start_ms", Integer, nullable=False, activity=RECORDING, category=None),
        personal("end_ms", Integer, nullable=False, activity=RECORDING, category=None),
    )


def _as_file(column: Column[bytes], extension: Callable[[bytes], str]) -> Column[bytes]:
    # an access export hands this value over as the original file it is (L28)
    column.info["file"] = extension
    return column


support_calls = Table(
    "support_calls",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    _subject_fk(),
    # the support case the call belongs to, if any; the call outlives a case deleted after
    # its year (support_desk), and the recordings go after their own 30 days
    technical("case_id", _KEY, ForeignKey("support_cases.id", ondelete="SET NULL"), nullable=True),
    # the staff member who logged the call (``staff:<id>:<role>``; by role in an export)
    technical("actor", String(64), nullable=False),
    personal("started_at", UTC_TIME, nullable=False, activity=DESK, category=None),
    personal("ended_at", UTC_TIME, nullable=True, activity=DESK, category=None),
    # L26: the announcement as given: the policy notice's language and SHA-256 (hex)
    technical("notice_language", String(2), nullable=False),
    technical("notice_sha256", String(64), nullable=False),
    # L26: "record" or "do_not_record"; a refusal is final (services.call_recordings)
    personal("choice", String(16), nullable=False, activity=RECORDING, category="call_recordings"),
    personal("choice_at", UTC_TIME, nullable=False, activity=RECORDING, category=None),
    CheckConstraint("choice IN ('record', 'do_not_record')", name="choice"),
    Index("ix_support_calls_subject_id", "subject_id"),
    Index("ix_support_calls_started_at", "started_at"),
    info={"subject": SubjectTable("subject_id", clock="started_at")},
)

support_call_holds = Table(
    "support_call_holds",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    _call_fk(),
    _subject_fk(),
    technical("kind", String(16), nullable=False),  # "hold" or "transfer"
    *_offsets(),
    personal("created_at", UTC_TIME, nullable=False, activity=RECORDING, category=None),
    CheckConstraint("kind IN ('hold', 'transfer')", name="kind"),
    CheckConstraint("start_ms >= 0 AND end_ms > start_ms", name="interval"),
    Index("ix_support_call_holds_subject_id", "subject_id"),
    Index("ix_support_call_holds_call_id", "call_id"),
    info={"subject": SubjectTable("subject_id", clock="created_at")},
)

call_recording_segments = Table(
    "call_recording_segments",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    _call_fk(),
    _subject_fk(),
    *_offsets(),
    # the retention clock: P30D from collection (call_recording)
    personal("recorded_at", UTC_TIME, nullable=False, activity=RECORDING, category=None),
    technical("media_type", String(32), nullable=False),  # checked by content: audio/wav
    technical("size", Integer, nullable=False),
    _as_file(
        personal(
            "audio_enc",
            LargeBinary,
            nullable=False,
            activity=RECORDING,
            category="call_recordings",
        ),
        audio_extension,  # .wav or .ogg, by the file's own bytes
    ),
    CheckConstraint("start_ms >= 0 AND end_ms > start_ms", name="interval"),
    Index("ix_call_recording_segments_subject_id", "subject_id"),
    Index("ix_call_recording_segments_call_id", "call_id"),
    Index("ix_call_recording_segments_recorded_at", "recorded_at"),
    info={"subject": SubjectTable("subject_id", clock="recorded_at")},
)

call_recording_playbacks = Table(
    "call_recording_playbacks",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    _call_fk(),
    # no foreign key: the log outlives the segment, deleted after 30 days (L28)
    technical("segment_id", _KEY, nullable=False),
    _subject_fk(),
    technical("actor", String(64), nullable=False),  # the team leader who listened
    personal("played_at", UTC_TIME, nullable=False, activity=RECORDING, category=None),
    Index("ix_call_recording_playbacks_subject_id", "subject_id"),
    Index("ix_call_recording_playbacks_call_id", "call_id"),
    info={"subject": SubjectTable("subject_id", clock="played_at")},
)
