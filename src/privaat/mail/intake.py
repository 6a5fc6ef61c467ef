"""A mail to the privacy mailbox, read as a request: who sent it, what they wrote, which right.

    raw bytes ──email.message_from_bytes(policy=default)──▶ EmailMessage
        │  From / Subject (RFC 2047 decoded) / Message-ID / In-Reply-To / References
        │  body: text/plain, else text/html turned into text; any transfer encoding;
        │        an unknown or lying charset read as UTF-8, else Windows-1252, never refused
        ▼
    the person's own words: quoted replies ("> ", "Op … schreef …:", "-----Original
    Message-----", Outlook's "Van: … Verzonden: …"), signatures ("-- ") and "Sent from my
    iPhone" cut off
        ▼
    IncomingRequestMail(sender, subject, text, classification)

The standard library parses every MIME part (LEGAL L54: real mail is quoted-printable,
base64, HTML-only, encoded headers); nothing here splits MIME by hand. No I/O: the SMTP
listener hands the bytes in, the service stores what comes out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.policy import default
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser

from privaat.domain.request_kinds import Classification, classify

__all__ = [
    "IncomingRequestMail",
    "automatic_reason",
    "guess_language",
    "own_words",
    "read_request_mail",
]

MAX_TEXT = 20_000  # characters of the person's own words kept; a request is never that long


@dataclass(frozen=True, slots=True)
class IncomingRequestMail:
    """What a mail to the privacy mailbox says, ready to become a request."""

    sender: str | None  # the From address (addr-spec), None when missing or unreadable
    sender_name: str
    subject: str
    text: str  # the person's own words, quotes and signature removed
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    sent_at: datetime | None  # the Date header, when it parses (the sender's clock)
    classification: Classification
    language: str  # "nl" or "en": the language to answer in when no account says it


def read_request_mail(raw: bytes) -> IncomingRequestMail:
    """Parse a mail as received (all of its bytes) into a request's fields."""
    message = message_from_bytes(raw, policy=default)
    assert isinstance(message, EmailMessage)  # noqa: S101  (policy=default makes one)
    sender, name = _sender(message)
    subject = _header(message, "Subject")
    text = own_words(_body_text(message))[:MAX_TEXT]
    return IncomingRequestMail(
        sender=sender,
        sender_name=name,
        subject=subject,
        text=text,
        message_id=_header(message, "Message-ID") or None,
        in_reply_to=_header(message, "In-Reply-To") or None,
        references=tuple(_header(message, "References").split()),
        sent_at=_date(message),
        classification=classify(subject, text),
        language=guess_language(f"{subject}\n{text}"),
    )


# --- mail that no person wrote ------------------------------------------------------------

# RFC 3834 §5: "Auto-Submitted: no" is the only value a person's mail carries
_PRECEDENCE_AUTOMATIC = frozenset({"bulk", "junk", "list", "auto_reply"})
# what common auto-responders set instead (Outlook's X-Auto-Response-Suppress is not one:
# it asks others not to answer, and a person's mail may carry it)
_AUTOREPLY_HEADERS = ("X-Autoreply", "X-Autorespond")


def automatic_reason(raw: bytes, *, envelope_sender: str | None = None) -> str | None:
    """Why a mail is automatic (an out-of-office reply, a bounce, a list's mail), or None for
    a mail a person wrote. Automatic mail starts no request and gets no acknowledgement: an
    answer to an auto-reply is how two robots mail each other forever (RFC 3834 §2)."""
    headers = BytesHeaderParser(policy=default).parsebytes(raw)
    assert isinstance(headers, EmailMessage)  # noqa: S101  (policy=default makes one)
    null_path = envelope_sender is not None and not envelope_sender.strip("<> ")
    if null_path and _header(headers, "From"):
        # RFC 5321 §4.5.5: bounces come from the null reverse-path (a mail with no address
        # at all is refused by the mailbox instead: there is no one to answer)
        return "null reverse-path (a delivery report)"
    submitted = _header(headers, "Auto-Submitted").lower()
    if submitted and submitted.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {submitted} (RFC 3834)"
    precedence = _header(headers, "Precedence").lower()
    if precedence in _PRECEDENCE_AUTOMATIC:
        return f"Precedence: {precedence}"
    for name in _AUTOREPLY_HEADERS:
        if _header(headers, name):
            return f"{name} header"
    if headers.get_content_type() == "multipart/report":  # RFC 6522: DSN, MDN, ARF
        return "multipart/report (a delivery or read report)"
    return None


