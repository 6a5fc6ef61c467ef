"""The processor side (issue 11 item 10; GDPR art. 28(3)(e)): business customers file their
users' requests over OpenDSR into the one queue, each sees only its own, and every status
change reaches their callback URL, signed, through a real loopback HTTP server."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.domain.principal import StaffMember, StaffRole
from privaat.domain.subject_requests import Action
from privaat.services.errors import InvalidField
from privaat.services.opendsr import Delivery
from privaat.services.opendsr_delivery import check_callback_url
from privaat.settings import Mode
from privaat.store.tables import metadata
from privaat.store.tables_opendsr import business_customers, opendsr_callbacks, opendsr_requests
from privaat.store.tables_requests import subject_requests
from privaat.web.app import create_app

OFFICER = StaffMember(1, StaffRole.PRIVACY_OFFICER)
BASE = "/opendsr/v1"
SRID = "a7551968-d5d6-44b2-9831-815ac9017798"
OTHER_SRID = "0f8fad5b-d9cb-469f-a165-70867728950e"
PROBLEM = "application/problem+json"


# --- a controller's callback receiver: a real HTTP server on loopback -----------------------


class Receiver:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, str], bytes]] = []
        self.failing: set[str] = set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                if self.path == "/slow":
                    time.sleep(1.5)
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                receiver.calls.append((self.path, dict(self.headers.items()), body))
                self.send_response(500 if self.path in receiver.failing else 204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def calls_to(self, path: str) -> list[tuple[dict[str, str], bytes]]:
        return [(headers, body) for p, headers, body in self.calls if p == path]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def api(context: Context) -> Iterator[TestClient]:
    with TestClient(create_app(context), raise_server_exceptions=False) as client:
        yield client


def _customer(context: Context, name: str) -> dict[str, str]:
    with context.unit_of_work() as uow:
        _info, key = context.opendsr.add_customer(uow, name)
    return {"Authorization": f"Bearer {key}"}


def _request(srid: str = SRID, **overrides: Any) -> dict[str, Any]:
    return {
        "subject_request_id": srid,
        "subject_request_type": "erasure",
        "submitted_time": "2026-11-25T15:00:00Z",
        "subject_identities": [
            {
                "identity_type": "email",
                "identity_value": "Gebruiker@Klant.example",
                "identity_format": "raw",
            }
        ],
        "api_version": "1.0",
        "status_callback_urls": [],
        **overrides,
    }  # fmt: skip


def _file(api: TestClient, key: dict[str, str], srid: str = SRID, **overrides: Any) -> Any:
    return api.post(f"{BASE}/opendsr_requests", json=_request(srid, **overrides), headers=key)


def _reference(context: Context, srid: str = SRID) -> str:
    with context.unit_of_work() as uow, uow.reading() as connection:
        reference: str = connection.execute(
            select(subject_requests.c.reference)
            .join(opendsr_requests, opendsr_requests.c.request_id == subject_requests.c.id)
            .where(opendsr_requests.c.subject_request_id == srid)
        ).scalar_one()
    return reference


def _counts(context: Context) -> tuple[int, int, int]:
    with context.unit_of_work() as uow, uow.reading() as connection:
        return (
            connection.execute(select(func.count()).select_from(subject_requests)).scalar_one(),
            connection.execute(select(func.count()).select_from(opendsr_requests)).scalar_one(),
            connection.execute(select(func.count()).select_from(opendsr_callbacks)).scalar_one(),
        )


# --- intake into the one queue -------------------------------------------------------------


def test_item10_art28_a_business_customers_erasure_is_in_the_one_queue_channel_opendsr(
    context: Context, api: TestClient
) -> None:
    key = _customer(context, "Bakkerij Jansen BV")
    body = json.dumps(_request()).encode()
    response = api.post(
        f"{BASE}/opendsr_requests",
        content=body,
        headers={**key, "content-type": "application/json"},
    )
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["subject_request_id"] == SRID
    assert answer["received_time"] == "2026-11-26T09:30:00Z"
    # one month after 26 November is Saturday 26 December (2nd Christmas Day), past the
    # weekend: Monday 28 December, to the end of that day in Amsterdam (CET, UTC+1)
    assert answer["expected_completion_time"] == "2026-12-28T22:59:59Z"
    assert base64.b64decode(answer["encoded_request"]) == body
    with context.unit_of_work() as uow:
        [queued] = context.requests.queue(uow)
    assert (queued.channel, queued.kind.value, queued.status.value) == (
        "opendsr",
        "erasure",
        "verified",
    )
    assert queued.due_on == date(2026, 12, 28)


def test_item10_the_identities_are_nowhere_in_clear_and_link_no_two_customers(
    context: Context, api: TestClient
) -> None:
    for name in ("Klant A", "Klant B"):
        assert _file(api, _customer(context, name)).status_code == 201
    with context.unit_of_work() as uow, uow.reading() as connection:
        rows = connection.execute(select(subject_requests)).all()
        everything = repr(
            [connection.execute(select(table)).all() for table in metadata.sorted_tables]
        )
    assert "gebruiker@klant.example" not in everything.lower()
    # the same user of two controllers: two subjects, two unrelated keyed hashes
    assert len({row.subject_id for row in rows}) == 2
    assert len({bytes(row.requester_bidx) for row in rows}) == 2


def test_item10_another_customers_request_is_not_found_exactly_like_an_unknown_one(
    context: Context, api: TestClient
) -> None:
    a, b = _customer(context, "Klant A"), _customer(context, "Klant B")
    assert api.post(f"{BASE}/opendsr_requests", json=_request(), headers=a).status_code == 201
    theirs = api.get(f"{BASE}/opendsr_requests/{SRID}", headers=b)
    unknown = api.get(f"{BASE}/opendsr_requests/{OTHER_SRID}", headers=b)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.headers["content-type"] == PROBLEM
    assert {**theirs.json(), "instance": ""} == {**unknown.json(), "instance": ""}
    cancel = api.delete(f"{BASE}/opendsr_requests/{SRID}", headers=b)
    assert cancel.status_code == 404
    assert (
        api.get(f"{BASE}/opendsr_requests/{SRID}", headers=a).json()["request_status"] == "pending"
    )
    # B may use the same subject_request_id for a request of its own: ids are per controller
    assert api.post(f"{BASE}/opendsr_requests", json=_request(), headers=b).status_code == 201


def test_item10_statuses_map_from_the_queue_to_opendsr(
    context: Context, api: TestClient, clock: FixedClock
) -> None:
    key = _customer(context, "Klant A")

    def status(srid: str = SRID) -> dict[str, Any]:
        response = api.get(f"{BASE}/opendsr_requests/{srid}", headers=key)
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        return body

    assert api.post(f"{BASE}/opendsr_requests", json=_request(), headers=key).status_code == 201
    assert status()["request_status"] == "pending"  # verified
    reference = _reference(context)
    with context.unit_of_work() as uow:
        context.requests.act(uow, OFFICER, reference, Action.START)
    assert status()["request_status"] == "in_progress"
    with context.unit_of_work() as uow:
        context.requests.act(
            uow, OFFICER, reference, Action.EXTEND, reason="many systems", months=1
        )
    extended = status()
    assert extended["request_status"] == "in_progress"
    assert extended["expected_completion_time"] == "2027-01-26T22:59:59Z"  # a month more
    with context.unit_of_work() as uow:
        context.requests.act(uow, OFFICER, reference, Action.COMPLETE)
    assert status()["request_status"] == "completed"
    with context.unit_of_work() as uow:
        context.requests.act(uow, OFFICER, reference, Action.CLOSE)
    assert status()["request_status"] == "completed"  # closed after completion
    # a refusal, and a cancellation by the controller, are both "cancelled"
    assert _file(api, key, OTHER_SRID).status_code == 201
    with context.unit_of_work() as uow:
        context.requests.act(
            uow, OFFICER, _reference(context, OTHER_SRID), Action.REFUSE, reason="unfounded"
        )
    assert status(OTHER_SRID)["request_status"] == "cancelled"
    third = "3d0ca315-aff9-4fc2-be61-3b76b9a2d798"
    assert _file(api, key, third).status_code == 201
    cancelled = api.delete(f"{BASE}/opendsr_requests/{third}", headers=key)
    assert cancelled.status_code == 202
    assert cancelled.json()["received_time"] == "2026-11-26T09:30:00Z"
    assert status(third)["request_status"] == "cancelled"
    with context.unit_of_work() as uow:
        closed = {r.reference: r.status.value for r in context.requests.queue(uow)}
    assert closed[_reference(context, third)] == "closed"
    again = api.delete(f"{BASE}/opendsr_requests/{third}", headers=key)
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM


# --- callbacks ---------------------------------------------------------------------------


def _verify(api: TestClient, headers: dict[str, str], body: bytes) -> None:
    pem = api.get(f"{BASE}/cert.pem")
    assert pem.status_code == 200
    public = x509.load_pem_x509_certificate(pem.content).public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    signature = base64.b64decode({k.lower(): v for k, v in headers.items()}["x-opendsr-signature"])
    public.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())  # raises if forged


def test_item10_an_officers_start_is_called_back_signed_by_the_job(
    context: Context, api: TestClient, receiver: Receiver
) -> None:
    key = _customer(context, "Klant A")
    url = f"{receiver.url}/opendsr/callbacks"
    created = _file(api, key, status_callback_urls=[url])
    assert created.status_code == 201
    _verify(api, dict(created.headers), created.content)  # the answer is signed too
    with context.unit_of_work() as uow:
        assert context.opendsr.deliver(uow, mode=Mode.TEST).sent == 0  # nothing changed yet
        context.requests.act(uow, OFFICER, _reference(context), Action.START)
    assert receiver.calls == []  # queued in the change's transaction, sent by the job
    with context.unit_of_work() as uow:
        done = context.opendsr.deliver(uow, mode=Mode.TEST)
    assert (done.sent, done.retried) == (1, 0)
    [(headers, body)] = receiver.calls_to("/opendsr/callbacks")
    lower = {k.lower(): v for k, v in headers.items()}
    assert lower["x-opendsr-processor-domain"] == "127.0.0.1"
    assert lower["x-opengdpr-signature"] == lower["x-opendsr-signature"]  # §10.1: old names
    _verify(api, headers, body)
    sent = json.loads(body)
    assert sent == {
        "controller_id": created.json()["controller_id"],
        "expected_completion_time": "2026-12-28T22:59:59Z",
        "status_callback_url": url,
        "subject_request_id": SRID,
        "request_status": "in_progress",
        "api_version": "1.0",
    }
    with context.unit_of_work() as uow:
        assert context.opendsr.deliver(uow, mode=Mode.TEST).sent == 0  # sent once only
    # a forged body does not verify against the certificate
    with pytest.raises(InvalidSignature):
        _verify(api, headers, body.replace(b"in_progress", b"completed"))


def test_item10_a_failing_callback_endpoint_is_retried_later_and_blocks_no_other(
    context: Context, api: TestClient, receiver: Receiver, clock: FixedClock
) -> None:
    receiver.failing.add("/down")
    key = _customer(context, "Klant A")
    urls = [f"{receiver.url}/down", f"{receiver.url}/up"]
    assert _file(api, key, status_callback_urls=urls).status_code == 201
    with context.unit_of_work() as uow:
        context.requests.act(uow, OFFICER, _reference(context), Action.START)
        first = context.opendsr.deliver(uow, mode=Mode.TEST)
    assert (first.sent, first.retried) == (1, 1)
    assert len(receiver.calls_to("/up")) == 1 and len(receiver.calls_to("/down")) == 1
    with context.unit_of_work() as uow:
        assert context.opendsr.deliver(uow, mode=Mode.TEST) == Delivery(0, 0, 0)  # waits
    clock.advance(timedelta(minutes=1))
    with context.unit_of_work() as uow:
        assert context.opendsr.deliver(uow, mode=Mode.TEST).retried == 1
    assert len(receiver.calls_to("/down")) == 2
    with context.unit_of_work() as uow, uow.reading() as connection:
        down = connection.execute(
            select(opendsr_callbacks).where(opendsr_callbacks.c.url == urls[0])
        ).one()
    assert (down.attempts, down.last_error, down.sent_at) == (2, "HTTP 500", None)
    assert down.next_attempt_at == clock.now() + timedelta(minutes=2)  # the back-off doubles
    receiver.failing.clear()
    clock.advance(timedelta(minutes=2))
    with context.unit_of_work() as uow:
        assert context.opendsr.deliver(uow, mode=Mode.TEST).sent == 1
    clock.advance(timedelta(days=1))
    with context.unit_of_work() as uow:  # all delivered: nothing more is sent
        assert context.opendsr.deliver(uow, mode=Mode.TEST) == Delivery(0, 0, 0)


def test_item10_a_callback_that_keeps_failing_is_given_up_after_72_hours(
    context: Context, api: TestClient, receiver: Receiver, clock: FixedClock
) -> None:
    receiver.failing.add("/down")
    key = _customer(context, "Klant A")
    assert _file(api, key, status_callback_urls=[f"{receiver.url}/down"]).status_code == 201
    with context.unit_of_work() as uow:
        context.requests.act(uow, OFFICER, _reference(context), Action.START)
    clock.advance(timedelta(hours=72))
    with context.unit_of_work() as uow:
        assert context.opendsr.deliver(uow, mode=Mode.TEST).given_up == 1
        clock.advance(timedelta(days=7))
        assert context.opendsr.deliver(uow, mode=Mode.TEST) == Delivery(0, 0, 0)
    assert len(receiver.calls_to("/down")) == 1


# --- authentication ------------------------------------------------------------------------


def test_item10_no_key_a_wrong_key_and_a_revoked_key_are_refused_with_401(
    context: Context, api: TestClient
) -> None:
    key = _customer(context, "Klant A")
    wrong = {"Authorization": "Bearer odsr_" + "A" * 43}
    for headers in ({}, wrong, {"Authorization": "Basic eDp5"}):
        response = api.post(f"{BASE}/opendsr_requests", json=_request(), headers=headers)
        assert response.status_code == 401 and response.headers["content-type"] == PROBLEM
        assert response.headers["www-authenticate"].startswith('Bearer realm="opendsr"')
    with context.unit_of_work() as uow:
        context.opendsr.revoke(uow, "Klant A")
    revoked = api.get(f"{BASE}/opendsr_requests/{SRID}", headers=key)
    assert revoked.status_code == 401
    assert 'error="invalid_token"' in revoked.headers["www-authenticate"]
    with context.unit_of_work() as uow:
        _info, new = context.opendsr.rotate_key(uow, "Klant A")
    assert api.get(f"{BASE}/opendsr_requests/{SRID}", headers=key).status_code == 401
    fresh = {"Authorization": f"Bearer {new}"}
    assert api.post(f"{BASE}/opendsr_requests", json=_request(), headers=fresh).status_code == 201
    assert _counts(context)[1] == 1


def test_item10_the_api_key_is_stored_only_as_its_sha256(context: Context) -> None:
    with context.unit_of_work() as uow:
        _info, key = context.opendsr.add_customer(uow, "Klant A")
    assert key.startswith("odsr_") and len(base64.urlsafe_b64decode(key[5:] + "=")) == 32
    with context.unit_of_work() as uow, uow.reading() as connection:
        everything = [connection.execute(select(table)).all() for table in metadata.sorted_tables]
        stored = connection.execute(select(business_customers.c.key_hash)).scalar_one()
    dump = repr(everything)
    secret = base64.urlsafe_b64decode(key[5:] + "=")
    assert key not in dump and key[5:] not in dump and repr(secret) not in dump
    assert bytes(stored) == hashlib.sha256(key.encode()).digest()


# --- bad input: a clear problem, nothing written -----------------------------------------


NOT_AN_ADDRESS = {
    "identity_type": "email",
    "identity_value": "geen adres",
    "identity_format": "raw",
}


@pytest.mark.parametrize(
    ("content", "field"),
    [
        pytest.param(b'{"subject_request_id": ', "", id="malformed-json"),
        pytest.param(json.dumps(_request(subject_request_type="rectification")).encode(),
                     "subject_request_type", id="unknown-type"),
        pytest.param(json.dumps(_request(subject_identities=[])).encode(),
                     "subject_identities", id="no-identity"),
        pytest.param(json.dumps(_request(subject_identities=[NOT_AN_ADDRESS])).encode(),
                     "subject_identities", id="not-an-address"),
        pytest.param(json.dumps(_request("not-a-uuid")).encode(), "subject_request_id",
                     id="not-a-uuid"),
        pytest.param(json.dumps(_request(SRID.upper())).encode(), "subject_request_id",
                     id="uppercase-uuid"),
        pytest.param(json.dumps(_request(submitted_time="2026-11-25 15:00")).encode(),
                     "submitted_time", id="no-time-zone"),
        pytest.param(json.dumps(_request(status_callback_urls=["http://example.com/cb"])).encode(),
                     "status_callback_urls", id="plain-http-elsewhere"),
        pytest.param(json.dumps(_request(status_callback_urls=["https://u:p@example.com/cb"])).encode(),
                     "status_callback_urls", id="credentials"),
        pytest.param(json.dumps(_request(status_callback_urls=["ftp://example.com/cb"])).encode(),
                     "status_callback_urls", id="other-scheme"),
        pytest.param(json.dumps(_request(surprise=1)).encode(), "surprise", id="unknown-field"),
    ],
)  # fmt: skip
def test_item10_bad_input_is_a_clear_422_and_writes_nothing(
    context: Context, api: TestClient, content: bytes, field: str
) -> None:
    key = _customer(context, "Klant A")
    before = _counts(context)
    response = api.post(
        f"{BASE}/opendsr_requests",
        content=content,
        headers={**key, "content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    if field:
        assert field in {entry["field"].split(".")[0] for entry in response.json()["errors"]}
    assert _counts(context) == before


def test_item10_a_duplicate_id_is_409_and_a_body_over_the_limit_413(
    context: Context, api: TestClient
) -> None:
    key = _customer(context, "Klant A")
    assert api.post(f"{BASE}/opendsr_requests", json=_request(), headers=key).status_code == 201
    before = _counts(context)
    again = _file(api, key, subject_request_type="access")
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM
    huge = _request(OTHER_SRID, extensions={"x": {"padding": "x" * 70_000}})
    assert api.post(f"{BASE}/opendsr_requests", json=huge, headers=key).status_code == 413
    assert api.get(f"{BASE}/opendsr_requests/not-a-uuid", headers=key).status_code == 422
    assert _counts(context) == before


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/cb",  # plain http: never in production
        "https://127.0.0.1/cb",  # loopback
        "https://10.1.2.3/cb",  # private
        "https://169.254.169.254/latest/meta-data",  # link-local (cloud metadata)
        "https://[::1]/cb",
        "https://[fe80::1]/cb",
        "https://0.0.0.0/cb",
        "https://user@93.184.215.14/cb",  # credentials
        "https://93.184.215.14/cb#frag",
        "gopher://93.184.215.14/",
    ],
)
def test_item10_ssrf_production_refuses_what_is_not_public_https(url: str) -> None:
    with pytest.raises(InvalidField) as refused:
        check_callback_url(url, mode=Mode.PRODUCTION, position=1)
    assert refused.value.field == "status_callback_urls"


def test_item10_ssrf_production_accepts_https_to_a_public_address() -> None:
    url = "https://93.184.215.14/opendsr/callbacks"  # an address literal: no DNS needed
    assert check_callback_url(url, mode=Mode.PRODUCTION, position=1) == url


# --- discovery -----------------------------------------------------------------------------


def test_item10_discovery_names_types_identities_version_and_the_certificate(
    api: TestClient,
) -> None:
    response = api.get(f"{BASE}/discovery")
    assert response.status_code == 200
    body = response.json()
    assert body["api_version"] == "1.0"
    assert body["supported_subject_request_types"] == ["access", "erasure", "portability"]
    assert {"identity_type": "email", "identity_format": "sha256"} in body["supported_identities"]
    assert body["processor_certificate"] == "http://127.0.0.1:8000/opendsr/v1/cert.pem"
    assert api.get(f"{BASE}/cert.pem").text.startswith("-----BEGIN CERTIFICATE-----")


def test_item10_a_dead_endpoint_is_called_once_a_pass_and_a_newer_status_supersedes(
    context: Context, api: TestClient, receiver: Receiver, clock: FixedClock
) -> None:
    receiver.failing.add("/down")
    key = _customer(context, "Klant A")
    down = [f"{receiver.url}/down"]
    assert _file(api, key, status_callback_urls=down).status_code == 201
    other = [{"identity_type": "email", "identity_value": "ander@klant.example"}]
    other[0]["identity_format"] = "raw"  # another user (the same one's would be a duplicate)
    filed = _file(api, key, OTHER_SRID, status_callback_urls=down, subject_identities=other)
    assert filed.status_code == 201
    with context.unit_of_work() as uow:
        for srid in (SRID, OTHER_SRID):
            context.requests.act(uow, OFFICER, _reference(context, srid), Action.START)
        assert context.opendsr.deliver(uow, mode=Mode.TEST) == Delivery(0, 2, 0)
    assert len(receiver.calls_to("/down")) == 1  # the second waits for the next pass
    # started, then completed before the endpoint came back: only "completed" is sent
    receiver.failing.clear()
    with context.unit_of_work() as uow:
        context.requests.act(uow, OFFICER, _reference(context), Action.COMPLETE)
    clock.advance(timedelta(minutes=5))
    with context.unit_of_work() as uow:
        assert context.opendsr.deliver(uow, mode=Mode.TEST).sent == 2
    statuses = sorted(
        (json.loads(body)["subject_request_id"], json.loads(body)["request_status"])
        for _headers, body in receiver.calls_to("/down")[1:]
    )
    assert statuses == [(OTHER_SRID, "in_progress"), (SRID, "completed")]


def test_item10_ssrf_in_production_a_loopback_url_is_refused_at_intake_and_at_sending(
    context: Context, api: TestClient, receiver: Receiver
) -> None:
    url = f"{receiver.url}/cb"
    with context.unit_of_work() as uow:
        _info, key = context.opendsr.add_customer(uow, "Klant A")
        customer = context.opendsr.authenticate(uow, key)
    before = _counts(context)
    with context.unit_of_work() as uow, pytest.raises(InvalidField) as refused:
        context.opendsr.create(
            uow,
            customer,
            subject_request_id=SRID,
            subject_request_type="erasure",
            identities=[("email", "raw", "gebruiker@klant.example")],
            submitted_time=context.clock.now(),
            callback_urls=[url],
            raw=b"{}",
            mode=Mode.PRODUCTION,
        )
    assert (refused.value.field, refused.value.message) == (
        "status_callback_urls",
        "URL 1: must be an https URL",
    )
    assert _counts(context) == before
    # queued while it was allowed (test mode), then sent by a production job: checked again
    headers = {"Authorization": f"Bearer {key}"}
    assert _file(api, headers, status_callback_urls=[url, url]).status_code == 201
    with context.unit_of_work() as uow:
        context.requests.act(uow, OFFICER, _reference(context), Action.START)
        assert context.opendsr.deliver(uow, mode=Mode.PRODUCTION) == Delivery(0, 1, 0)
    assert receiver.calls == []  # never called
    with context.unit_of_work() as uow, uow.reading() as connection:
        [callback] = connection.execute(select(opendsr_callbacks)).all()  # the URL once
    assert callback.last_error == "refused: must be an https URL"


def test_item10_a_slow_endpoint_times_out_and_the_others_are_still_sent(
    context: Context, api: TestClient, receiver: Receiver
) -> None:
    key = _customer(context, "Klant A")
    urls = [f"{receiver.url}/slow", f"{receiver.url}/up"]
    assert _file(api, key, status_callback_urls=urls).status_code == 201
    with context.unit_of_work() as uow:
        context.requests.act(uow, OFFICER, _reference(context), Action.START)
        started = time.monotonic()
        assert context.opendsr.deliver(uow, mode=Mode.TEST, timeout=0.3) == Delivery(1, 1, 0)
        assert time.monotonic() - started < 1.4  # it did not wait for the slow answer
    assert len(receiver.calls_to("/up")) == 1
    with context.unit_of_work() as uow, uow.reading() as connection:
        slow = connection.execute(
            select(opendsr_callbacks.c.last_error).where(opendsr_callbacks.c.url == urls[0])
        ).scalar_one()
    assert slow == "unreachable: TimeoutError"
