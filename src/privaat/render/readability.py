"""A pure readability check for the public Dutch texts: sentence length, jargon, terms.

The statement must read at B1 (issue 9): sentences of at most 25 words, no jargon in the
first layer, and one word for one thing ("privacyverklaring", never "privacybeleid"; "we",
never "wij"). The unit tests apply these checks to the catalogue strings the statement uses,
to the policy file's public texts and to the rendered first layer, so a new text that breaks
them fails CI instead of reaching a reader.

No I/O and no imports from the rest of privaat: text in, findings out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "BANNED_FIRST_LAYER",
    "MAX_SENTENCE_WORDS",
    "PREFERRED_TERMS",
    "WORDS_PER_MINUTE",
    "Finding",
    "banned_terms",
    "check",
    "count_words",
    "inconsistent_terms",
    "long_sentences",
    "reading_minutes",
    "split_sentences",
]

MAX_SENTENCE_WORDS = 25
WORDS_PER_MINUTE = 200  # an average adult's silent reading speed for plain text
# legal jargon a B1 reader does not know; the first layer must do without it
BANNED_FIRST_LAYER = ("materieel", "materiële", "dwingende gerechtvaardigde gronden")
# the word the statement uses → the words it must not use for the same thing
PREFERRED_TERMS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"privacyverklaring": ("privacybeleid",), "we": ("wij",)}
)

# a full stop after these does not end a sentence: "art. 6", "bijv. een", "B.V. levert"
_ABBREVIATIONS = frozenset(
    """art bijv o.a nr e.g i.e etc incl ca d.w.z enz zgn m.b.t t.a.v b.v n.v inc ltd
    s.à r.l s.c.a cie stcrt jo lid vs mr dr ir""".split()
)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]*\s+")
_WORD = re.compile(r"[^\W_](?:[\w'’@./:+()-]*[^\W_])?")


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in one text: which rule, and the words that break it."""

    rule: str  # "sentence-length", "jargon", "term"
    text: str  # the sentence or the word found
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.rule}: {self.detail + ': ' if self.detail else ''}{self.text}"


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``; a full stop after an abbreviation or an initial ends none.

    Line breaks end a sentence too: a list item or a heading is a sentence of its own.
    """
    sentences: list[str] = []
    for line in text.splitlines():
        current = ""
        for piece in _SENTENCE_END.split(line.strip()):
            current = f"{current} {piece}".strip() if current else piece
            if not _ends_in_abbreviation(current):
                sentences.append(current)
                current = ""
        if current:
            sentences.append(current)
    return [s for s in sentences if count_words(s)]


def _ends_in_abbreviation(sentence: str) -> bool:
    if not sentence.endswith("."):
        return False
    last = sentence.rsplit(None, 1)[-1].rstrip(".").lstrip("(").lower()
    # "art." and "bijv." by name; "P." or "2." (an initial or a numbered clause) by shape
    return last in _ABBREVIATIONS or len(last) == 1


def count_words(text: str) -> int:
    """The number of words: "e-mailadres", "6(1)(f)" and a web address each count once."""
    return len(_WORD.findall(text))


def long_sentences(text: str, limit: int = MAX_SENTENCE_WORDS) -> list[str]:
    """The sentences of ``text`` with more than ``limit`` words."""
    return [s for s in split_sentences(text) if count_words(s) > limit]


def banned_terms(text: str, banned: Iterable[str] = BANNED_FIRST_LAYER) -> list[str]:
    """The banned words or phrases ``text`` uses, as whole words, ignoring case."""
    return [term for term in banned if _contains(text, term)]


def inconsistent_terms(
    text: str, preferred: Mapping[str, tuple[str, ...]] = PREFERRED_TERMS
) -> list[tuple[str, str]]:
    """(the word used, the word to use instead) for each inconsistent term in ``text``."""
    return [
        (avoided, term)
        for term, avoided_terms in preferred.items()
        for avoided in avoided_terms
        if _contains(text, avoided)
    ]


def reading_minutes(words: int, per_minute: int = WORDS_PER_MINUTE) -> int:
    """Minutes to read ``words`` at ``per_minute``, rounded up: 250 words take 2 minutes."""
    return max(1, math.ceil(words / per_minute))


def check(
    text: str,
    *,
    limit: int = MAX_SENTENCE_WORDS,
    banned: Iterable[str] = (),
    preferred: Mapping[str, tuple[str, ...]] = PREFERRED_TERMS,
) -> list[Finding]:
    """Every finding in ``text``: long sentences, the ``banned`` terms, inconsistent terms."""
    findings = [
        Finding("sentence-length", sentence, f"{count_words(sentence)} words")
        for sentence in long_sentences(text, limit)
    ]
    findings += [Finding("jargon", term) for term in banned_terms(text, banned)]
    findings += [
        Finding("term", used, f"use {instead!r}")
        for used, instead in inconsistent_terms(text, preferred)
    ]
    return findings


def _contains(text: str, term: str) -> bool:
    pattern = r"(?<![\w-])" + r"\s+".join(map(re.escape, term.split())) + r"(?![\w-])"
    return re.search(pattern, text, flags=re.IGNORECASE) is not None