# --- headers -----------------------------------------------------------------------------


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # a header the parser cannot make sense of
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _sender(message: EmailMessage) -> tuple[str | None, str]:
    try:
        header = message.get("From")
        addresses: tuple[Address, ...] = getattr(header, "addresses", ())
    except (ValueError, IndexError, TypeError):
        return None, ""
    for address in addresses:
        # RFC 5322 §3.4: "Display Name <local@domain>"; a group or a bare name has no address
        if address.username and address.domain:
            return address.addr_spec.lower(), address.display_name
    return None, ""


def _date(message: EmailMessage) -> datetime | None:
    raw = _header(message, "Date")
    try:
        return parsedate_to_datetime(raw) if raw else None
    except (TypeError, ValueError, IndexError):
        return None


# --- the body ----------------------------------------------------------------------------


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = _decoded(part)
    return _html_text(text) if part.get_content_subtype() == "html" else text


def _decoded(part: Message) -> str:
    payload = part.get_payload(decode=True)  # undoes base64 / quoted-printable
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    for candidate in (charset, "utf-8", "cp1252"):
        try:
            return payload.decode(candidate)
        except (LookupError, UnicodeDecodeError):  # an unknown or a lying charset
            continue
    return payload.decode("latin-1")  # every byte is a character: never refused


class _HtmlText(HTMLParser):
    """The visible text of an HTML mail, without quoted replies (blockquote, Gmail's quote)."""

    _BLOCK = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "table", "hr"})
    _HIDDEN = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip: list[str] = []  # the open elements whose content is not the person's

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip:
            if tag not in ("br", "hr", "img", "meta", "link", "input"):
                self._skip.append(tag)
            return
        classes = " ".join(v or "" for k, v in attrs if k in ("class", "id"))
        # a quoted reply: <blockquote>, Gmail's gmail_quote, Outlook's divRplyFwdMsg
        quoted = tag == "blockquote" or re.search(r"gmail_quote|divRplyFwdMsg|moz-cite", classes)
        if tag in self._HIDDEN or quoted:
            self._skip.append(tag)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self._skip:
            if self._skip[-1] == tag:
                self._skip.pop()
            return
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _html_text(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


# where the person's own words end: a reply header, a signature, a mobile footer
_CUT = re.compile(
    r"^(?:"
    r"-- ?$"  # RFC 3676 §4.3 signature separator
    r"|_{5,}\s*$"  # Outlook's rule above a forwarded or quoted message
    r"|-{3,}\s*(?:original message|oorspronkelijk bericht|doorgestuurd bericht"
    r"|forwarded message)\s*-{3,}"
    # "Op di 1 dec. 2026 om 10:00 schreef Flexibelt <" + "euprivacy@…>:": wrapped either side
    r"|(?:on|op) [^\n]{4,200}(?:\n[^\n]{0,120})?\b(?:wrote|schreef|geschreven)\b"
    r"[^\n]{0,200}(?:\n[^\n]{0,120})?:\s*$"
    r"|(?:from|van): .+\n(?:(?:sent|date|verzonden|datum|to|aan): .+\n?)+"
    r"|(?:sent from my|verzonden (?:vanaf|met) mijn|verstuurd (?:vanaf|met) mijn) \w+"
    r")",
    re.IGNORECASE | re.MULTILINE,
)


def own_words(text: str) -> str:
    """``text`` without quoted lines, the quoted reply below it, and the signature."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    cut = _CUT.search(text)
    if cut is not None:
        text = text[: cut.start()]
    lines = [line.rstrip() for line in text.split("\n") if not line.lstrip().startswith(">")]
    return "\n".join(lines).strip()


# the commonest short words of each language: enough to tell Dutch from English mail
_DUTCH = frozenset(
    "de het een en ik mijn u uw van dat niet graag wil met voor zijn is op te naar alle "
    "gegevens verzoek bedankt groet vriendelijke".split()
)
_ENGLISH = frozenset(
    "the a an and i my you your of that not please want with for is are on to all data "
    "request thanks regards kind dear".split()
)


def guess_language(text: str) -> str:
    """Dutch unless the text has clearly more English words than Dutch ones."""
    words = re.findall(r"[a-z]+", text.casefold())
    dutch = sum(word in _DUTCH for word in words)
    english = sum(word in _ENGLISH for word in words)
    return "en" if english > dutch else "nl"
