"""What an access answer must not hand over: other people's data (GDPR art. 15(4); LEGAL L62).

The one place the rule lives; ``services.subject_export`` applies it to every value it hands
over, so the ZIP, its JSON and CSV, and the original files are redacted alike. What stays is
the person's own (``Parties``: their addresses, phone numbers, IBANs and names, and the
controller's mailbox); what goes is anyone else's.

    column                      rule           what the person gets
    *.actor (access_log,        ACTOR          ``staff:<role>`` for ``staff:<id>:<role>``: who
      audit_log)                               acted, by role, never which employee (the
                                               activity stays in its own column)
    request_mails.raw  (.eml)   MAIL           the mail, still a parseable message: every address
                                               header (To, Cc, Bcc, Reply-To, Resent-*, …) keeps
                                               the person's own addresses and the privacy
                                               mailbox; any other address, with its display name,
                                               becomes ``redacted@redacted.invalid`` (RFC 2606);
                                               addresses in other headers likewise; the Subject
                                               and the text and HTML parts as TEXT, the display
                                               names taken out of the headers counting as
                                               other people's names
    subject_requests.details    FREE_TEXT      the request's fields, each string as TEXT
    call_recording_segments.    RECORDING      a two-channel WAV: the other party's channel
      audio  (.wav, .ogg)                      (the agent's, domain.call_recording) muted,
                                               every sample silent, the person's channel
                                               byte for byte as recorded, the same length;
                                               a valid WAV again (the header the standard
                                               library's ``wave`` writes: extra chunks such
                                               as LIST/INFO, which may name the agent, go).
                                               Mono (both voices mixed), more than two
                                               channels, or Ogg Opus (no decoder in the
                                               standard library): handed over as recorded,
                                               with a note in the manifest for the privacy
                                               officer to review; never a guess
    support_cases.title,        TEXT           the text with other people's e-mail addresses,
      .question; support_case_                 phone numbers, IBANs and names replaced by
      events.body; shop_orders.                ``redacted@redacted.invalid``, ``[redacted phone
      comment; request_                        number]``, ``[redacted IBAN]``, ``[redacted
      objections.grounds                       name]``

How TEXT finds them (measured on 70 hand-labelled Dutch and English texts,
tests/unit/render/fixtures/redaction_labelled.json: 109 third-party spans, 48 of the
person's own identifiers, 93 tricky strings that are no one's; recall 1.00, precision 0.98,
the two wrongly taken a helpdesk number and an order number shaped like a phone number;
the test fails below 0.98 / 0.90, or when one third-party phone or address is left):

    e-mail      the address pattern; kept when it is one of the person's (case-insensitive),
                or one of their phone numbers at a host (a SIP account: 0205550123@sip…)
    phone       ``phonenumbers``' matcher for the Netherlands (valid numbers only): 06-…,
                +31 6 …, 0031 …, 020 123 4567, (020) …, international numbers with + or 00;
                and any possible number written with + and its country code (+44 7700 …,
                a range the matcher holds invalid); kept when its E.164 form is one of the
                person's. Not taken for phones: a date with a time after it (04-12-2026
                14:30), a run glued to a code (INV-0201234567), IP addresses, versions,
                amounts, postcodes
    IBAN        a loose pattern (country, check digits, then letters and digits, single
                spaces allowed), shortened from the end until ``python-stdnum`` validates it
                (ISO 13616 mod 97); kept when its compact form is one of the person's
    name        each known name of another person (``Parties.others``), whole words, any
                case, any spacing between its words; never inside one of the person's own.
                Known: the names the service passes (the other customers whose address
                the person's texts name: services.subject_export), and in a mail the
                display names of the addresses taken out of its headers

What no rule can find: a name the system does not know as another person's (a neighbour
named only in the person's words, a staff member signing a reply), a foreign number written
nationally without its country code (07700 900123), an IBAN with a typo (its check digits
fail), and other people's data inside an attachment (a PDF): the privacy officer reviews a
mail with attachments. Taken out though no one's: a code shaped exactly like a phone number
(an order number 0612345678), and the company's own numbers in a reply (the policy names no
phone number of the controller to keep). Message-ID, In-Reply-To and References are
identifiers, not people's addresses, and stay.
Pure: no I/O.
"""

