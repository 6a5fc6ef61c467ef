"""Issue 15 item 5, L62 (GDPR art. 15(4)): a call recorded with the parties on separate
channels reaches the person's access answer with the agent's channel muted and hers as
recorded; a mono recording (both voices mixed) cannot be separated and is handed over as
recorded, with a note in the manifest for the privacy officer. Through the real answer:
upload, the access request, the ZIP she downloads."""

from __future__ import annotations

import io
import json
import wave
import zipfile

from tests.factories import customer
from tests.integration.test_request_rights_rectification import OFFICER
from tests.unit.render.test_redaction_recording import AGENT as AGENT_VOICE
from tests.unit.render.test_redaction_recording import CUSTOMER, channels, stereo
from tests.unit.test_call_rules import wav

from privaat.bootstrap import Context
from privaat.domain.call_recording import RECORD
from privaat.domain.principal import StaffMember, StaffRole
from privaat.domain.subject_requests import Action, RequestKind
from privaat.render.redaction import MONO_NOTE, MUTED_NOTE
from privaat.services.subject_requests import RequestChannel

AGENT = StaffMember(7, StaffRole.SUPPORT)


def test_issue15_item5_L62_the_other_partys_channel_is_muted_in_the_answer(
    context: Context,
) -> None:
    anna = customer(context, name="Anna de Wit")
    recorded = stereo(CUSTOMER, AGENT_VOICE)  # one second, her left, the agent right
    mono = wav(1.0)
    with context.unit_of_work() as uow:
        call_id = context.calls.log_call(
            uow, AGENT, subject_id=anna.subject_id, language="nl", choice=RECORD
        )
        context.calls.add_segment(uow, AGENT, call_id, start_ms=0, end_ms=1000, audio=recorded)
        context.calls.add_segment(uow, AGENT, call_id, start_ms=2000, end_ms=3000, audio=mono)
        row, _created = context.requests.file_for(
            uow, anna.principal, RequestKind.ACCESS, channel=RequestChannel.API
        )
        context.requests.act(uow, OFFICER, row.reference, Action.START)
        answer = context.answers.answer(uow, OFFICER, row.reference)
        _name, content = context.answers.download(uow, answer.url.split("token=")[1])
    archive = zipfile.ZipFile(io.BytesIO(content))
    stereo_name = "files/call_recording_segments/1-audio.wav"
    mono_name = "files/call_recording_segments/2-audio.wav"
    params, (hers, theirs) = channels(archive.read(stereo_name))
    assert hers == CUSTOMER  # her channel, sample for sample
    assert theirs == [0] * len(AGENT_VOICE) and any(AGENT_VOICE)  # the agent's: silence
    assert (params.nchannels, params.sampwidth, params.framerate, params.nframes) == (
        2,
        2,
        8000,
        8000,
    )
    assert wave.open(io.BytesIO(archive.read(stereo_name))).getnframes() == 8000
    assert archive.read(mono_name) == mono  # cannot be separated: as recorded
    # the frames as recorded (her voice and the agent's) are nowhere in the answer
    as_recorded = recorded[44 : 44 + 256]  # after the 44-byte header: 64 frames
    assert all(as_recorded not in archive.read(name) for name in archive.namelist())
    manifest = json.loads(archive.read("manifest.json"))
    notes = {entry["name"]: entry.get("note") for entry in manifest["files"]}
    assert notes[stereo_name] == MUTED_NOTE
    assert notes[mono_name] == MONO_NOTE
    assert notes["data/call_recording_segments.json"] is None
