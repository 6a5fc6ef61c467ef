"""Security notices (P3, LEGAL L4): plain information, in the account's language, no promotion.

The texts are English msgids translated by the catalogue (``privaat.i18n``). They name no
provider of their own: given ``provider`` (the controller's name), a notice says "your account
with Flexibelt"; without it, "your account".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from privaat.i18n import N_, translations

__all__ = ["UNKNOWN_LOCATION", "Notice", "NoticeText", "notice_text"]


class Notice(StrEnum):
    """The notices the system sends on its own; each is information the person needs."""

    PASSWORD_CHANGED = "password_changed"  # noqa: S105  (a notice name, not a password)
    NEW_DEVICE_LOGIN = "new_device_login"
    EMAIL_CHANGED = "email_changed"  # sent to the old and the new address
    VERIFY_EMAIL = "verify_email"  # the link that proves the sign-up address (issue 5 item 11)
    CONFIRM_EMAIL_CHANGE = "confirm_email_change"  # the link to the new address of a change
    EMAIL_CHANGE_REQUESTED = "email_change_requested"  # to the current address, at the request
    EMAIL_IN_USE = "email_in_use"  # to a new address that already has an account
    SIGN_UP_ATTEMPT = "sign_up_attempt"  # someone tried to register an existing address
    # the same, for a closed account that is still kept: says until when (P20, L52)
    SIGN_UP_CLOSED_ACCOUNT = "sign_up_closed_account"
    ACCOUNT_CLOSED = "account_closed"
    # P20, L52: the account counts as inactive under the policy; closed on {until} unless the
    # person logs in (services.inactivity)
    ACCOUNT_INACTIVE = "account_inactive"
    # art. 21(1): the controller records compelling grounds against an objection; the person
    # is told what continues, why, and where to complain (art. 12(4), 77)
    OBJECTION_OVERRIDDEN = "objection_overridden"
    # issue 14 item 5: the double opt-in's link; the consent counts only once it is opened
    CONFIRM_CONSENT = "confirm_consent"


@dataclass(frozen=True, slots=True)
class NoticeText:
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class _Msgids:
    subject: str
    body: str  # names no provider
    body_with_provider: str  # the same, naming the account's provider as {provider}


_TEXTS: Mapping[Notice, _Msgids] = MappingProxyType(
    {
        Notice.PASSWORD_CHANGED: _Msgids(
            N_("Your password was changed"),
            N_(
                "The password of your account was just changed. If this was not you, "
                "contact us at once at {contact}."
            ),
            N_(
                "The password of your account with {provider} was just changed. If this was "
                "not you, contact us at once at {contact}."
            ),
        ),
        Notice.NEW_DEVICE_LOGIN: _Msgids(
            N_("New log-in to your account"),
            N_(
                "Someone logged in to your account on {at} from a new device ({where}). "
                "If this was not you, change your password and contact us at {contact}."
            ),
            N_(
                "Someone logged in to your account with {provider} on {at} from a new device "
                "({where}). If this was not you, change your password and contact us at "
                "{contact}."
            ),
        ),
        Notice.EMAIL_CHANGED: _Msgids(
            N_("Your e-mail address was changed"),
            N_(
                "The e-mail address of your account was changed. If this was not you, "
                "contact us at once at {contact}."
            ),
            N_(
                "The e-mail address of your account with {provider} was changed. If this was "
                "not you, contact us at once at {contact}."
            ),
        ),
        Notice.VERIFY_EMAIL: _Msgids(
            N_("Confirm your e-mail address"),
            N_(
                "Please confirm that this e-mail address is yours by opening this link within "
                "48 hours: {link}. Did you not create an account? Then ignore this message."
            ),
            N_(
                "Please confirm that this e-mail address is yours for your account with "
                "{provider} by opening this link within 48 hours: {link}. Did you not create an "
                "account? Then ignore this message."
            ),
        ),
        Notice.CONFIRM_EMAIL_CHANGE: _Msgids(
            N_("Confirm your new e-mail address"),
            N_(
                "Someone asked to use this e-mail address for an account. If that was you, "
                "open this link within 48 hours: {link}. Until then nothing changes."
            ),
            N_(
                "Someone asked to use this e-mail address for an account with {provider}. If "
                "that was you, open this link within 48 hours: {link}. Until then nothing "
                "changes."
            ),
        ),
        Notice.CONFIRM_CONSENT: _Msgids(
            N_("Confirm your choice: {activity}"),
            N_(
                'You asked for this: "{request}" It counts only when you confirm it by '
                "opening this link before {until}: {link}. Until then nothing changes. Did you "
                "not ask for it? Then ignore this message; the request expires by itself."
            ),
            N_(
                'In your account with {provider} you asked for this: "{request}" It counts '
                "only when you confirm it by opening this link before {until}: {link}. Until "
                "then nothing changes. Did you not ask for it? Then ignore this message; the "
                "request expires by itself."
            ),
        ),
        Notice.EMAIL_CHANGE_REQUESTED: _Msgids(
            N_("Change of your e-mail address requested"),
            N_(
                "A change of the e-mail address of your account was requested. It takes effect "
                "only when the new address confirms it. If this was not you, change your "
                "password and contact us at once at {contact}."
            ),
            N_(
                "A change of the e-mail address of your account with {provider} was requested. "
                "It takes effect only when the new address confirms it. If this was not you, "
                "change your password and contact us at once at {contact}."
            ),
        ),
        Notice.EMAIL_IN_USE: _Msgids(
            N_("This e-mail address already has an account"),
            N_(
                "Someone asked to use this e-mail address for another account, but it already "
                "has one. Nothing was changed. If that was you, just log in with this address."
            ),
            N_(
                "Someone asked to use this e-mail address for another account with {provider}, "
                "but it already has one. Nothing was changed. If that was you, just log in with "
                "this address."
            ),
        ),
        Notice.SIGN_UP_ATTEMPT: _Msgids(
            N_("Attempt to create an account"),
            N_(
                "Someone tried to create a new account with this e-mail address, which already "
                "has one. If that was you, nothing needs doing: just log in."
            ),
            N_(
                "Someone tried to create a new account with {provider} with this e-mail "
                "address, which already has one. If that was you, nothing needs doing: just "
                "log in."
            ),
        ),
        Notice.SIGN_UP_CLOSED_ACCOUNT: _Msgids(
            N_("Attempt to create an account"),
            N_(
                "Someone tried to create a new account with this e-mail address. Your closed "
                "account is kept until {until}, as our privacy policy says; after that date you "
                "can sign up again with this address. Want it back sooner? Contact us at "
                "{contact}."
            ),
            N_(
                "Someone tried to create a new account with {provider} with this e-mail "
                "address. Your closed account is kept until {until}, as our privacy policy "
                "says; after that date you can sign up again with this address. Want it back "
                "sooner? Contact us at {contact}."
            ),
        ),
        Notice.ACCOUNT_CLOSED: _Msgids(
            N_("Your account was closed"),
            N_(
                "Your account was closed. Your data will be deleted as our privacy policy "
                "describes; data we must keep by law is kept until that period ends."
            ),
            N_(
                "Your account with {provider} was closed. Your data will be deleted as our "
                "privacy policy describes; data we must keep by law is kept until that period "
                "ends."
            ),
        ),
        Notice.ACCOUNT_INACTIVE: _Msgids(
            N_("Your account will be closed"),
            N_(
                "Nobody has logged in to your account for a long time and it holds no service. "
                "As our privacy policy says, we will close it on {until} and then delete its "
                "data, except what we must keep by law. Do you want to keep it? Log in before "
                "that date, or reply to this e-mail. Questions? Contact us at {contact}."
            ),
            N_(
                "Nobody has logged in to your account with {provider} for a long time and it "
                "holds no service. As our privacy policy says, we will close it on {until} and "
                "then delete its data, except what we must keep by law. Do you want to keep "
                "it? Log in before that date, or reply to this e-mail. Questions? Contact us "
                "at {contact}."
            ),
        ),
        Notice.OBJECTION_OVERRIDDEN: _Msgids(
            N_("About your objection"),
            N_(
                "You objected to: {activity}. After reviewing it we continue this processing "
                "for compelling legitimate grounds: {grounds}. You may complain to "
                "{authority} ({complaint_url}), and ask us at {contact} about it."
            ),
            N_(
                "You objected to: {activity}, at {provider}. After reviewing it we continue "
                "this processing for compelling legitimate grounds: {grounds}. You may "
                "complain to {authority} ({complaint_url}), and ask us at {contact} about it."
            ),
        ),
    }
)

UNKNOWN_LOCATION = N_("unknown location")


def notice_text(
    notice: Notice, language: str, *, provider: str | None = None, **values: str
) -> NoticeText:
    """The notice in ``language`` (Dutch when the language is unknown), with values filled in;
    ``provider`` names whose account it is."""
    _ = translations(language).gettext
    msgids = _TEXTS[notice]
    if values.get("where") == UNKNOWN_LOCATION:  # the one value that is itself a phrase
        values = {**values, "where": _(UNKNOWN_LOCATION)}
    if provider:
        body = _(msgids.body_with_provider).format(provider=provider, **values)
    else:
        body = _(msgids.body).format(**values)
    return NoticeText(_(msgids.subject).format(**values), body)
