"""The webhook's signature, acknowledgement and back-off (issue 14 item 2, LEGAL L11)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from privaat.domain.processor_events import (
    acknowledgement_refusal,
    retry_delay,
    sign,
    verify,
)

SECRET = b"whsec-test-0123456789"
BODY = b'{"a":1}'
T = 1764149400  # 2025-11-26 09:30 UTC
# HMAC-SHA256(SECRET, b'1764149400.{"a":1}'), computed once by hand with openssl:
#   printf '1764149400.{"a":1}' | openssl dgst -sha256 -hmac whsec-test-0123456789
MAC = "7078c9eb1492f355897cdf41008020d608bddf04c1cddc9fdf45e39cf46a7a0a"


def test_l11_the_signature_is_hmac_sha256_over_timestamp_dot_body_in_stripe_s_format() -> None:
    assert sign(SECRET, T, BODY) == f"t={T},v1={MAC}"


@pytest.mark.parametrize(
    ("header", "now", "expected"),
    [
        pytest.param(f"t={T},v1={MAC}", T, True, id="fresh"),
        pytest.param(f"t={T},v1={MAC}", T + 300, True, id="edge-of-window"),
        pytest.param(f"t={T},v1={MAC}", T + 301, False, id="replayed-late"),
        pytest.param(f"t={T},v1={MAC}", T - 301, False, id="from-the-future"),
        pytest.param(f"t={T + 1},v1={MAC}", T, False, id="timestamp-changed"),
        pytest.param(f"t={T},v1={'0' * 64}", T, False, id="forged"),
        pytest.param(f"t={T},v1={'0' * 64},v1={MAC}", T, True, id="rolling-secrets"),
        pytest.param("v1=" + MAC, T, False, id="no-timestamp"),
        pytest.param("t=soon,v1=" + MAC, T, False, id="bad-timestamp"),
        pytest.param("", T, False, id="empty"),
    ],
)
def test_l11_verify_checks_mac_and_replay_window(header: str, now: int, expected: bool) -> None:
    assert verify(SECRET, header, BODY, now=now) is expected


def test_l11_a_changed_body_does_not_verify() -> None:
    assert not verify(SECRET, f"t={T},v1={MAC}", b'{"a":2}', now=T)


def _ack(key: str) -> tuple[bytes, str]:
    body = b'{"idempotency_key": "' + key.encode() + b'"}'
    return body, sign(SECRET, T, body)


@pytest.mark.parametrize(
    ("status", "body", "signature", "expected"),
    [
        pytest.param(200, *_ack("k-1"), None, id="acknowledged"),
        pytest.param(204, *_ack("k-1"), None, id="any-2xx"),
        pytest.param(500, *_ack("k-1"), "HTTP 500", id="server-error"),
        pytest.param(302, *_ack("k-1"), "HTTP 302", id="redirect"),
        pytest.param(
            200,
            b"OK",
            None,
            "HTTP 200 without an acknowledgement (no JSON body)",
            id="bare-ok",
        ),
        pytest.param(
            200,
            b"{}",
            None,
            "HTTP 200 without an acknowledgement (idempotency_key missing)",
            id="no-key",
        ),
        pytest.param(
            200, *_ack("k-2"), "the acknowledgement names another idempotency key", id="other"
        ),
        pytest.param(
            200,
            _ack("k-1")[0],
            f"t={T},v1={'f' * 64}",
            "the acknowledgement's signature does not verify (forged or stale)",
            id="forged",
        ),
        pytest.param(
            200,
            _ack("k-1")[0],
            None,
            "the acknowledgement's signature does not verify (forged or stale)",
            id="unsigned",
        ),
    ],
)
def test_l11_only_a_signed_2xx_echoing_the_key_acknowledges(
    status: int, body: bytes, signature: str | None, expected: str | None
) -> None:
    found = acknowledgement_refusal(
        SECRET, "k-1", status=status, body=body, signature=signature, now=T
    )
    assert found == expected


@pytest.mark.parametrize(
    ("failures", "draw", "seconds"),
    [
        pytest.param(1, 0.0, 0.5, id="first-least"),
        pytest.param(1, 0.5, 0.75, id="first-middle"),
        pytest.param(2, 0.0, 1.0, id="second-doubles"),
        pytest.param(3, 0.0, 2.0, id="third"),
        pytest.param(11, 0.0, 512.0, id="eleventh"),
        pytest.param(13, 0.0, 1800.0, id="capped-at-an-hour"),
        pytest.param(1000, 0.0, 1800.0, id="still-capped"),
    ],
)
def test_l11_back_off_doubles_from_one_second_to_an_hour_with_jitter(
    failures: int, draw: float, seconds: float
) -> None:
    assert retry_delay(failures, draw) == timedelta(seconds=seconds)


def test_l11_jitter_stays_below_the_ceiling() -> None:
    assert retry_delay(3, 0.999999) < timedelta(seconds=4)
