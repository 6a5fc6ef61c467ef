"""The rules of recording support calls (P7; LEGAL L26-L28), pure: the caller's choice, hold
and transfer intervals that no segment may overlap, the times of a call as agents type them,
and the check of an upload by its content (a PCM RIFF/WAVE file, at most 50 MiB).

    choice      record | do_not_record: a refusal is final (the policy: ``overridable:
                false``); nothing turns it back into "record"
    intervals   half-open [start, end) in milliseconds from the call's start: a segment may
                end where a hold starts, never run into it (L27)
    audio       ``check_audio``: by its bytes, never the claimed type: a PCM RIFF/WAVE file
                (read by the standard library's ``wave``) or Ogg Opus (RFC 3533 pages,
                RFC 7845 ``OpusHead``, the length from the last page's granule position);
                too large 413, neither 415, broken 422
    channels    a two-channel recording keeps the parties apart: the first (left) channel
                is the customer's, the second (right) the agent's (``CUSTOMER_CHANNEL``; as
                a PBX writes a call with the parties unmixed, e.g. Asterisk MixMonitor's
                ``D`` option: the channel's own audio first). An access answer mutes the
                agent's (render.redaction, art. 15(4)); one channel is both voices mixed
"""

from __future__ import annotations

import hashlib
import io
import re
import wave
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "CHOICES",
    "CUSTOMER_CHANNEL",
    "DO_NOT_RECORD",
    "HOLD_KINDS",
    "MAX_AUDIO_BYTES",
    "RECORD",
    "SLACK_MS",
    "AudioInfo",
    "AudioInvalid",
    "CallFieldInvalid",
    "Hold",
    "audio_extension",
    "check_audio",
    "check_opus",
    "check_wav",
    "notice_sha256",
    "overlaps",
    "parse_holds",
    "parse_offset",
]

CUSTOMER_CHANNEL = 0  # of a two-channel recording: the customer's; the other is the agent's
RECORD = "record"  # the caller agreed after the announcement (L26)
DO_NOT_RECORD = "do_not_record"  # the caller refused: final, nothing of the call is recorded
CHOICES = (RECORD, DO_NOT_RECORD)
HOLD_KINDS = ("hold", "transfer")  # L27: the recording pauses for both
MAX_AUDIO_BYTES = 50 * 1024 * 1024
# the audio may last this much longer than the stretch it is uploaded for (frame rounding)
SLACK_MS = 1000
_WAV = "audio/wav"
_OGG = "audio/ogg"
# RFC 7845 §4: the granule position of Ogg Opus counts 48 kHz samples, whatever the input rate
_OPUS_RATE = 48_000


class CallFieldInvalid(ValueError):
    """A value of a call as typed (a time, an interval) that the rules refuse."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


class AudioInvalid(ValueError):
    """An upload that is no audio file we take; ``status`` says why (413, 415 or 422)."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.message, self.status = message, status


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """What the content check found: the media type and how long the sound lasts."""

    media_type: str
    duration_ms: int
    channels: int
    rate: int


@dataclass(frozen=True, slots=True)
class Hold:
    """A hold or transfer interval of a call, in milliseconds from its start."""

    kind: str
    start_ms: int
    end_ms: int


