"""Security notices (P3, L4): in the account's language, naming the provider only when told."""

from __future__ import annotations

import pytest

from privaat.mail.notices import Notice, NoticeText, notice_text

NOTICES = [pytest.param(notice, id=notice.value) for notice in Notice]
VALUES = {
    "contact": "privacy@voorbeeld.nl",
    "at": "26 november 2026 10:00",
    "where": "Utrecht",
    "activity": "Beveiligingslogboek",
    "grounds": "een aanval op accounts",
    "authority": "Autoriteit Persoonsgegevens",
    "complaint_url": "https://autoriteitpersoonsgegevens.nl",
    "until": "2026-12-31",
    "request": "Ja, stuur mij e-mail over producten en apps.",
    "link": "https://privaat.example/api/v1/account/email/verify?token=abc",
}


def _text(notice: Notice, language: str, provider: str | None = None) -> NoticeText:
    return notice_text(notice, language, provider=provider, **VALUES)


@pytest.mark.parametrize("notice", NOTICES)
def test_p3_every_notice_is_written_in_dutch_and_in_english(notice: Notice) -> None:
    dutch, english = _text(notice, "nl"), _text(notice, "en")
    assert dutch.subject and dutch.body and english.subject and english.body
    assert dutch.subject != english.subject and dutch.body != english.body
    for text in (dutch, english):
        assert "{" not in text.subject + text.body  # every placeholder filled


@pytest.mark.parametrize("notice", NOTICES)
@pytest.mark.parametrize("language", ["de", "", "xx-YY"])
def test_p3_an_unknown_language_gets_the_dutch_notice(notice: Notice, language: str) -> None:
    assert _text(notice, language) == _text(notice, "nl")


@pytest.mark.parametrize("notice", NOTICES)
@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_notice_names_no_provider_of_its_own(notice: Notice, language: str) -> None:
    text = _text(notice, language)
    assert "Flexibelt" not in text.subject + text.body


@pytest.mark.parametrize("notice", NOTICES)
@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_notice_names_the_provider_it_is_given(notice: Notice, language: str) -> None:
    named, neutral = _text(notice, language, "Voorbeeld B.V."), _text(notice, language)
    assert "Voorbeeld B.V." in named.body
    assert named.subject == neutral.subject


@pytest.mark.parametrize(
    ("provider", "body"),
    [
        pytest.param(
            None,
            "Het wachtwoord van uw account is zojuist gewijzigd. Was u dit niet? Neem dan direct "
            "contact met ons op via privacy@voorbeeld.nl.",
            id="neutral",
        ),
        pytest.param(
            "Flexibelt",
            "Het wachtwoord van uw account bij Flexibelt is zojuist gewijzigd. Was u dit niet? "
            "Neem dan direct contact met ons op via privacy@voorbeeld.nl.",
            id="provider",
        ),
    ],
)
def test_p3_the_dutch_password_notice_reads_as_written(provider: str | None, body: str) -> None:
    text = _text(Notice.PASSWORD_CHANGED, "nl", provider)
    assert text == NoticeText("Uw wachtwoord is gewijzigd", body)


def test_p3_the_new_device_notice_says_when_and_where() -> None:
    body = _text(Notice.NEW_DEVICE_LOGIN, "en", "Flexibelt").body
    assert body.startswith(
        "Someone logged in to your account with Flexibelt on 26 november 2026 10:00 from a new "
        "device (Utrecht)."
    )
