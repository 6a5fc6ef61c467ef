"""Validation and normalisation of account fields with well-kept libraries (P1, LEGAL L2).

Each function returns the canonical form or raises ``ValueError`` with a message a person
can act on; the API turns that message into a problem-details entry for the field.
"""

from __future__ import annotations

import re
from datetime import date

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError

# PostNL: four digits (first not 0), two letters; SA, SD and SS are never issued
_NL_POSTAL_CODE = re.compile(r"^([1-9][0-9]{3}) ?(?!SA|SD|SS)([A-Z]{2})$")
MINIMUM_AGE = 16  # GDPR art. 8(1) and UAVG art. 5: the Netherlands keeps the age at 16 (P18)


def normalise_email(value: str) -> str:
    """The address in canonical form; syntax only, no DNS (the machines may be offline)."""
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(f"not a valid e-mail address: {error}") from None
    return result.normalized


def login_email(value: str) -> str:
    """The address as ``normalise_email`` gives it at sign-up, or as typed if it is none.

    Sign-up stores (and blind-indexes) the normalised form, so log-in must look up the same
    form: an address typed decomposed (NFD), with an upper-case or punycode domain, finds its
    account. An address sign-up would refuse cannot have an account; it is looked up as typed,
    finds none, and gets the 401 of a wrong password: one answer, no enumeration (P2).
    """
    try:
        return normalise_email(value)
    except ValueError:
        return value


def normalise_phone(value: str, region: str = "NL") -> str:
    """The number in E.164; a number without country code is read as Dutch."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_vat_number(value: str) -> str:
    """An EU VAT number (NL and other member states) in compact form, checksum verified."""
    try:
        return str(eu_vat.validate(value))
    except StdnumError as error:
        raise ValueError(f"not a valid EU VAT number: {error}") from None


def normalise_postal_code(value: str, country: str = "NL") -> str:
    """A Dutch postal code as ``1234 AB``; other countries are trimmed and upper-cased."""
    text = value.strip().upper()
    if country != "NL":
        if not 2 <= len(text) <= 12:
            raise ValueError("postal code must be 2 to 12 characters")
        return text
    match = _NL_POSTAL_CODE.match(text)
    if match is None:
        raise ValueError("not a Dutch postal code (four digits and two letters, e.g. 2721 NA)")
    return f"{match.group(1)} {match.group(2)}"


def age_on(birth_date: date, today: date) -> int:
    """Completed years of age on ``today``."""
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - int(before_birthday)