def notice_sha256(text: str) -> str:
    """The SHA-256 (hex) of an announcement's text, as stored with the call (L26)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_OFFSET = re.compile(r"^(?:(\d{1,2}):)?(\d{1,3}):([0-5]\d)(?:[.,](\d{1,3}))?$|^(\d{1,6})$")


def parse_offset(text: str, field: str) -> int:
    """``m:ss``, ``h:mm:ss`` (optionally ``.mmm``) or whole seconds → milliseconds;
    CallFieldInvalid(field) otherwise."""
    found = _OFFSET.match(text.strip())
    if found is None:
        raise CallFieldInvalid(field, "not a time in the call such as 2:05 or 1:02:05")
    hours, minutes, seconds, fraction, whole = found.groups()
    if whole is not None:
        return int(whole) * 1000
    millis = int((fraction or "0").ljust(3, "0"))
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + millis


def parse_holds(text: str | None, field: str = "holds") -> list[Hold]:
    """Intervals such as ``hold 2:10-3:05, transfer 5:00-5:30`` (the kind defaults to hold);
    CallFieldInvalid(field) for anything else."""
    holds: list[Hold] = []
    for part in re.split(r"[,;\n]+", text or ""):
        words = part.split()
        if not words:
            continue
        kind = "hold"
        if words[0].lower() in HOLD_KINDS:
            kind = words.pop(0).lower()
        span = "".join(words)
        if span.count("-") != 1:
            raise CallFieldInvalid(field, "write each interval as 'hold 2:10-3:05'")
        start, end = (parse_offset(piece, field) for piece in span.split("-"))
        holds.append(_hold(kind, start, end, field))
    return holds


def _hold(kind: str, start_ms: int, end_ms: int, field: str) -> Hold:
    if kind not in HOLD_KINDS:
        raise CallFieldInvalid(field, "a hold or a transfer")
    if start_ms < 0 or end_ms <= start_ms:
        raise CallFieldInvalid(field, "an interval ends after it starts")
    return Hold(kind, start_ms, end_ms)


def overlaps(start_ms: int, end_ms: int, intervals: Iterable[tuple[int, int]]) -> bool:
    """Whether [start, end) shares any time with one of ``intervals`` (half-open: a segment
    may end where a hold starts)."""
    return any(
        start_ms < other_end and other_start < end_ms for other_start, other_end in intervals
    )


def check_wav(data: bytes) -> AudioInfo:
    """The audio's facts when ``data`` is a PCM RIFF/WAVE file of at most 50 MiB, read by its
    content (never by the claimed type); AudioInvalid (413, 415 or 422) otherwise."""
    if not data:
        raise AudioInvalid("no file was sent", status=422)
    if len(data) > MAX_AUDIO_BYTES:
        raise AudioInvalid(f"the file is larger than {MAX_AUDIO_BYTES} bytes", status=413)
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioInvalid("the file is neither a WAV nor an Ogg Opus audio file", status=415)
    try:
        with wave.open(io.BytesIO(data), "rb") as sound:
            channels, width = sound.getnchannels(), sound.getsampwidth()
            rate, frames = sound.getframerate(), sound.getnframes()
            body = sound.readframes(frames)
    except (wave.Error, EOFError, ValueError) as error:
        raise AudioInvalid(f"the WAV file cannot be read: {error}", status=422) from None
    if frames == 0 or rate == 0:
        raise AudioInvalid("the WAV file holds no sound", status=422)
    if len(body) != frames * channels * width:
        raise AudioInvalid("the WAV file is cut off", status=422)
    return AudioInfo(_WAV, frames * 1000 // rate, channels, rate)


def check_audio(data: bytes) -> AudioInfo:
    """The audio's facts when ``data`` is a WAV or an Ogg Opus file of at most 50 MiB, read by
    its content; AudioInvalid (413, 415 or 422) otherwise."""
    if data[:4] == b"OggS":
        return check_opus(data)
    return check_wav(data)


def audio_extension(data: bytes) -> str:
    """The file extension of stored audio, by its content: ``ogg`` or ``wav``."""
    return "ogg" if data[:4] == b"OggS" else "wav"


def check_opus(data: bytes) -> AudioInfo:
    """The facts of an Ogg Opus file (RFC 3533, RFC 7845), walked page by page; AudioInvalid
    when it is no Ogg Opus, is cut off or holds no sound."""
    if len(data) > MAX_AUDIO_BYTES:
        raise AudioInvalid(f"the file is larger than {MAX_AUDIO_BYTES} bytes", status=413)
    pages = list(_ogg_pages(data))
    first_body = pages[0][2] if pages else b""
    if not first_body.startswith(b"OpusHead") or len(first_body) < 19:
        raise AudioInvalid("the Ogg file holds no Opus audio", status=415)
    channels = first_body[9]
    pre_skip = int.from_bytes(first_body[10:12], "little")
    flags, granule, _body = pages[-1]
    if not flags & 0x04:  # RFC 3533 §6: the last page of a stream carries end-of-stream
        raise AudioInvalid("the Ogg file is cut off", status=422)
    if granule <= pre_skip or channels == 0:
        raise AudioInvalid("the Ogg file holds no sound", status=422)
    return AudioInfo(_OGG, (granule - pre_skip) * 1000 // _OPUS_RATE, channels, _OPUS_RATE)


def _ogg_pages(data: bytes) -> Iterable[tuple[int, int, bytes]]:
    """(header flags, granule position, body) of each page; AudioInvalid at a broken page."""
    at = 0
    while at < len(data):
        header = data[at : at + 27]
        if len(header) < 27 or header[:4] != b"OggS" or header[4] != 0:
            raise AudioInvalid("the Ogg file is cut off or damaged", status=422)
        count = header[26]
        table = data[at + 27 : at + 27 + count]
        size = sum(table)
        body = data[at + 27 + count : at + 27 + count + size]
        if len(table) < count or len(body) < size:
            raise AudioInvalid("the Ogg file is cut off", status=422)
        yield header[5], int.from_bytes(header[6:14], "little", signed=True), body
        at += 27 + count + size
