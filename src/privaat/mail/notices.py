"""Security notices (P3, LEGAL L4): plain information, in the account's language, no promotion."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Notice(StrEnum):
    """The notices the system sends on its own; each is information the person needs."""

    PASSWORD_CHANGED = "password_changed"  # noqa: S105  (a notice name, not a password)
    NEW_DEVICE_LOGIN = "new_device_login"
    EMAIL_CHANGED = "email_changed"  # sent to the old and the new address
    SIGN_UP_ATTEMPT = "sign_up_attempt"  # someone tried to register an existing address
    ACCOUNT_CLOSED = "account_closed"


@dataclass(frozen=True, slots=True)
class NoticeText:
    subject: str
    body: str


_TEXTS: dict[tuple[Notice, str], NoticeText] = {
    (Notice.PASSWORD_CHANGED, "nl"): NoticeText(
        "Uw wachtwoord is gewijzigd",
        "Het wachtwoord van uw Flexibelt-account is zojuist gewijzigd. Was u dit niet? "
        "Neem dan direct contact met ons op via {contact}.",
    ),
    (Notice.PASSWORD_CHANGED, "en"): NoticeText(
        "Your password was changed",
        "The password of your account was just changed. If this was not you, "
        "contact us at once at {contact}.",
    ),
    (Notice.NEW_DEVICE_LOGIN, "nl"): NoticeText(
        "Nieuwe aanmelding op uw account",
        "Er is op {at} aangemeld op uw account vanaf een nieuw apparaat ({where}). "
        "Was u dit niet? Wijzig dan uw wachtwoord en neem contact op via {contact}.",
    ),
    (Notice.NEW_DEVICE_LOGIN, "en"): NoticeText(
        "New log-in to your account",
        "Someone logged in to your account on {at} from a new device ({where}). "
        "If this was not you, change your password and contact us at {contact}.",
    ),
    (Notice.EMAIL_CHANGED, "nl"): NoticeText(
        "Uw e-mailadres is gewijzigd",
        "Het e-mailadres van uw account is gewijzigd. Was u dit niet? "
        "Neem dan direct contact met ons op via {contact}.",
    ),
    (Notice.EMAIL_CHANGED, "en"): NoticeText(
        "Your e-mail address was changed",
        "The e-mail address of your account was changed. If this was not you, "
        "contact us at once at {contact}.",
    ),
    (Notice.SIGN_UP_ATTEMPT, "nl"): NoticeText(
        "Poging om een account aan te maken",
        "Iemand probeerde een nieuw account aan te maken met dit e-mailadres, waarvoor al een "
        "account bestaat. U hoeft niets te doen als u dit zelf was; u kunt gewoon inloggen.",
    ),
    (Notice.SIGN_UP_ATTEMPT, "en"): NoticeText(
        "Attempt to create an account",
        "Someone tried to create a new account with this e-mail address, which already has one. "
        "If that was you, nothing needs doing: just log in.",
    ),
    (Notice.ACCOUNT_CLOSED, "nl"): NoticeText(
        "Uw account is opgeheven",
        "Uw account is opgeheven. Uw gegevens worden verwijderd zoals beschreven in ons "
        "privacybeleid; gegevens met een wettelijke bewaarplicht bewaren wij tot die afloopt.",
    ),
    (Notice.ACCOUNT_CLOSED, "en"): NoticeText(
        "Your account was closed",
        "Your account was closed. Your data will be deleted as our privacy policy describes; "
        "data we must keep by law is kept until that period ends.",
    ),
}


def notice_text(notice: Notice, language: str, **values: str) -> NoticeText:
    """The notice in ``language`` (Dutch when the language is unknown), with values filled in."""
    text = _TEXTS.get((notice, language)) or _TEXTS[(notice, "nl")]
    return NoticeText(text.subject.format(**values), text.body.format(**values))
