"""A form as a page shows it: what the person typed, checked by the rules the API uses, and
the error of each field in the page's language.

    fields (csrf.CheckedForm) ─▶ Form(lang, id, labels, typed, secret=passwords)
        form.text(name)          the text rule (services.text_fields), "" → None
        form.secret(name)        a password as typed: never shown again, never "cleaned"
        form.checked(name)       a checkbox: absent is False (no box is ticked in advance)
        form.model(Model, data)  the pydantic input model, or an error next to each field
        form.service_error(e)    InvalidField, InvalidCredentials, TooManyAttempts → errors
    template: {% import "_forms.html.j2" as f %} {{ f.field(form, "email", type="email") }}

A refused form re-renders with every value kept but the secret ones, and each message is a
msgid of the catalogue: never a pydantic sentence, never the refused text itself (P8).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from privaat.i18n import N_, translations
from privaat.services.contact_fields import MINIMUM_AGE
from privaat.services.errors import InvalidCredentials, InvalidField, ServiceError, TooManyAttempts
from privaat.services.passwords import MIN_LENGTH
from privaat.services.text_fields import Refusal, TextRefused, check_text

__all__ = ["FIELD_FORMATS", "TEXT_REFUSALS", "Form"]

M = TypeVar("M", bound=BaseModel)

# longer than any field of ours: the model's own length check answers it, unscanned
_LONG = 1000

# the text rule's refusals in the words of a form (services.text_fields.MESSAGES for the API)
TEXT_REFUSALS: Mapping[Refusal, str] = {
    Refusal.NUL: N_("Remove the NUL character from this field."),
    Refusal.ESCAPE: N_("Remove the terminal escape sequence from this field."),
    Refusal.LINE_BREAK: N_("Write this on one line."),
    Refusal.CONTROL: N_("Remove the control characters from this field."),
    Refusal.BIDI: N_("Remove the characters that reverse the direction of the text."),
    Refusal.SURROGATE: N_("This text contains characters that are not valid."),
    Refusal.INVISIBLE: N_("Enter at least one visible character."),
    Refusal.CARD_NUMBER: N_("Remove the payment card number: we do not accept it here."),
}
# what a field's value should look like, when its own check refuses it
FIELD_FORMATS: Mapping[str, str] = {
    "email": N_("Enter an e-mail address such as name@example.nl."),
    "phone": N_("Enter a phone number such as 06 12345678 or +31 6 12345678."),
    "postal_code": N_("Enter a Dutch postal code: four digits and two letters, such as 2721 NA."),
    "vat_number": N_("Enter an EU VAT number such as NL123456789B01."),
    "birth_date": N_("Enter a date of birth after 1900."),
    "password": N_("Choose a password of at least {min} characters."),
    "new_password": N_("Choose a password of at least {min} characters."),
}
_FILL_IN = N_("Fill in this field.")
_NOT_ACCEPTED = N_("This value is not accepted.")
# the sentences of InvalidField that a person can act on, in the words of a form
_SERVICE_MESSAGES: Mapping[str, str] = {
    f"you must be {MINIMUM_AGE} or older to create an account": N_(
        "You must be {age} or older to create an account."
    ),
    "birth date lies in the future": N_("This date lies in the future."),
    "the current password is incorrect": N_("This is not your current password."),
    "an e-mail change needs the current password": N_(
        "Enter your current password to change your e-mail address."
    ),
    "cannot be empty": _FILL_IN,
}


class Form:
    """One form's state: its id (the prefix of its fields' ids), labels, typed values, errors."""

    def __init__(
        self,
        lang: str,
        form_id: str,
        labels: Mapping[str, str],
        typed: Mapping[str, str] | None = None,
        *,
        secret: Iterable[str] = (),
    ) -> None:
        self.lang, self.id = lang, form_id
        self._gettext = translations(lang).gettext
        self.labels = {name: self._gettext(label) for name, label in labels.items()}
        self._typed = dict(typed or {})
        self._secret = frozenset(secret)
        # what is shown again: never a password (OWASP ASVS 2.7, no secret in the page)
        self.values = {k: v for k, v in self._typed.items() if k not in self._secret}
        self.errors: dict[str, str] = {}
        self.problems: list[str] = []  # about the whole form, shown above it

    def say(self, msgid: str, **params: Any) -> str:
        """``msgid`` in the form's language, its ``{placeholders}`` filled in."""
        return self._gettext(msgid).format(**params)

    def label(self, name: str) -> str:
        return self.labels.get(name, name)

    def value(self, name: str) -> str:
        return self.values.get(name, "")

    @property
    def field_errors(self) -> list[tuple[str, str]]:
        """(field, message) in the order of the form's fields, for the summary above it."""
        order = {name: i for i, name in enumerate(self.labels)}
        return sorted(self.errors.items(), key=lambda item: order.get(item[0], len(order)))

    @property
    def invalid(self) -> bool:
        return bool(self.errors or self.problems)

    def refuse(self, field: str, msgid: str, **params: Any) -> None:
        """Show ``msgid`` next to ``field`` (its first error stays: one message at a time)."""
        if field in self.labels:
            self.errors.setdefault(field, self.say(msgid, **params))
        else:
            self.problems.append(self.say(msgid, **params))

    def refuse_form(self, msgid: str, **params: Any) -> None:
        """Show ``msgid`` above the form: it is about no single field."""
        self.problems.append(self.say(msgid, **params))

    def text(self, name: str, *, multiline: bool = False) -> str | None:
        """The field through the text rule (NFC, trimmed); None when empty or refused."""
        value = self._typed.get(name, "")
        if len(value) > _LONG:
            return value  # the model refuses it by its length, without this scan
        if not value.strip():
            return None
        try:
            return check_text(value, multiline=multiline)
        except TextRefused as refused:
            self.refuse(name, TEXT_REFUSALS[refused.reason])
            return None

    def secret(self, name: str) -> str | None:
        """A password field as typed, or None when empty."""
        value = self._typed.get(name, "")
        return value or None

    def checked(self, name: str) -> bool:
        """A checkbox: a browser sends it only when it is ticked."""
        return name in self._typed

    def model(
        self,
        model: type[M],
        data: Mapping[str, Any],
        *,
        formats: Mapping[str, str] | None = None,
    ) -> M | None:
        """``model`` built from ``data`` (None values left out), or None with its errors noted.

        ``formats`` adds what a field's value should look like, to ``FIELD_FORMATS``."""
        try:
            built = model.model_validate({k: v for k, v in data.items() if v is not None})
        except ValidationError as error:
            shapes = {**FIELD_FORMATS, **(formats or {})}
            for detail in error.errors():
                loc = detail.get("loc", ())
                field = str(loc[0]) if loc else ""
                msgid, params = _message(detail, field, shapes)
                self.refuse(field, msgid, **params)
            return None
        return None if self.invalid else built

    def service_error(self, error: ServiceError) -> int:
        """Show what a use case refused; returns the status of the re-rendered page."""
        if isinstance(error, TooManyAttempts):
            minutes = max(1, math.ceil(error.retry_after_seconds / 60))
            self.refuse_form(
                N_("Too many attempts. Try again in {minutes} minutes."), minutes=minutes
            )
            return 429
        if isinstance(error, InvalidCredentials):
            self.refuse_form(N_("The e-mail address or the password is not correct."))
            return 422
        if isinstance(error, InvalidField):
            msgid = _SERVICE_MESSAGES.get(error.message, _NOT_ACCEPTED)
            self.refuse(error.field, msgid, age=MINIMUM_AGE)
            return 422
        self.refuse_form(_NOT_ACCEPTED)
        return 422


def _message(
    detail: ErrorDetails, field: str, shapes: Mapping[str, str]
) -> tuple[str, dict[str, Any]]:
    """The msgid (and its values) for one pydantic error of ``field``."""
    kind = detail["type"]
    limits = detail.get("ctx") or {}
    if kind == "missing" or (kind == "string_too_short" and limits.get("min_length") == 1):
        return _FILL_IN, {}
    if kind == "string_too_short":
        return N_("Use at least {min} characters."), {"min": limits.get("min_length")}
    if kind == "string_too_long":
        return N_("Use at most {max} characters."), {"max": limits.get("max_length")}
    if kind.startswith("text_"):
        try:
            return TEXT_REFUSALS[Refusal(kind.removeprefix("text_"))], {}
        except ValueError:
            return _NOT_ACCEPTED, {}
    if kind == "literal_error":
        return N_("Choose one of the options."), {}
    if kind.startswith("date"):
        return N_("Enter a date such as 1990-03-31 (year, month, day)."), {}
    if field in shapes:
        return shapes[field], {"min": MIN_LENGTH}
    return _NOT_ACCEPTED, {}