from __future__ import annotations

import io
import json
import re
import wave
from collections.abc import Iterable
from dataclasses import dataclass, field
from email import message_from_bytes
from email.header import Header, decode_header, make_header
from email.message import Message
from email.policy import compat32
from email.utils import formataddr, getaddresses
from enum import StrEnum
from typing import Any

import phonenumbers
from stdnum import iban as iban_number

from privaat.domain.call_recording import CUSTOMER_CHANNEL

__all__ = [
    "CHANNELS_NOTE",
    "IBAN_PLACEHOLDER",
    "MONO_NOTE",
    "MUTED_NOTE",
    "NAME_PLACEHOLDER",
    "OPUS_NOTE",
    "PHONE_PLACEHOLDER",
    "PLACEHOLDER",
    "Parties",
    "UNREAD_NOTE",
    "Rule",
    "addresses_in",
    "e164",
    "ibans_in",
    "redact_actor",
    "redact_addresses",
    "redact_free_text",
    "redact_mail",
    "redact_recording",
    "redact_text",
    "rule_for",
]

PLACEHOLDER = "redacted@redacted.invalid"  # RFC 2606: .invalid never resolves
PHONE_PLACEHOLDER = "[redacted phone number]"
IBAN_PLACEHOLDER = "[redacted IBAN]"
NAME_PLACEHOLDER = "[redacted name]"
REGION = "NL"  # how a number without a country code is read


class Rule(StrEnum):
    ACTOR = "actor"
    MAIL = "mail"
    FREE_TEXT = "free_text"  # a JSON document of fields (or text)
    TEXT = "text"  # text as typed: a note, a question, a comment
    RECORDING = "recording"  # a call's audio


_BY_COLUMN = {
    "request_mails.raw_enc": Rule.MAIL,
    "subject_requests.details_enc": Rule.FREE_TEXT,
    "support_cases.title_enc": Rule.TEXT,
    "support_cases.question_enc": Rule.TEXT,
    "support_case_events.body_enc": Rule.TEXT,
    "shop_orders.comment_enc": Rule.TEXT,
    "request_objections.grounds_enc": Rule.TEXT,
    "call_recording_segments.audio_enc": Rule.RECORDING,
}


def e164(number: str, region: str = REGION) -> str | None:
    """A phone number as typed in its E.164 form (``+31612345678``), or None when it is none."""
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _compact_iban(value: str) -> str:
    return "".join(value.split()).upper()


def ibans_in(values: Iterable[object]) -> frozenset[str]:
    """The values that are valid IBANs (ISO 13616), compact: a store's rows about the person
    hold their own."""
    found = set()
    for value in values:
        if isinstance(value, str) and 15 <= len(value) <= 42:
            compact = _compact_iban(value)
            if iban_number.is_valid(compact):
                found.add(compact)
    return frozenset(found)


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


@dataclass(frozen=True, slots=True)
class Parties:
    """Whose data a text holds: the person's own identifiers (and the controller's mailbox),
    which stay, and the names of other known people, which go. Build with ``of``: it
    normalises (addresses lower-case, phones E.164, IBANs compact, names by words)."""

    addresses: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()
    ibans: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    others: frozenset[str] = frozenset()
    _others_pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)
    _own_pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(
        cls,
        *,
        addresses: Iterable[str] = (),
        phones: Iterable[str] = (),
        ibans: Iterable[str] = (),
        names: Iterable[str] = (),
        others: Iterable[str] = (),
    ) -> Parties:
        own_names = frozenset(_name_key(name) for name in names if name and name.strip())
        # a name too short to be told from a word is no name to look for (``Jo``)
        other_names = frozenset(
            key
            for key in (_name_key(name) for name in others if name)
            if len(key) >= 3 and key not in own_names
        )
        return cls(
            addresses=frozenset(a.strip().lower() for a in addresses if a and a.strip()),
            phones=frozenset(filter(None, (e164(p) for p in phones if p))),
            ibans=frozenset(_compact_iban(i) for i in ibans if i and i.strip()),
            names=own_names,
            others=other_names,
            _others_pattern=_names_pattern(other_names),
            _own_pattern=_names_pattern(own_names),
        )

    def with_others(self, others: Iterable[str]) -> Parties:
        """The same, with more names of other people to take out."""
        more = frozenset(others)
        if not more:
            return self
        return Parties.of(
            addresses=self.addresses,
            phones=self.phones,
            ibans=self.ibans,
            names=self.names,
            others=self.others | more,
        )


