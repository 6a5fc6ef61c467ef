"""The input models of the account use cases: AccountCreate, AccountUpdate, PasswordChange.

Validation lives here, once, for the API and the CLI alike: unknown fields are refused,
sizes are bounded, each contact field is checked by a well-kept library, and each free-text
field by the one text rule (``services.text_fields``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
)

from privaat.services.contact_fields import (
    login_email,
    normalise_email,
    normalise_phone,
    normalise_postal_code,
    normalise_vat_number,
)
from privaat.services.passwords import MAX_LENGTH, MIN_LENGTH, check_strength
from privaat.services.text_fields import SingleLine

Email = Annotated[
    str,
    Field(max_length=254, json_schema_extra={"format": "email"}),
    AfterValidator(normalise_email),
]
Phone = Annotated[str, Field(max_length=32), AfterValidator(normalise_phone)]
VatNumber = Annotated[str, Field(max_length=20), AfterValidator(normalise_vat_number)]
PostalCode = Annotated[str, Field(max_length=12), AfterValidator(normalise_postal_code)]
# free text: the one text rule (services.text_fields) after the length, P8/LEGAL L31 included
Name = Annotated[str, Field(min_length=1, max_length=200), SingleLine]
Line = Annotated[str, Field(min_length=1, max_length=200), SingleLine]
DisplayName = Annotated[str, Field(min_length=1, max_length=60), SingleLine]
# log-in: normalised as sign-up stores it; an address sign-up would refuse is looked up as
# typed and matches no account, so it gets the wrong-password 401 (contact_fields.login_email)
LogInEmail = Annotated[str, Field(min_length=3, max_length=254), AfterValidator(login_email)]
Language = Literal["nl", "en"]
# an activity id as the policy schema spells it (policy.schema.ActivityId)
ActivityIdField = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


def _strong(password: SecretStr) -> SecretStr:
    check_strength(password.get_secret_value())
    return password


def _as_typed(value: object, handler: ValidatorFunctionWrapHandler) -> SecretStr:
    # NIST SP 800-63B §5.1.1.2: a password is taken as typed, spaces at either end included;
    # the commands strip every other text (str_strip_whitespace), which would shorten it
    # below what the schema's minLength promised (found by the API fuzzing, issue 16 item 1)
    result: SecretStr = handler(SecretStr(value) if isinstance(value, str) else value)
    return result


# a password as typed: never stripped, at most MAX_LENGTH characters
Password = Annotated[SecretStr, Field(max_length=MAX_LENGTH), WrapValidator(_as_typed)]
# minLength documents the rule in the schema; _strong checks it, with its own message
NewPassword = Annotated[
    SecretStr,
    Field(max_length=MAX_LENGTH, json_schema_extra={"minLength": MIN_LENGTH}),
    WrapValidator(_as_typed),
    AfterValidator(_strong),
]
# a password given to prove who one is: anything typed, never empty
GivenPassword = Annotated[
    SecretStr, Field(min_length=1, max_length=MAX_LENGTH), WrapValidator(_as_typed)
]


class _Command(BaseModel):
    # LEGAL L2: only the fields the policy lists; anything else is an error, not ignored
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class AccountCreate(_Command):
    """Sign-up (P1): the account's fields; VAT number optional for consumers (LEGAL L2)."""

    email: Email
    password: NewPassword
    name: Name
    street: Line | None = None
    postal_code: PostalCode | None = None
    city: Line | None = None
    phone: Phone | None = None
    vat_number: VatNumber | None = None
    display_name: DisplayName | None = None
    language: Language = "nl"
    # P18/LEGAL L46: the person declares to be 16 or older; a birth date is optional
    age_declaration: bool = Field(
        description="I am 16 years or older", json_schema_extra={"examples": [True]}
    )
    birth_date: date | None = None
    # issue 10, L8, L12: the ids of the consent-based activities whose box the person ticked;
    # none ticked is the default, and the service works fully without any
    consents: tuple[ActivityIdField, ...] = Field(
        default=(),
        max_length=32,
        description="Ids of the consent-based activities the person ticked; none by default.",
    )

    @field_validator("birth_date")
    @classmethod
    def _plausible(cls, value: date | None) -> date | None:
        if value is not None and value.year < 1900:
            raise ValueError("birth date before 1900")
        return value


def _not_null(schema: dict[str, Any]) -> None:
    """Document an optional field without ``null``: leaving it out is how to keep the value.

    (A ``SkipJsonSchema[None]`` union would do the same for the schema but make pydantic
    report a refused value once per union branch, under branch names instead of the field.)
    """
    branches = schema.pop("anyOf", None)
    schema.pop("default", None)  # a null default would not fit the schema left
    if branches:
        schema.update(next(branch for branch in branches if branch.get("type") != "null"))


class AccountUpdate(_Command):
    """Rectification (GDPR art. 16): every field optional; ``null`` clears an optional one."""

    # null is refused by the use case ("cannot be empty"), so the schema does not offer it
    email: Annotated[Email | None, Field(json_schema_extra=_not_null)] = None
    name: Annotated[Name | None, Field(json_schema_extra=_not_null)] = None
    street: Line | None = None
    postal_code: PostalCode | None = None
    city: Line | None = None
    phone: Phone | None = None
    vat_number: VatNumber | None = None
    display_name: DisplayName | None = None
    language: Annotated[Language | None, Field(json_schema_extra=_not_null)] = None
    # issue 5 item 2: an e-mail change asks the current password, and takes effect only when
    # the new address confirms it through the link sent there
    current_password: Password | None = None


class PasswordChange(_Command):
    current_password: Password
    new_password: NewPassword


class LogIn(_Command):
    email: LogInEmail
    password: GivenPassword


class AccountClose(_Command):
    password: GivenPassword
