"""The pure rules of call recordings (issue 12 item 2; LEGAL L26-L28): the audio is checked by
its content, hold and transfer times never fall inside a segment, the call's times parse."""

from __future__ import annotations

import io
import wave

import pytest

from privaat.domain.call_recording import (
    MAX_AUDIO_BYTES,
    AudioInvalid,
    CallFieldInvalid,
    Hold,
    audio_extension,
    check_audio,
    check_wav,
    notice_sha256,
    overlaps,
    parse_holds,
    parse_offset,
)


def wav(seconds: float = 1.0, *, rate: int = 8000) -> bytes:
    """A real mono 16-bit PCM WAV of ``seconds``, written by the standard library."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(rate)
        sound.writeframes(b"\x01\x00" * int(seconds * rate))
    return buffer.getvalue()


def _page(flags: int, granule: int, body: bytes, sequence: int) -> bytes:
    # RFC 3533 §6: a page header, its segment table (lacing values) and the body; no CRC
    lacing = bytes([255] * (len(body) // 255) + [len(body) % 255])
    header = b"OggS" + bytes([0, flags]) + granule.to_bytes(8, "little", signed=True)
    header += (1).to_bytes(4, "little") + sequence.to_bytes(4, "little") + b"\x00" * 4
    return header + bytes([len(lacing)]) + lacing + body


def opus(seconds: float, *, end_of_stream: bool = True) -> bytes:
    """An Ogg Opus stream as RFC 7845 lays it out: OpusHead, OpusTags, one audio page whose
    granule position (48 kHz samples after a 312-sample pre-skip) gives its length."""
    head = b"OpusHead" + bytes([1, 1]) + (312).to_bytes(2, "little") + (8000).to_bytes(4, "little")
    head += b"\x00\x00\x00"
    tags = b"OpusTags" + (4).to_bytes(4, "little") + b"test" + (0).to_bytes(4, "little")
    samples = 312 + int(seconds * 48_000)
    return (
        _page(0x02, 0, head, 0)
        + _page(0x00, 0, tags, 1)
        + _page(0x04 if end_of_stream else 0x00, samples, b"\xfc\xff\xfe" * 100, 2)
    )


def test_an_ogg_opus_file_passes_with_its_duration() -> None:
    info = check_audio(opus(3.0))
    assert (info.media_type, info.duration_ms, info.channels) == ("audio/ogg", 3000, 1)
    assert audio_extension(opus(1.0)) == "ogg" and audio_extension(wav(1.0)) == "wav"


@pytest.mark.parametrize(
    ("data", "status"),
    [
        pytest.param(opus(1.0, end_of_stream=False), 422, id="no-end-of-stream"),
        pytest.param(opus(1.0)[:-50], 422, id="cut-off"),
        pytest.param(_page(0x02, 0, b"\x01vorbis" + b"\x00" * 30, 0), 415, id="vorbis"),
        pytest.param(b"OggS\x00" + b"\x00" * 10, 422, id="short-header"),
    ],
)
def test_l28_a_broken_or_other_ogg_is_refused(data: bytes, status: int) -> None:
    with pytest.raises(AudioInvalid) as refused:
        check_audio(data)
    assert refused.value.status == status


def test_a_real_wav_passes_with_its_duration() -> None:
    info = check_wav(wav(2.5))
    assert (info.media_type, info.duration_ms, info.channels, info.rate) == (
        "audio/wav",
        2500,
        1,
        8000,
    )


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"", 422),
        (b"ID3\x04\x00" + b"\x00" * 100, 415),  # an MP3 claiming to be a WAV
        (b"<html>not audio</html>" * 4, 415),
        (b"RIFF\x10\x00\x00\x00AVI LIST", 415),  # RIFF, but a video
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", 422),  # RIFF/WAVE header, then nothing readable
    ],
    ids=["empty", "mp3", "html", "avi", "broken-wave"],
)
def test_l28_a_fake_wav_is_refused_by_its_content(data: bytes, status: int) -> None:
    with pytest.raises(AudioInvalid) as refused:
        check_wav(data)
    assert refused.value.status == status


def test_l28_a_cut_off_wav_is_refused() -> None:
    whole = wav(1.0)
    with pytest.raises(AudioInvalid) as refused:
        check_wav(whole[: len(whole) // 2])
    assert refused.value.status == 422


def test_l28_an_over_size_file_is_refused_before_it_is_parsed() -> None:
    header = wav(0.1)
    with pytest.raises(AudioInvalid) as refused:
        check_wav(header + b"\x00" * (MAX_AUDIO_BYTES - len(header) + 1))
    assert refused.value.status == 413


def test_l27_overlap_is_half_open() -> None:
    holds = [(10_000, 20_000)]
    assert overlaps(5_000, 10_001, holds)
    assert overlaps(12_000, 13_000, holds)  # inside
    assert overlaps(0, 30_000, holds)  # around
    assert not overlaps(0, 10_000, holds)  # ends where the hold starts
    assert not overlaps(20_000, 25_000, holds)  # starts where it ends


def test_call_offsets_parse() -> None:
    assert parse_offset("2:05", "start") == 125_000
    assert parse_offset("1:02:05", "start") == 3_725_000
    assert parse_offset("0:07.5", "start") == 7_500
    assert parse_offset("95", "start") == 95_000
    with pytest.raises(CallFieldInvalid) as refused:
        parse_offset("two minutes", "end")
    assert refused.value.field == "end"


def test_l27_hold_and_transfer_intervals_parse() -> None:
    assert parse_holds("hold 2:10-3:05, transfer 5:00 - 5:30\n6:00-6:10") == [
        Hold("hold", 130_000, 185_000),
        Hold("transfer", 300_000, 330_000),
        Hold("hold", 360_000, 370_000),
    ]
    assert parse_holds("") == [] and parse_holds(None) == []
    for bad in ("hold 3:05-2:10", "hold 2:10", "pause 1:00-2:00"):
        with pytest.raises(CallFieldInvalid):
            parse_holds(bad)


def test_l26_the_announcement_is_kept_as_its_sha256() -> None:
    assert notice_sha256("Dit gesprek kan worden opgenomen.") == notice_sha256(
        "Dit gesprek kan worden opgenomen."
    )
    assert len(notice_sha256("x")) == 64
    assert notice_sha256("a") != notice_sha256("b")
