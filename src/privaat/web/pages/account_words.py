"""The names of an account's fields, as the sign-up, edit and "my data" pages show them."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from privaat.i18n import N_

__all__ = ["ACCOUNT_LABELS", "LANGUAGE_NAMES", "TEXT_FIELDS"]

ACCOUNT_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "email": N_("E-mail address"),
        "name": N_("Name"),
        "street": N_("Street and house number"),
        "postal_code": N_("Postal code"),
        "city": N_("Town or city"),
        "phone": N_("Phone number"),
        "vat_number": N_("VAT number"),
        "display_name": N_("Name shown with your comments"),
        "language": N_("Language of our e-mails"),
        "birth_date": N_("Date of birth"),
    }
)
# the fields typed as text (through the text rule); passwords and checkboxes are not
TEXT_FIELDS = (
    "email",
    "name",
    "street",
    "postal_code",
    "city",
    "phone",
    "vat_number",
    "display_name",
    "language",
)
LANGUAGE_NAMES: Mapping[str, str] = MappingProxyType({"nl": N_("Dutch"), "en": N_("English")})