def _names_pattern(names: frozenset[str]) -> re.Pattern[str] | None:
    if not names:
        return None
    # the longest first, so "Piet de Vries" is taken whole before "Piet"
    words = (r"\s+".join(re.escape(word) for word in name.split()) for name in names)
    alternatives = "|".join(sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _parties(keep: Parties | Iterable[str]) -> Parties:
    return keep if isinstance(keep, Parties) else Parties.of(addresses=keep)


# headers whose value is a list of mailboxes (RFC 5322 §3.6.2-3.6.6, RFC 3798, common MTAs)
_ADDRESS_HEADERS = frozenset(
    {
        "from",
        "sender",
        "reply-to",
        "to",
        "cc",
        "bcc",
        "resent-from",
        "resent-sender",
        "resent-to",
        "resent-cc",
        "resent-bcc",
        "disposition-notification-to",
        "return-receipt-to",
        "mail-followup-to",
        "mail-reply-to",
    }
)
# identifiers shaped like addresses that name no one (RFC 5322 §3.6.4)
_IDENTIFIERS = frozenset({"message-id", "in-reply-to", "references", "content-id"})
# headers people write in: read as TEXT (the others, Date or Received, only for addresses)
_WRITTEN_HEADERS = frozenset({"subject", "comments", "keywords", "thread-topic"})
_ADDRESS = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)
# a run of at least 7 digits with separators between them: the least a phone number is
_DIGIT_RUN = re.compile(r"\d(?:[\s\-./()]{0,3}\d){6}")
# a number written with its country code (+44 7700 900123): a phone when it is a possible
# one, even where the matcher finds no valid number (a range not yet or never allocated)
_INTERNATIONAL = re.compile(r"(?<![\w+])\+[1-9](?:[\s\-.()]{0,2}\d){7,14}(?!\d)")
# a date that the matcher took with the hour after it for a number: 04-12-2026 14
_DATE = re.compile(r"\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b")
# a code a number is glued to: INV-0201234567, ORD#0612345678
_CODE_BEFORE = re.compile(r"[A-Za-z][A-Za-z0-9]*[-_/#]$")
# country, check digits, then letters and digits with single spaces (ISO 13616: 15-34)
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,32}")

# a span found in a text: start, end, and its replacement (None: the person's own, it stays)
_Span = tuple[int, int, str | None]


def rule_for(table: str, column: str) -> Rule | None:
    """The redaction rule for ``table.column``, or None when it holds only the person's data."""
    if column == "actor":
        return Rule.ACTOR
    return _BY_COLUMN.get(f"{table}.{column}")


def redact_actor(actor: str) -> str:
    """``staff:<id>:<role>`` → ``staff:<role>``: the role that acted, not the employee."""
    if not actor.startswith("staff:"):
        return actor  # the person ("self"), a system job, a business customer (a controller)
    parts = actor.split(":")
    return f"staff:{parts[2]}" if len(parts) >= 3 and parts[2] else "staff"


def addresses_in(value: str | bytes) -> frozenset[str]:
    """Every e-mail address in a text, or in a mail as received (its headers and its text
    parts, decoded), lower-case: whom a text mentions."""
    if isinstance(value, str):
        return frozenset(match.group(0).lower() for match in _ADDRESS.finditer(value))
    message = message_from_bytes(value, policy=compat32)
    found = set(addresses_in(value.decode("latin-1")))
    for part in message.walk():
        if part.get_content_maintype() == "text" and not part.is_multipart():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                found |= addresses_in(payload.decode("utf-8", "replace"))
    return frozenset(found)


