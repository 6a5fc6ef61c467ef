"""The console's calls (issue 12 items 2, 6; LEGAL L26-L28), through real HTTP: an agent logs a
call with the caller's choice and uploads segments; a file that only claims to be a WAV, an
over-size body, a segment over a hold and any upload after "do not record" are refused and
store nothing; only a team leader plays a segment, and the call page shows who played what."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from tests.factories import customer
from tests.integration.test_console_roles import console, csrf_token, staff_session
from tests.unit.test_call_rules import wav

from privaat.bootstrap import Context, bootstrap
from privaat.domain.clock import FixedClock
from privaat.domain.principal import StaffRole
from privaat.services.support_desk import Channel, NewCase
from privaat.settings import Mode, Settings
from privaat.store.tables_calls import call_recording_segments, support_calls
from privaat.web.app import create_app
from privaat.web.console.access import STAFF_COOKIE

__all__ = ["console"]  # the console client fixture, shared with the role-table test


def _as(console: TestClient, context: Context, clock: FixedClock, role: StaffRole) -> None:
    console.cookies.set(STAFF_COOKIE, staff_session(context, clock, role))


def _segments(context: Context) -> int:
    with context.engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count()).select_from(call_recording_segments)
            ).scalar_one()
        )


def _log_call(console: TestClient, email: str, choice: str = "record", holds: str = "") -> int:
    form = {
        "csrf_token": csrf_token(console, "/console/calls"),
        "caller": email,
        "language": "nl",
        "choice": choice,
        "holds": holds,
    }
    response = console.post("/console/calls", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text[:800]
    found = re.fullmatch(r"/console/calls/(\d+)\?notice=logged", response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1))


def _upload(
    console: TestClient,
    call_id: int,
    audio: bytes,
    *,
    start: str = "0:00",
    end: str = "0:01",
    claimed: str = "audio/wav",
    token: bool = True,
) -> Any:
    fields = {"start": start, "end": end, "holds": ""}
    if token:
        fields["csrf_token"] = csrf_token(console, f"/console/calls/{call_id}")
    return console.post(
        f"/console/calls/{call_id}/segments?lang=en",
        data=fields,
        files={"audio": ("opname.wav", audio, claimed)},
        follow_redirects=False,
    )


def test_l26_an_agent_logs_a_call_with_the_announcement_and_the_choice(
    console: TestClient, context: Context, clock: FixedClock
) -> None:
    me = customer(context)
    _as(console, context, clock, StaffRole.SUPPORT)
    page = console.get("/console/calls?lang=en")
    assert page.status_code == 200
    assert "This call may be recorded to improve our help." in page.text  # the policy's notice
    call_id = _log_call(console, me.email)
    shown = console.get(f"/console/calls/{call_id}?notice=logged&lang=en")
    assert shown.status_code == 200
    assert "Agreed to the recording" in shown.text and 'id="segment-new"' in shown.text
    with context.engine.connect() as connection:
        assert connection.execute(select(support_calls.c.choice)).scalar_one() == "record"


def test_l26_a_call_without_a_choice_is_the_form_again_and_stores_nothing(
    console: TestClient, context: Context, clock: FixedClock
) -> None:
    me = customer(context)
    _as(console, context, clock, StaffRole.SUPPORT)
    form = {"csrf_token": csrf_token(console, "/console/calls"), "caller": me.email}
    response = console.post("/console/calls?lang=en", data=form)
    assert response.status_code == 422
    assert "Choose what the caller said after the announcement." in response.text
    unknown = {**form, "caller": "niemand@example.nl", "language": "nl", "choice": "record"}
    response = console.post("/console/calls?lang=en", data=unknown)
    assert response.status_code == 422 and "No account has this e-mail address." in response.text
    with context.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(support_calls)).scalar() == 0


def test_l26_after_do_not_record_an_upload_is_409_and_stores_nothing(
    console: TestClient, context: Context, clock: FixedClock
) -> None:
    me = customer(context)
    _as(console, context, clock, StaffRole.SUPPORT)
    call_id = _log_call(console, me.email, choice="do_not_record")
    page = console.get(f"/console/calls/{call_id}?lang=en")
    assert 'id="segment-new"' not in page.text and 'id="call-refused"' in page.text
    response = _upload(console, call_id, wav(1.0))
    assert response.status_code == 409
    assert "The caller refused the recording" in response.text
    assert _segments(context) == 0


def test_l26_a_caller_who_refuses_later_stops_the_recording_and_its_segments_go(
    console: TestClient, context: Context, clock: FixedClock
) -> None:
    me = customer(context)
    _as(console, context, clock, StaffRole.SUPPORT)
    call_id = _log_call(console, me.email)
    assert _upload(console, call_id, wav(1.0)).status_code == 303
    assert _segments(context) == 1
    page = f"/console/calls/{call_id}"
    refused = console.post(
        f"{page}/refuse", data={"csrf_token": csrf_token(console, page)}, follow_redirects=False
    )
    assert refused.status_code == 303
    assert refused.headers["location"] == f"{page}?notice=refused"
    assert _segments(context) == 0
    shown = console.get(f"{page}?lang=en")
    assert 'id="call-refused"' in shown.text and 'id="call-refuse"' not in shown.text
    # the refusal is final: a later upload is 409 and stores nothing
    assert _upload(console, call_id, wav(1.0)).status_code == 409
    assert _segments(context) == 0


def test_l26_a_refusal_without_a_csrf_token_changes_nothing(
    console: TestClient, context: Context, clock: FixedClock
) -> None:
    me = customer(context)
    _as(console, context, clock, StaffRole.SUPPORT)
    call_id = _log_call(console, me.email)
    assert _upload(console, call_id, wav(1.0)).status_code == 303
    response = console.post(f"/console/calls/{call_id}/refuse", follow_redirects=False)
    assert response.status_code == 403
    assert _segments(context) == 1


def test_l27_a_segment_over_a_hold_is_refused_on_the_page(
    console: TestClient, context: Context, clock: FixedClock
) -> None:
    me = customer(context)
    _as(console, context, clock, StaffRole.SUPPORT)
    call_id = _log_call(console, me.email, holds="hold 0:02-0:05")
    response = _upload(console, call_id, wav(2.0), start="0:01", end="0:03")
    assert response.status_code == 422
    assert _segments(context) == 0
    assert _upload(console, call_id, wav(2.0), start="0:00", end="0:02").status_code == 303
    assert _segments(context) == 1


def test_l28_a_file_that_only_claims_to_be_a_wav_is_415_and_stores_nothing(
    console: TestClient, context: Context, clock: FixedClock
) -> None:
    me = customer(context)
    _as(console, context, clock, StaffRole.SUPPORT)
    call_id = _log_call(console, me.email)
    fake = b"ID3\x04\x00\x00" + bytes(range(256)) * 40  # an MP3 header, sent as audio/wav
    response = _upload(console, call_id, fake, claimed="audio/wav")
    assert response.status_code == 415
    assert "not a WAV or Ogg Opus audio file" in response.text
    assert _segments(context) == 0


def test_l28_an_over_size_upload_is_413_and_stores_nothing(
    console: TestClient, context: Context, clock: FixedClock
) -> None:
    me = customer(context)
    _as(console, context, clock, StaffRole.SUPPORT)
    call_id = _log_call(console, me.email)
    big = wav(1.0) + b"\x00" * (52 * 1024 * 1024)
    response = _upload(console, call_id, big)
    assert response.status_code == 413
    assert _segments(context) == 0


def test_an_upload_without_a_csrf_token_is_refused(
    console: TestClient, context: Context, clock: FixedClock
) -> None:
    me = customer(context)
    _as(console, context, clock, StaffRole.SUPPORT)
    call_id = _log_call(console, me.email)
    response = _upload(console, call_id, wav(1.0), token=False)
    assert response.status_code == 403
    assert _segments(context) == 0


def test_l28_only_a_team_leader_plays_and_the_call_page_shows_each_playback(
    console: TestClient, context: Context, clock: FixedClock
) -> None:
    me = customer(context)
    audio = wav(1.0)
    _as(console, context, clock, StaffRole.SUPPORT)
    call_id = _log_call(console, me.email)
    assert _upload(console, call_id, audio).status_code == 303
    audio_path = f"/console/calls/{call_id}/segments/1/audio"
    agent_page = console.get(f"/console/calls/{call_id}?lang=en")
    assert "<audio" not in agent_page.text
    assert "Only team leaders can listen to recordings." in agent_page.text
    assert console.get(audio_path).status_code == 403

    _as(console, context, clock, StaffRole.SUPPORT_LEAD)
    lead_page = console.get(f"/console/calls/{call_id}?lang=en")
    assert '<audio controls preload="none" id="segment-audio-1"' in lead_page.text
    assert "media-src 'self'" in lead_page.headers["content-security-policy"]
    assert "Nobody has listened to this call." in lead_page.text
    played = console.get(audio_path)
    assert played.status_code == 200 and played.content == audio
    assert played.headers["content-type"] == "audio/wav"
    assert played.headers["cache-control"] == "no-store"
    # the player's further requests for the same playback: a byte range, one log line
    part = console.get(audio_path, headers={"Range": "bytes=0-11"})
    assert part.status_code == 206 and part.content == audio[:12]
    assert part.headers["content-range"] == f"bytes 0-11/{len(audio)}"
    tail = console.get(audio_path, headers={"Range": "bytes=-4"})
    assert tail.status_code == 206 and tail.content == audio[-4:]
    beyond = console.get(audio_path, headers={"Range": f"bytes={len(audio)}-"})
    assert beyond.status_code == 416
    assert console.get(f"/console/calls/{call_id}/segments/2/audio").status_code == 404
    after = console.get(f"/console/calls/{call_id}?lang=en")
    log = re.search(r'<ul id="call-playbacks">(.*?)</ul>', after.text, re.S)
    assert log is not None
    assert log.group(1).count("<li>") == 1
    assert "customer support team leader, staff number" in log.group(1)
    assert "segment 1" in log.group(1)


def test_l26_a_customer_who_objected_is_not_logged_as_recorded(
    console: TestClient, context: Context, clock: FixedClock
) -> None:
    me = customer(context)
    with context.unit_of_work() as uow:
        context.objections.object(uow, me.principal, me.subject_id, "call_recording")
    _as(console, context, clock, StaffRole.SUPPORT)
    form = {
        "csrf_token": csrf_token(console, "/console/calls"),
        "caller": me.email,
        "language": "nl",
        "choice": "record",
    }
    response = console.post("/console/calls?lang=en", data=form)
    assert response.status_code == 409
    assert "objected to the recording of calls" in response.text
    with context.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(support_calls)).scalar() == 0
    assert _log_call(console, me.email, choice="do_not_record") > 0


def test_a_call_is_logged_by_its_support_case_reference(
    console: TestClient, context: Context, clock: FixedClock
) -> None:
    me = customer(context)
    case = NewCase(Channel.PHONE, "Telefoon piept", "Mijn toestel piept steeds.", email=me.email)
    with context.unit_of_work() as uow:
        filed = context.support.file_by_customer(uow, me.principal, case)
    _as(console, context, clock, StaffRole.SUPPORT)
    call_id = _log_call(console, filed.reference.lower())  # as an agent may type it
    page = console.get(f"/console/calls/{call_id}?lang=en")
    assert f'href="/console/support/{filed.reference}"' in page.text
    # and the case's page lists its calls, each to be opened (and played by a team leader)
    assert _upload(console, call_id, wav(1.0)).status_code == 303
    case_page = console.get(f"/console/support/{filed.reference}?lang=en")
    assert 'id="support-case-call-list"' in case_page.text
    assert f'href="/console/calls/{call_id}"' in case_page.text
    assert "Agreed to the recording, 1 recorded segment" in case_page.text
    with context.engine.connect() as connection:
        row = connection.execute(select(support_calls.c.subject_id, support_calls.c.case_id)).one()
    assert row.subject_id == me.subject_id and row.case_id is not None
    form = {
        "csrf_token": csrf_token(console, "/console/calls"),
        "caller": "SC-NOTACASE",
        "language": "nl",
        "choice": "record",
    }
    response = console.post("/console/calls?lang=en", data=form)
    assert response.status_code == 422 and "No support case has this reference." in response.text


def test_a_provider_whose_policy_records_no_calls_has_no_calls_pages(
    database_url: str, engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    shop_policy = Path(__file__).resolve().parents[2] / "policies" / "webwinkel-voorbeeld.yaml"
    settings = Settings(
        mode=Mode.TEST, database_url=database_url, var_dir=tmp_path / "v", policy_file=shop_policy
    )
    shop = bootstrap(settings, clock=clock, engine=engine, run_migrations=False)
    assert not shop.calls.enabled
    with TestClient(create_app(shop), client=("145.97.0.1", 50000)) as client:
        client.cookies.set(STAFF_COOKIE, staff_session(shop, clock, StaffRole.SUPPORT))
        assert client.get("/console/calls").status_code == 404
        assert client.get("/console/calls/1").status_code == 404
    shop.access_log.flush()
