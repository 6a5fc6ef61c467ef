"""Which right a mail asks for, in Dutch or English (issue 11 item 1; LEGAL L54).

A mail is classified only when it is clear; otherwise it stays UNCLEAR with the candidates,
for the privacy officer.
"""

from __future__ import annotations

import pytest

from privaat.domain.request_kinds import classify
from privaat.domain.subject_requests import RequestKind

K = RequestKind


@pytest.mark.parametrize(
    ("subject", "text", "expected"),
    [
        # access (art. 15)
        ("Inzageverzoek AVG", "Graag ontvang ik een overzicht.", K.ACCESS),
        ("", "Welke persoonsgegevens heeft Flexibelt van mij?", K.ACCESS),
        ("", "Ik verzoek u op grond van artikel 15 AVG om een kopie.", K.ACCESS),
        ("Subject access request", "Please respond within one month.", K.ACCESS),
        ("", "What personal data do you hold about me?", K.ACCESS),
        ("", "Ik wil graag een kopie van mijn gegevens.", K.ACCESS),
        (
            "AVG-verzoek",
            "Hierbij verzoek ik u mij een overzicht te sturen van mijn persoonsgegevens.",
            K.ACCESS,
        ),
        ("", "Graag een overzicht van alle gegevens die u van mij verwerkt.", K.ACCESS),
        ("", "Wat weten jullie over mij?", K.ACCESS),
        # rectification (art. 16)
        ("", "Mijn adres klopt niet, wilt u het corrigeren?", K.RECTIFICATION),
        ("", "My date of birth in your records is wrong. Please correct my data.", K.RECTIFICATION),
        ("Rectificatie", "Mijn achternaam is onjuist gespeld.", K.RECTIFICATION),
        ("", "Mijn naam is verkeerd gespeld: Jansen met een s.", K.RECTIFICATION),
        ("", "Kunt u mijn telefoonnummer aanpassen naar 06 12345678?", K.RECTIFICATION),
        ("", "Please update my address to Main Street 1.", K.RECTIFICATION),
        # erasure (art. 17)
        ("", "Verwijder al mijn gegevens alstublieft.", K.ERASURE),
        ("Right to be forgotten", "I want you to erase everything.", K.ERASURE),
        ("", "Please delete my account.", K.ERASURE),
        ("", "Ik wil mijn account opheffen en vergeten worden.", K.ERASURE),
        # restriction (art. 18)
        ("", "Ik vraag om beperking van de verwerking tot het geschil is opgelost.", K.RESTRICTION),
        ("", "Please restrict the processing of my phone number.", K.RESTRICTION),
        ("Beperking", "Ik wil dat u de verwerking van mijn gegevens beperkt.", K.RESTRICTION),
        # portability (art. 20)
        ("Dataportabiliteit", "Graag in een machineleesbaar formaat.", K.PORTABILITY),
        ("", "I'd like to transfer my data to another provider (art. 20).", K.PORTABILITY),
        ("Overstap", "Kunt u mijn gegevens overdragen naar mijn nieuwe provider?", K.PORTABILITY),
        # objection (art. 21)
        ("", "Ik maak bezwaar tegen direct marketing.", K.OBJECTION),
        ("Afmelden", "Ik wil geen nieuwsbrief meer.", K.OBJECTION),
        ("", "Haal mij uit uw mailinglijst.", K.OBJECTION),
        ("", "Please remove me from your mailing list.", K.OBJECTION),
        ("", "Verwijder mijn e-mailadres uit de nieuwsbrief.", K.OBJECTION),
        ("", "I object to the use of my location for marketing.", K.OBJECTION),
        ("", "Bel me niet meer voor aanbiedingen.", K.OBJECTION),
    ],
)
def test_L54_a_clear_mail_names_its_right(subject: str, text: str, expected: RequestKind) -> None:
    result = classify(subject, text)
    assert result.kind is expected, result
    assert result.clear
    assert result.candidates[0] is expected


@pytest.mark.parametrize(
    ("text", "candidates"),
    [
        pytest.param(
            "Stuur mij een kopie van mijn gegevens en verwijder daarna alles.",
            {K.ACCESS, K.ERASURE},
            id="two-rights",
        ),
        pytest.param("Ik heb een vraag over mijn factuur.", set(), id="no-right"),
        pytest.param(
            "Kunt u iets aanpassen aan mijn abonnement?", {K.RECTIFICATION}, id="weak-only"
        ),
        # an ISP's everyday requests that name no right: a domain transfer, a new password,
        # the invoices
        pytest.param("Kunt u mijn domein overdragen naar een andere provider?", set(), id="domain"),
        pytest.param("Ik wil mijn wachtwoord wijzigen.", {K.RECTIFICATION}, id="password"),
        pytest.param("Kunt u mij een overzicht van mijn facturen sturen?", set(), id="invoices"),
    ],
)
def test_L54_an_unclear_mail_stays_unclear_with_its_candidates(
    text: str, candidates: set[RequestKind]
) -> None:
    result = classify("", text)
    assert result.kind is K.UNCLEAR
    assert not result.clear
    assert set(result.candidates) == candidates


def test_geen_bezwaar_is_no_objection() -> None:
    result = classify(
        "", "Ik heb er geen bezwaar tegen dat u mij belt. Verwijder wel mijn account."
    )
    assert result.kind is K.ERASURE


def test_ik_wist_het_niet_is_no_erasure() -> None:
    assert classify("", "Ik wist niet dat u mijn gegevens bewaarde.").kind is K.UNCLEAR


def test_case_white_space_and_soft_hyphens_do_not_matter() -> None:
    assert classify("", "VERWIJ\u00adDER   MIJN\n GEGEVENS").kind is K.ERASURE