def redact_addresses(text: str, keep: Parties | Iterable[str]) -> str:
    """``text`` with every e-mail address not in ``keep`` replaced by the placeholder."""
    kept = _parties(keep).addresses
    return _ADDRESS.sub(lambda m: m.group(0) if m.group(0).lower() in kept else PLACEHOLDER, text)


def redact_text(text: str, keep: Parties | Iterable[str]) -> str:
    """``text`` with other people's e-mail addresses, phone numbers, IBANs and known names
    replaced by placeholders; the person's own (``keep``) stay. The very same string when
    there is nothing to take out."""
    parties = _parties(keep)
    taken: list[_Span] = []
    # in this order: a span found earlier wins (an address holds digits, an IBAN a number)
    for found in (
        _addresses(text, parties),
        _ibans(text, parties),
        _phones(text, parties),
        _names(text, parties),
    ):
        for span in found:
            if not any(span[0] < end and start < span[1] for start, end, _new in taken):
                taken.append(span)
    redacted = sorted((span for span in taken if span[2] is not None), key=lambda s: s[0])
    if not redacted:
        return text
    pieces, at = [], 0
    for start, end, new in redacted:
        pieces += [text[at:start], new or ""]
        at = end
    pieces.append(text[at:])
    return "".join(pieces)


def _addresses(text: str, parties: Parties) -> Iterable[_Span]:
    if "@" not in text:
        return
    for match in _ADDRESS.finditer(text):
        address = match.group(0).lower()
        own = address in parties.addresses or _own_number_at(address, parties)
        yield match.start(), match.end(), None if own else PLACEHOLDER


def _own_number_at(address: str, parties: Parties) -> bool:
    """Whether an address is one of the person's phone numbers at a host: a SIP account
    (``0205550123@sip.example``, RFC 3261 §19.1) is named by the number it rings."""
    local = address.split("@", 1)[0]
    if not parties.phones or not local.lstrip("+").isdigit():
        return False
    return e164(local) in parties.phones


def _ibans(text: str, parties: Parties) -> Iterable[_Span]:
    for match in _IBAN.finditer(text):
        candidate = match.group(0)
        # the pattern runs on into the next words ("NL91 ABNA 0417 1643 00 graag"): the
        # longest start of it that is a valid IBAN is the IBAN
        cut = len(candidate)
        while cut >= 15:
            piece = candidate[:cut].rstrip()
            compact = _compact_iban(piece)
            if len(compact) <= 34 and iban_number.is_valid(compact):
                own = compact in parties.ibans
                start = match.start()
                yield start, start + len(piece), None if own else IBAN_PLACEHOLDER
                break
            # one word shorter; a run without spaces one character shorter
            space = candidate.rfind(" ", 0, cut)
            cut = cut - 1 if space < 0 else space


def _phones(text: str, parties: Parties) -> Iterable[_Span]:
    if _DIGIT_RUN.search(text) is None:  # no run of digits long enough: no matcher
        return
    for match in phonenumbers.PhoneNumberMatcher(text, REGION):
        if _DATE.match(match.raw_string) or _CODE_BEFORE.search(text[: match.start]):
            continue
        number = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        own = number in parties.phones
        # "(0513 654321)": the matcher takes the opening bracket without the closing one
        start = (
            match.start + 1
            if match.raw_string[:1] == "(" and ")" not in match.raw_string
            else match.start
        )
        yield start, match.end, None if own else PHONE_PLACEHOLDER
    for found in _INTERNATIONAL.finditer(text):
        try:
            parsed = phonenumbers.parse(found.group(0), None)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(parsed):
            written = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
            mine = written in parties.phones
            yield found.start(), found.end(), None if mine else PHONE_PLACEHOLDER


def _names(text: str, parties: Parties) -> Iterable[_Span]:
    # the person's own names first: "Anna" of another never cuts into "Anna de Wit"
    if parties._own_pattern is not None:
        for match in parties._own_pattern.finditer(text):
            yield match.start(), match.end(), None
    if parties._others_pattern is not None:
        for match in parties._others_pattern.finditer(text):
            yield match.start(), match.end(), NAME_PLACEHOLDER


