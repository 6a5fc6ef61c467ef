"""LEGAL L20: crash logs come out without phone numbers, e-mail addresses, credentials and
call content — hand-written cases, then fuzzed logs with planted secrets (Hypothesis)."""

from __future__ import annotations

import string

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from privaat.domain.telemetry_scrub import scrub

SIP_INVITE = (
    "INVITE sip:0612345678@pbx.flexibelt.nl SIP/2.0\r\n"
    'From: "Jan" <sip:+31201234567@flexibelt.nl>;tag=1\r\n'
    "To: <sip:0612345678@flexibelt.nl>\r\n"
    'Authorization: Digest username="jan", realm="pbx", nonce="abc", response="9f8e7d6c5b4a"\r\n'
    "Content-Type: application/sdp\r\n"
    "\r\n"
    "v=0\r\n"
    "o=- 20518 0 IN IP4 10.0.0.7\r\n"
    "c=IN IP4 10.0.0.7\r\n"
    "m=audio 49170 RTP/AVP 0\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n"
)


def test_L20_a_sip_invite_loses_its_parties_credentials_and_session_description() -> None:
    out = scrub(SIP_INVITE)
    for secret in (
        "0612345678",
        "+31201234567",
        "9f8e7d6c5b4a",
        "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
        "10.0.0.7",
        "49170",
    ):
        assert secret not in out, secret
    assert out.startswith("INVITE sip:")  # the shape stays for the technician
    assert "Content-Type: application/sdp" in out


def test_L20_credentials_in_their_usual_spellings_are_removed() -> None:
    cases = {
        "GET /api?token=s3cr3t-T0ken&x=1": "s3cr3t-T0ken",
        "password = hunter22": "hunter22",
        "db_password: 'Zomer2026!'": "Zomer2026!",
        "Authorization: Bearer eyJhbGciOi.eyJzdWIi.SflKxwRJ": "eyJhbGciOi",
        "connect https://admin:Geheim99@provisioning.example.nl/cfg": "Geheim99",
        "sip digest response=6629fae49393a05397450978507c4ef1": "6629fae4939",
        "api_key=AKIA1234567890": "AKIA1234567890",
    }
    for log, secret in cases.items():
        assert secret not in scrub(log), log


def test_L20_phone_numbers_and_addresses_in_common_dutch_formats_are_removed() -> None:
    for number in (
        "06-12345678",
        "+31 6 1234 5678",
        "020 123 4567",
        "0031201234567",
        "(020) 1234567",
    ):
        assert number not in scrub(f"call to {number} failed"), number
    assert "jan.de.vries@example.nl" not in scrub("user=jan.de.vries@example.nl")
    # no false positive on a version and a status code
    assert scrub("firmware 2.0 answered 401") == "firmware 2.0 answered 401"


def test_L20_a_sip_message_body_is_call_content() -> None:
    log = (
        "MESSAGE sip:bob@flexibelt.nl SIP/2.0\r\nCSeq: 1 MESSAGE\r\n\r\nHoi Bob, de pincode is 4711"
    )
    out = scrub(log)
    assert "pincode" not in out and "4711" not in out
    assert "DTMF Signal=4711" not in scrub("INFO DTMF Signal=4711 Duration=160")


_NOISE = st.text(alphabet=string.ascii_letters + string.digits + " .,:;-_/()[]=\n", max_size=80)
_DUTCH_MOBILE = st.integers(10_000_000, 99_999_999).map(lambda n: f"06{n}")
_SEPARATED = st.integers(1_000_000, 9_999_999).map(lambda n: f"+31 20 {str(n)[:3]} {str(n)[3:]}")
_EMAIL = st.tuples(
    st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=10),
    st.sampled_from(["example.nl", "flexibelt.nl", "mail.example.com"]),
).map(lambda parts: f"{parts[0]}@{parts[1]}")
_SECRET = st.text(alphabet=string.ascii_letters + string.digits, min_size=10, max_size=24)
_CREDENTIAL = st.tuples(
    st.sampled_from(["password=", "token: ", "Authorization: Bearer ", "response=", "api_key="]),
    _SECRET,
)


@settings(max_examples=300, deadline=None)
@given(
    before=_NOISE,
    after=_NOISE,
    phone=st.one_of(_DUTCH_MOBILE, _SEPARATED),
    email=_EMAIL,
    credential=_CREDENTIAL,
)
def test_L20_fuzzed_logs_with_planted_secrets_come_out_without_them(
    before: str, after: str, phone: str, email: str, credential: tuple[str, str]
) -> None:
    prefix, secret = credential
    assume(not any(planted in before + after for planted in (phone, email, secret)))
    log = f"{before} dial {phone} ; user {email} ; {prefix}{secret} ; {after}"
    out = scrub(log)
    assert phone not in out
    assert email not in out
    assert secret not in out


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_scrub_is_total_on_any_text(text: str) -> None:
    assert isinstance(scrub(text), str)
