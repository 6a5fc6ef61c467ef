"""Which right an e-mail to the privacy mailbox asks for, from its Dutch or English words.

    "Graag wil ik inzage in mijn gegevens (art. 15 AVG)"  ──▶ ACCESS      (inzage, art. 15)
    "Please delete my account and all my data"           ──▶ ERASURE     (delete)
    "Haal mij uit uw mailinglijst"                        ──▶ OBJECTION   (to direct marketing)
    "Stuur een kopie en verwijder daarna alles"           ──▶ UNCLEAR     (access and erasure)
    "Ik heb een vraag over mijn factuur"                  ──▶ UNCLEAR     (no right named)

No form is required (art. 12(2), EDPB 01/2022 §52; LEGAL L54): any wording that makes the
right clear starts a request. Only a *clear* mail is classified: one right named by a
strong term (the right's own name, its article, a phrase that can mean nothing else). Two
rights, or only weak hints ("wijzigen", "aanpassen"), leave the request UNCLEAR with the
candidates for the privacy officer, who classifies it: a wrong guess would answer a
question nobody asked, and the deadline runs either way.

Pure: text in, a classification out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from privaat.domain.subject_requests import RequestKind

__all__ = ["Classification", "classify"]

K = RequestKind


def _article(number: int) -> str:
    # "art. 15", "artikel 15 AVG", "article 15 GDPR", "art.15"
    return rf"\bart(?:ikel|icle|\.)?\s*{number}\b"


# strong: the right's own name, its article, or a phrase that can mean nothing else
_STRONG: Mapping[RequestKind, tuple[str, ...]] = MappingProxyType(
    {
        K.ACCESS: (
            r"\binzage",
            r"\binzien\b",
            r"\bright (?:of|to) access\b",
            r"\b(?:data )?subject access\b",
            r"\baccess request\b",
            r"\bd?sar\b",
            r"\bkopie van (?:al |alle )?(?:mijn|de|uw) (?:persoons)?gegevens",
            r"\bkopie van (?:al |alle )?(?:de )?(?:persoons)?gegevens (?:die|welke)",
            r"\bcopy of (?:all )?(?:of )?(?:my|the) (?:personal )?(?:data|information)",
            r"\bwelke (?:persoons)?gegevens (?:u|jullie|flexibelt|heeft|hebben|bewaart|verwerkt)",
            r"\bwhat (?:personal )?(?:data|information) (?:do )?you "
            r"(?:hold|have|keep|store|process)",
            r"\b(?:all )?(?:the )?(?:personal )?data you (?:hold|have|keep|store) (?:on|about) me",
            # "een overzicht (te sturen) van mijn persoonsgegevens", "… van alle gegevens die"
            r"\boverzicht (?:\w+ ){0,3}?van (?:al |alle )?(?:mijn |de |uw )?(?:persoons)?gegevens",
            r"\bwat weten (?:jullie|u) (?:allemaal )?(?:over|van) mij\b",
            r"\bwhat do you know about me\b",
            _article(15),
        ),
        K.RECTIFICATION: (
            r"\brectific",
            r"\bcorrig",
            r"\bcorrectie\b",
            r"\bonjuist",
            r"\bklopt niet\b",
            r"\bniet (?:juist|correct|kloppen)\b",
            r"\binaccurate\b",
            r"\bincorrect\b",
            r"\bcorrect (?:my|the|this|these)\b",
            r"\b(?:is|are) (?:wrong|incorrect|out of date)\b",
            r"\bverkeerd (?:gespeld|geschreven)\b",
            # a field of the account with a verb of changing: "mijn telefoonnummer aanpassen"
            # ("wachtwoord wijzigen" is no right: the password is not among the fields)
            r"\b(?:naam|achternaam|voornaam|adres|woonadres|postcode|huisnummer|"
            r"telefoonnummer|e-?mailadres|geboortedatum) (?:\w+ ){0,3}?"
            r"(?:aanpassen|wijzigen|veranderen|bijwerken)\b",
            r"\b(?:wijzig|verander|pas) (?:mijn|het|de) (?:naam|achternaam|voornaam|adres|"
            r"woonadres|telefoonnummer|e-?mailadres|geboortedatum)\b",
            r"\b(?:update|change) my (?:name|surname|address|phone number|e-?mail address|"
            r"date of birth)\b",
            _article(16),
        ),
        K.ERASURE: (
            r"\bverwijder",
            r"\bwissen\b",
            r"\bwis (?:al |alle )?(?:mijn|de|me)\b",
            r"\bvergeten (?:te )?worden\b",
            r"\bvergetelheid\b",
            r"\bdelet(?:e|ed|ion)\b",
            r"\beras(?:e|ed|ure)\b",
            r"\bright to be forgotten\b",
            r"\bremove (?:all )?(?:of )?(?:my|me)\b",
            r"\baccount (?:opheffen|sluiten|opzeggen)\b",
            r"\bclose my account\b",
            _article(17),
        ),
        K.RESTRICTION: (
            r"\brecht op beperking\b",
            r"\bbeperking van (?:de )?(?:verwerking|gegevens)",
            r"\bverwerking (?:\w+ ){0,4}?(?:te )?beperk(?:en|t)\b",
            r"\bright to restrict",
            r"\brestrict(?:ion of)? (?:the )?(?:use|processing)\b",
            _article(18),
        ),
        K.PORTABILITY: (
            r"\boverdraag",
            r"\bdataportab",
            r"\bportab",
            r"\bmachineleesba",
            r"\bmachine[- ]readable\b",
            r"\btransfer (?:all )?(?:of )?my (?:personal )?data\b",
            # the data, not a domain or a number: "mijn domein overdragen" is no right
            r"\b(?:persoons)?gegevens (?:\w+ ){0,3}?(?:overdragen|overzetten|meenemen) naar\b",
            r"\b(?:overdragen|overzetten|meenemen) van (?:al |alle )?(?:mijn )?"
            r"(?:persoons)?gegevens",
            r"\bexport(?:eren)? (?:van )?(?:al )?(?:my|mijn)\b",
            _article(20),
        ),
        K.OBJECTION: (
            r"\bbezwaar",
            r"\bi object\b",
            r"\bobject(?:ion)? to\b",
            r"\bright to object\b",
            r"\bopt[- ]?out\b",
            r"\bunsubscribe\b",
            r"\bafmeld",
            r"\bmeld (?:mij|me) af\b",
            r"\bgeen (?:reclame|marketing|nieuwsbrie\w*|mailings?|aanbiedingen)\b",
            r"\bno (?:more )?(?:marketing|advertising|newsletters?|promotional)\b",
            r"\bniet (?:meer|langer) (?:gebruiken|verwerken|mailen|benaderen|e-?mailen)\b",
            r"\bstop (?:using|processing|sending|e-?mailing)\b",
            r"\bstop met (?:het )?(?:gebruiken|verwerken|mailen|sturen|versturen)\b",
            r"\bbel (?:mij|me) niet (?:meer|langer)\b",
            r"\bniet (?:meer|langer) (?:ge)?bell?en (?:\w+ ){0,2}?(?:voor|met) "
            r"(?:aanbiedingen|reclame)",
            _article(21),
        ),
    }
)

# "haal mij uit de mailinglijst", "remove me from your mailing list": an objection to direct
# marketing (art. 21(3)), not erasure, whatever the verb
_MAILING_LIST = re.compile(
    r"\b(?:verwijder|haal|schrap|remove|take)\w* (?:mij|me|my (?:e-?mail )?(?:address|adres)|mijn "
    r"(?:e-?mail)?adres) (?:\w+ ){0,3}?(?:uit|van|from|off) (?:de |het |uw |jullie |your |the )?"
    r"(?:mailing ?lijst|mailing ?list|nieuwsbrie\w*|newsletters?|e-?mail ?lijst|bestand"
    r"|verzendlijst|marketing)",
)

_NO_OBJECTION = re.compile(r"\b(?:geen|niet het minste) bezwaar\b|\bno objections?\b")

# weak: hints that alone do not make a right clear; shown to the privacy officer
_WEAK: Mapping[RequestKind, tuple[str, ...]] = MappingProxyType(
    {
        K.ACCESS: (r"\bmijn gegevens\b", r"\bmy (?:personal )?data\b", r"\bopvragen\b"),
        K.RECTIFICATION: (r"\bwijzig", r"\baanpass", r"\bverbeter", r"\bupdate\b", r"\bchange\b"),
        K.ERASURE: (r"\bweg(?:halen|doen)\b", r"\bremove\b"),
        K.RESTRICTION: (r"\bbeperk", r"\brestrict", r"\bblokkeren\b", r"\bfreeze\b"),
        K.PORTABILITY: (r"\bexport", r"\bdownload", r"\bcsv\b", r"\bjson\b"),
        K.OBJECTION: (r"\bstop\b", r"\bniet (?:meer|langer)\b", r"\bdirect marketing\b"),
    }
)

_COMPILED_STRONG = {kind: [re.compile(p) for p in ps] for kind, ps in _STRONG.items()}
_COMPILED_WEAK = {kind: [re.compile(p) for p in ps] for kind, ps in _WEAK.items()}


@dataclass(frozen=True, slots=True)
class Classification:
    """The right a mail asks for (UNCLEAR unless clear), the candidates and the words seen."""

    kind: RequestKind
    candidates: tuple[RequestKind, ...]  # every right named or hinted at, strongest first
    evidence: tuple[str, ...]  # the matched words, for the privacy officer's queue

    @property
    def clear(self) -> bool:
        return self.kind is not RequestKind.UNCLEAR


def _normalised(text: str) -> str:
    # NFKC folds full-width and ligature forms; case and runs of white space do not matter
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"\s+", " ", folded.replace("\u00ad", ""))


def classify(subject: str, text: str) -> Classification:
    """The right that the subject line and the mail's own text (quotes removed) ask for."""
    body = _normalised(f"{subject}\n{text}")
    strong: dict[RequestKind, list[str]] = {}
    # "ik heb geen bezwaar" says the opposite of an objection
    body = _NO_OBJECTION.sub(" ", body)
    mailing = _MAILING_LIST.search(body)
    if mailing:
        strong.setdefault(K.OBJECTION, []).append(mailing.group(0))
        body = body.replace(mailing.group(0), " ")  # its verb is no erasure
    for kind, patterns in _COMPILED_STRONG.items():
        for pattern in patterns:
            found = pattern.search(body)
            if found:
                strong.setdefault(kind, []).append(found.group(0).strip())
    weak: dict[RequestKind, list[str]] = {}
    for kind, patterns in _COMPILED_WEAK.items():
        if kind in strong:
            continue
        for pattern in patterns:
            found = pattern.search(body)
            if found:
                weak.setdefault(kind, []).append(found.group(0).strip())
    ranked = sorted(strong, key=lambda k: -len(strong[k])) + sorted(
        weak, key=lambda k: -len(weak[k])
    )
    evidence = tuple(word for kind in ranked for word in (strong.get(kind) or weak[kind]))
    kind = next(iter(strong)) if len(strong) == 1 else RequestKind.UNCLEAR
    return Classification(kind, tuple(ranked), evidence)