def redact_free_text(document: str, keep: Parties | Iterable[str]) -> str:
    """A JSON document (a request's fields) with other people's data taken out of every
    string (``redact_text``); a value that is not JSON is redacted as text."""
    parties = _parties(keep)
    try:
        value = json.loads(document)
    except ValueError:
        return redact_text(document, parties)
    redacted = _walk(value, parties)
    return document if redacted == value else json.dumps(redacted, ensure_ascii=False)


def _walk(value: Any, parties: Parties) -> Any:
    if isinstance(value, str):
        return redact_text(value, parties)
    if isinstance(value, list):
        return [_walk(item, parties) for item in value]
    if isinstance(value, dict):
        return {key: _walk(item, parties) for key, item in value.items()}
    return value


def redact_mail(raw: bytes, keep: Parties | Iterable[str]) -> bytes:
    """The mail as received with other people's data taken out, still a parseable
    message; the very same bytes when there is nothing to take out.

    Parsed by the standard library (``email``, the compat32 policy: its headers are the
    strings as received, so an untouched header is written back as it came, and parsing
    costs a third of the ``default`` policy's header objects)."""
    parties = _parties(keep)
    if not _may_hold_others(raw, parties):
        return raw
    message = message_from_bytes(raw, policy=compat32)
    # the names shown with other people's addresses are other people's names in the text
    parties = parties.with_others(_display_names(message, parties))
    changed = _redact_headers(message, parties)
    for part in message.walk():
        if part.get_content_maintype() == "text" and not part.is_multipart():
            changed |= _redact_part(part, parties)
    if not changed:
        return raw
    return message.as_bytes(policy=compat32)


def _may_hold_others(raw: bytes, parties: Parties) -> bool:
    """False only when nothing in the bytes is anyone else's and nothing is encoded
    (base64, quoted-printable or an RFC 2047 word could hide it): then nothing to parse."""
    text = raw.decode("latin-1")  # byte for byte: addresses are ASCII
    if any(match.group(0).lower() not in parties.addresses for match in _ADDRESS.finditer(text)):
        return True
    lowered = text.lower()
    if "=?" in text or "base64" in lowered or "quoted-printable" in lowered:
        return True
    head, _blank, body = text.partition("\r\n\r\n" if "\r\n\r\n" in text else "\n\n")
    written = [body, *(value for name, value in _header_lines(head) if name in _WRITTEN_HEADERS)]
    return any(redact_text(piece, parties) != piece for piece in written)


def _header_lines(head: str) -> Iterable[tuple[str, str]]:
    name, value = "", ""
    for line in head.splitlines():
        if line[:1] in (" ", "\t") and name:
            value += line
            continue
        if name:
            yield name, value
        name, _colon, value = line.partition(":")
        name = name.strip().lower()
    if name:
        yield name, value


def _display_names(message: Message, parties: Parties) -> set[str]:
    found: set[str] = set()
    for name, value in message.items():
        if name.lower() not in _ADDRESS_HEADERS:
            continue
        for display, address in getaddresses([str(value)]):
            if address and address.lower() not in parties.addresses and display:
                shown = _decoded(display).strip()
                if shown and "@" not in shown:
                    found.add(shown)
    return found


def _redact_headers(message: Message, parties: Parties) -> bool:
    headers = list(message.items())
    redacted = [(name, _header_value(name, value, parties)) for name, value in headers]
    if all(new is None for _name, new in redacted):
        return False
    # every header again in its place: delete them all, add them back in the order received
    for name in {name.lower() for name, _value in headers}:
        del message[name]
    for (name, value), (_same, new) in zip(headers, redacted, strict=True):
        message[name] = value if new is None else new
    return True


