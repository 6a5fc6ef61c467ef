"""Crash and problem logs scrubbed before storage (LEGAL L20; GDPR art. 5(1)(c), 25).

    raw log ──▶ call content ──▶ credentials ──▶ e-mail addresses ──▶ phone numbers ──▶ stored
                (SDP, SIP       (Bearer, password=,  (a conservative     (phonenumbers'
                 bodies, party   token:, digest       pattern)            matcher, NL by
                 headers, DTMF)  response=, user:pass@)                   default; + long
                                                                          digit runs)

What counts as **call content** here: what a SIP log carries about a call beyond its technical
course: the SDP session description (``v=``/``o=``/``c=``/``m=``/``a=`` lines: media
addresses, codecs, SRTP keys in ``a=crypto``), the body of a SIP ``MESSAGE`` (a chat text), the
caller and callee in ``From``/``To``/``Contact``/``P-Asserted-Identity``/``Remote-Party-ID``
headers, and DTMF digits (``Signal=`` in SIP INFO: PINs, account numbers). Each is replaced by
a marker, so the log keeps its shape for the technicians.

Redaction is deliberately greedy: a false positive costs a technician a digit run, a false
negative leaks a number. The function is pure and total (any text in, text out).
"""

from __future__ import annotations

import re

import phonenumbers

__all__ = ["REDACTED", "scrub"]

REDACTED = "[redacted]"
_CREDENTIAL = "[credential]"
_CALL = "[call content]"
_EMAIL = "[e-mail]"
_PHONE = "[phone]"

# a SIP party header's value: the caller or callee (RFC 3261 §20.20, §20.39; RFC 3325)
_PARTY = re.compile(
    r"(?im)^(\s*(?:from|to|contact|p-asserted-identity|p-preferred-identity|remote-party-id"
    r"|refer-to|referred-by|diversion|[ftm])\s*:)[^\r\n]*"
)
# SDP lines (RFC 8866 §5): type letter, "=", value; at a line start
_SDP = re.compile(r"(?m)^(\s*[vosiuepcbtrzkam])=[^\r\n]*")
# the body of a SIP MESSAGE (RFC 3428): after the blank line that ends its headers
_MESSAGE_BODY = re.compile(r"(?s)(MESSAGE\s+sips?:[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*?\r?\n)(.*)")
_DTMF = re.compile(r"(?i)(signal\s*=\s*)[^\s,;]+")
# credentials: an Authorization header's credentials, key=value and key: value pairs,
# a SIP digest's response, a URL's user:password@
_AUTH_HEADER = re.compile(r"(?i)((?:proxy-)?authorization\s*:\s*|www-authenticate\s*:\s*)[^\r\n]*")
_BEARER = re.compile(r"(?i)\b(bearer|basic|digest)\s+[A-Za-z0-9._~+/=\-]{4,}")
_SECRET_PAIR = re.compile(
    r"(?i)\b((?:[a-z0-9_\-]*?)(?:pass(?:word|wd)?|pwd|secret|token|api[_\-]?key|apikey"
    r"|auth|session|cookie|credentials?|response|nonce|cnonce|private[_\-]?key)[a-z0-9_\-]*)"
    r"(\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;&]+)"
)
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^\s/@:]*:[^\s/@]*@")
_SIP_USERINFO = re.compile(r"(?i)\b(sips?:)[^\s@;>]+@")
# e-mail addresses: local@domain.tld, conservative (finds, never validates)
_EMAIL_RE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
# any run of 7+ digits, with the separators phone numbers are written with: what the
# matcher misses (short local formats, numbers glued to words) does not survive either
_DIGIT_RUN = re.compile(r"\+?\d(?:[\s\-./()]?\d){6,}")
# what may still be a number once the runs are gone: 7+ digits among separators
_CANDIDATE = re.compile(r"\d(?:[\s\-./()+]{0,3}\d){6,}")


def scrub(text: str, *, region: str = "NL") -> str:
    """The log without call content, credentials, e-mail addresses and phone numbers."""
    text = _MESSAGE_BODY.sub(lambda m: m.group(1) + _CALL, text)
    text = _SDP.sub(lambda m: m.group(1) + "=" + _CALL, text)
    text = _PARTY.sub(lambda m: m.group(1) + " " + _CALL, text)
    text = _DTMF.sub(lambda m: m.group(1) + _CALL, text)
    text = _AUTH_HEADER.sub(lambda m: m.group(1) + _CREDENTIAL, text)
    text = _BEARER.sub(lambda m: m.group(1) + " " + _CREDENTIAL, text)
    text = _URL_USERINFO.sub(lambda m: m.group(1) + _CREDENTIAL + "@", text)
    text = _SIP_USERINFO.sub(lambda m: m.group(1) + _PHONE + "@", text)
    text = _SECRET_PAIR.sub(lambda m: m.group(1) + m.group(2) + _CREDENTIAL, text)
    text = _EMAIL_RE.sub(_EMAIL, text)
    return _phones(text, region)


def _phones(text: str, region: str) -> str:
    # every run of 7+ digits goes first (cheap); phonenumbers' matcher (~1 ms a candidate)
    # then looks only where digits are still written like a number: "+31 (0)20 ..."
    text = _DIGIT_RUN.sub(_PHONE, text)
    if _CANDIDATE.search(text) is None:
        return text
    matcher = phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID)
    spans = [(match.start, match.end) for match in matcher]
    for start, end in reversed(spans):
        text = text[:start] + _PHONE + text[end:]
    return text
