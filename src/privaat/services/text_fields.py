"""The one rule for every free-text field a person types: the JSON API now, every form later.

    value ──NFC──▶ line endings as "\\n" (multi-line) ──strip──▶ refused when it holds
        a NUL · a terminal escape (ESC, CSI) · a line break (single-line fields)
        · any other control character (a tab is text only in multi-line fields)
        · a bidirectional override or isolate · a lone surrogate
        · no visible character · a payment card number (P8, LEGAL L31)

``check_text`` is the rule as a plain function (forms call it); ``SingleLine`` and
``MultiLine`` are the same rule as pydantic validators: ``Annotated[str, Field(max_length=200),
SingleLine]``. A refusal names what is wrong in a sentence and never repeats the text, so a
refused card number reaches neither the database nor a log nor the problem document.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError
from stdnum import luhn

__all__ = [
    "MESSAGES",
    "MultiLine",
    "Refusal",
    "SingleLine",
    "TextRefused",
    "check_text",
    "has_card_number",
]


class Refusal(StrEnum):
    """Why a text is refused; the value is the pydantic error type after ``text_``."""

    NUL = "nul"  # C strings end at NUL: a database or a log may cut the text there
    ESCAPE = "escape"  # ESC or CSI starts a sequence a terminal obeys (a log read in a shell)
    LINE_BREAK = "line_break"  # in a header or a log line, a line break starts a new one
    CONTROL = "control"  # other C0/C1 controls and DEL: invisible, meaning nothing in text
    BIDI = "bidi"  # reorders what is shown against what is stored (CVE-2021-42574)
    SURROGATE = "surrogate"  # half of a UTF-16 pair: not text, cannot be stored as UTF-8
    INVISIBLE = "invisible"  # nothing a person can see, e.g. three zero-width spaces
    CARD_NUMBER = "card_number"  # P8, LEGAL L31: card data is never accepted


MESSAGES: dict[Refusal, str] = {
    Refusal.NUL: "NUL characters are not allowed.",
    Refusal.ESCAPE: "Terminal escape sequences are not allowed.",
    Refusal.LINE_BREAK: "Line breaks are not allowed in this field.",
    Refusal.CONTROL: "Control characters are not allowed.",
    Refusal.BIDI: "Bidirectional override and isolate characters are not allowed.",
    Refusal.SURROGATE: "The text is not valid Unicode.",
    Refusal.INVISIBLE: "Enter at least one visible character.",
    Refusal.CARD_NUMBER: "Payment card numbers are not accepted here; remove the number.",
}


class TextRefused(ValueError):
    """A text the rule refuses; the message is fit for the person who typed it."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__(MESSAGES[reason])
        self.reason = reason


# checked in this order, so a text with several faults always gets the same message
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 but tab and LF, DEL, C1 (ECMA-48 §5)
_COMMON = (
    (Refusal.NUL, re.compile("\x00")),
    (Refusal.ESCAPE, re.compile("[\x1b\x9b]")),  # ECMA-48 §5.4: ESC [ or CSI
)
_REST = (
    # Trojan Source (CVE-2021-42574): LRE RLE PDF LRO RLO and LRI RLI FSI PDI (UAX #9 §2);
    # the marks LRM, RLM and ALM stay allowed: right-to-left names may need them
    (Refusal.BIDI, re.compile("[\u202a-\u202e\u2066-\u2069]")),
    (Refusal.SURROGATE, re.compile("[\ud800-\udfff]")),
)
_SINGLE_LINE = (
    *_COMMON,
    # LF, VT, FF, CR, NEL and Unicode's line and paragraph separators (UAX #14 BK, CR, LF, NL)
    (Refusal.LINE_BREAK, re.compile("[\n\x0b\x0c\r\x85\u2028\u2029]")),
    (Refusal.CONTROL, re.compile(f"[\t{_CONTROLS}]")),
    *_REST,
)
_MULTI_LINE = (*_COMMON, (Refusal.CONTROL, re.compile(f"[{_CONTROLS}]")), *_REST)
# HTML sends a textarea's line breaks as CRLF (WHATWG HTML §4.10.11): store one kind
_LINE_END = re.compile("\r\n?|[\u2028\u2029]")

# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt, 15.1) is drawn as
# nothing, though some are letters (the Hangul fillers); so is the blank Braille pattern
_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
# visible: a letter, number, punctuation mark or symbol (general categories L, N, P, S);
# spaces, format characters and marks on their own are not
_VISIBLE_CATEGORIES = frozenset("LNPS")

# a card number as people type it: 13-19 digits (ISO/IEC 7812-1), in groups separated by
# one space or dash (also the no-break and thin spaces, hyphens and en dash of a paste);
# any decimal digit counts, fullwidth or Arabic-Indic too
_DIGIT_RUN = re.compile("\\d(?:[ \u00a0\u2007\u2009\u202f\\-\u2010-\u2013\u2212]?\\d)*")
_CARD_DIGITS = range(13, 20)


def check_text(value: str, *, multiline: bool) -> str:
    """The text in canonical form (NFC, trimmed, "\\n" line ends), or ``TextRefused``."""
    text = unicodedata.normalize("NFC", value)
    if multiline:
        text = _LINE_END.sub("\n", text)
    text = text.strip()
    for reason, pattern in _MULTI_LINE if multiline else _SINGLE_LINE:
        if pattern.search(text):
            raise TextRefused(reason)
    if not _has_visible(text):
        raise TextRefused(Refusal.INVISIBLE)
    if has_card_number(text):
        raise TextRefused(Refusal.CARD_NUMBER)
    return text


def _has_visible(text: str) -> bool:
    return any(
        unicodedata.category(char)[0] in _VISIBLE_CATEGORIES for char in _IGNORABLE.sub("", text)
    )


def has_card_number(text: str) -> bool:
    """Whether a stand-alone run of 13-19 digits passes the Luhn check (ISO/IEC 7812-1 Annex B).

    Only whole runs count, and only runs not glued to a letter: the digits of the IBAN
    "BE89 0539 0075 5185" pass the Luhn check, and a 20-digit reference would hold many
    Luhn-valid 16-digit windows.
    """
    for run in _DIGIT_RUN.finditer(text):
        start, end = run.span()
        if (start > 0 and text[start - 1].isalnum()) or (end < len(text) and text[end].isalnum()):
            continue
        digits = "".join(str(unicodedata.decimal(char)) for char in run.group() if char.isdecimal())
        if len(digits) in _CARD_DIGITS and luhn.is_valid(digits):
            return True
    return False


def _validator(*, multiline: bool) -> AfterValidator:
    def validate(value: str) -> str:
        try:
            return check_text(value, multiline=multiline)
        except TextRefused as refused:
            # a custom error carries our sentence as its message, without pydantic's
            # "Value error, " prefix; the input stays out of every message
            raise PydanticCustomError(f"text_{refused.reason}", str(refused)) from None

    return AfterValidator(validate)


# place after the Field(...) constraints, so that the length is checked first, on the text
# as sent, with pydantic's "at most N characters" (before this scan of the whole text)
SingleLine = _validator(multiline=False)
MultiLine = _validator(multiline=True)