def _header_value(name: str, value: Any, parties: Parties) -> str | None:
    """The redacted value of one header, or None when it stays as it is."""
    lowered = name.lower()
    text = str(value)
    if lowered in _IDENTIFIERS:
        return None
    kept = parties.addresses
    if lowered in _ADDRESS_HEADERS:
        pairs = getaddresses([text])
        if all(address.lower() in kept for _name, address in pairs if address):
            return None
        chosen = [
            formataddr((_decoded(display), address), charset="utf-8")
            for display, address in pairs
            if address and address.lower() in kept
        ]
        return ", ".join([*chosen, PLACEHOLDER])
    readable = _decoded(text) if "=?" in text else text
    if lowered in _WRITTEN_HEADERS:
        new = redact_text(readable, parties)
    else:
        new = redact_addresses(readable, parties)
    if new == readable:
        return None
    return new if new.isascii() else Header(new, "utf-8").encode()


def _decoded(text: str) -> str:
    """An RFC 2047 header value as text (``=?utf-8?q?…?=`` words decoded)."""
    try:
        return str(make_header(decode_header(text)))
    except (LookupError, UnicodeError, ValueError):  # an unknown or lying charset
        return text


def _redact_part(part: Message, parties: Parties) -> bool:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return False
    charset = part.get_content_charset() or "utf-8"
    try:
        content = payload.decode(charset, "replace")
    except LookupError:  # an unknown charset: read as UTF-8, as the intake does
        content = payload.decode("utf-8", "replace")
    new = redact_text(content, parties)
    if new == content:
        return False
    # written back as UTF-8 under a transfer encoding the new text is sure to fit
    del part["Content-Transfer-Encoding"]
    part.set_payload(new, charset="utf-8")
    return True


# what the manifest says of a recording, for the privacy officer (English, as the manifest)
MUTED_NOTE = (
    "art. 15(4): the other party's channel (the agent's, channel 2 of 2) is muted; "
    "the person's channel is as recorded"
)
MONO_NOTE = (
    "art. 15(4): a mono recording, both voices mixed: the other party's voice cannot be "
    "taken out and is in it; for the privacy officer to review before it is sent"
)
CHANNELS_NOTE = (
    "art. 15(4): a recording of {channels} channels, whose is which is not known: not "
    "separated, the other party's voice is in it; for the privacy officer to review"
)
UNREAD_NOTE = (
    "art. 15(4): a recording the standard library cannot read: its channels are not "
    "separated and the other party's voice may be in it; for the privacy officer to review"
)
OPUS_NOTE = (
    "art. 15(4): an Ogg Opus recording, not decoded here: its channels are not separated "
    "and the other party's voice is in it; for the privacy officer to review"
)


def redact_recording(audio: bytes) -> tuple[bytes, str]:
    """A call's audio with the other party's channel muted, and the note the manifest
    carries for it: a two-channel PCM WAV comes back with every sample of the agent's
    channel silent (0, or 128 for 8-bit PCM, which is unsigned) and the customer's channel
    byte for byte, the same number of frames at the same rate; anything else comes back as
    it is, with a note that says why and asks the privacy officer to review it."""
    if audio[:4] == b"OggS":
        return audio, OPUS_NOTE
    try:
        with wave.open(io.BytesIO(audio), "rb") as sound:
            params = sound.getparams()
            frames = bytearray(sound.readframes(params.nframes))
    except (wave.Error, EOFError, ValueError):
        return audio, UNREAD_NOTE
    if params.nchannels == 1:
        return audio, MONO_NOTE
    if params.nchannels != 2:
        return audio, CHANNELS_NOTE.format(channels=params.nchannels)
    width = params.sampwidth
    silence = 0x80 if width == 1 else 0  # WAV: 8-bit samples unsigned, wider signed
    other = 1 - CUSTOMER_CHANNEL
    for byte in range(width):  # each byte of each of the other channel's samples
        where = slice(other * width + byte, None, 2 * width)
        frames[where] = bytes([silence]) * len(range(*where.indices(len(frames))))
    out = io.BytesIO()
    with wave.open(out, "wb") as muted:
        muted.setparams(params)
        muted.writeframes(bytes(frames))
    return out.getvalue(), MUTED_NOTE
