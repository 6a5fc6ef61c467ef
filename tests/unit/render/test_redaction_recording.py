"""Issue 15 item 5, L62 (GDPR art. 15(4)): a call recorded with the parties on separate
channels is handed over with the other party's channel muted; a recording whose voices
cannot be separated is handed over as recorded, with a note for the privacy officer.

The WAV files are written here with known samples by the standard library; the checks read
them back sample by sample.
"""

from __future__ import annotations

import io
import struct
import wave

from tests.unit.test_call_rules import opus

from privaat.domain.call_recording import CUSTOMER_CHANNEL, check_wav
from privaat.render.redaction import (
    CHANNELS_NOTE,
    MONO_NOTE,
    MUTED_NOTE,
    OPUS_NOTE,
    redact_recording,
)


def stereo(customer: list[int], agent: list[int], *, width: int = 2, rate: int = 8000) -> bytes:
    """A two-channel PCM WAV: the customer's samples left, the agent's right."""
    code = {1: "B", 2: "h", 4: "i"}[width]
    frames = b"".join(
        struct.pack(f"<{code}{code}", c, a) for c, a in zip(customer, agent, strict=True)
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as sound:
        sound.setnchannels(2)
        sound.setsampwidth(width)
        sound.setframerate(rate)
        sound.writeframes(frames)
    return buffer.getvalue()


def channels(audio: bytes) -> tuple[wave._wave_params, list[list[int]]]:
    with wave.open(io.BytesIO(audio), "rb") as sound:
        params = sound.getparams()
        frames = sound.readframes(params.nframes)
    code = {1: "B", 2: "h", 4: "i"}[params.sampwidth]
    samples = list(struct.unpack(f"<{len(frames) // params.sampwidth}{code}", frames))
    return params, [samples[c :: params.nchannels] for c in range(params.nchannels)]


CUSTOMER = [((i * 37) % 2001) - 1000 for i in range(8000)]  # a second of her voice
AGENT = [((i * 53) % 3001) - 1500 or 7 for i in range(8000)]  # and the agent's, never 0


def test_issue15_item5_L62_the_agents_channel_is_muted_hers_untouched() -> None:
    assert CUSTOMER_CHANNEL == 0
    recorded = stereo(CUSTOMER, AGENT)
    muted, note = redact_recording(recorded)
    params, (hers, theirs) = channels(muted)
    before, (_hers, _theirs) = channels(recorded)
    assert hers == CUSTOMER  # sample for sample
    assert theirs == [0] * len(AGENT)
    assert (params.nchannels, params.sampwidth, params.framerate, params.nframes) == (
        before.nchannels,
        before.sampwidth,
        before.framerate,
        before.nframes,
    )
    assert check_wav(muted).duration_ms == check_wav(recorded).duration_ms == 1000
    assert len(muted) == len(recorded)
    assert note == MUTED_NOTE


def test_issue15_item5_L62_8_and_32_bit_stereo_are_muted_to_silence() -> None:
    # 8-bit PCM is unsigned: silence is 128, not 0
    muted, _note = redact_recording(stereo([10, 200, 255], [1, 2, 3], width=1))
    assert channels(muted)[1] == [[10, 200, 255], [128, 128, 128]]
    wide = [2**30, -(2**30), 5]
    muted, _note = redact_recording(stereo(wide, [-1, 1, 9], width=4))
    assert channels(muted)[1] == [wide, [0, 0, 0]]


def test_issue15_item5_L62_a_mono_recording_cannot_be_separated_and_says_so() -> None:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(struct.pack("<3h", 1, 2, 3))
    mono = buffer.getvalue()
    assert redact_recording(mono) == (mono, MONO_NOTE)  # as recorded, never a guess


def test_issue15_item5_L62_more_channels_or_opus_are_handed_over_with_a_note() -> None:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as sound:
        sound.setnchannels(3)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(struct.pack("<6h", 1, 2, 3, 4, 5, 6))
    three = buffer.getvalue()
    assert redact_recording(three) == (three, CHANNELS_NOTE.format(channels=3))
    recording = opus(1.0)
    assert redact_recording(recording) == (recording, OPUS_NOTE)
