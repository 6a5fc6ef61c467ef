"""Google Consent Mode v2 in the policy file: which consent types each banner category grants.

    google_consent_mode:
      wait_for_update: 500          # ms the Google tags wait for the stored choice
      grants:
        necessary: [security_storage, functionality_storage]   # granted always
        analytics: [analytics_storage]                          # granted with its consent

The banner sets every type ``denied`` by default before any Google tag runs, except the
types of the always-on category ``necessary``; a consent category's types become
``granted`` only while its consent counts, and a type no category names stays denied (a
provider that does not advertise never grants ``ad_storage``). Only ``security_storage``
and ``functionality_storage`` may be always on: storage for advertising, analytics or
personalisation is never strictly necessary (Tw 11.7a(3)(b); ePD art. 5(3)), and
``security_storage`` must be, so that the file says what the banner does.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ALWAYS_ALLOWED", "ConsentType", "GoogleConsentMode", "consent_mode_errors"]

_CategoryId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
_NECESSARY = "necessary"  # the banner's always-on category (schema.NECESSARY_BANNER_CATEGORY)


class ConsentType(StrEnum):
    """The seven consent types of Google Consent Mode v2 (developers.google.com, consent)."""

    AD_STORAGE = "ad_storage"  # cookies for advertising
    AD_USER_DATA = "ad_user_data"  # sending user data to Google for advertising (v2)
    AD_PERSONALIZATION = "ad_personalization"  # personalised advertising (v2)
    ANALYTICS_STORAGE = "analytics_storage"  # cookies for analytics, e.g. visit duration
    FUNCTIONALITY_STORAGE = "functionality_storage"  # e.g. the language chosen
    PERSONALIZATION_STORAGE = "personalization_storage"  # e.g. video recommendations
    SECURITY_STORAGE = "security_storage"  # authentication, fraud prevention


# what may be granted without consent: storage strictly necessary for the service asked for
ALWAYS_ALLOWED = frozenset({ConsentType.SECURITY_STORAGE, ConsentType.FUNCTIONALITY_STORAGE})


class GoogleConsentMode(BaseModel):
    """The banner's Google Consent Mode v2 settings: per banner category, the types it grants."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # the time Google tags wait for the visitor's stored choice after the default (ms)
    wait_for_update: int = Field(default=500, ge=0, le=10_000)
    grants: dict[_CategoryId, tuple[ConsentType, ...]]

    def always_granted(self) -> tuple[ConsentType, ...]:
        """The types granted on every page load, whatever the visitor chose."""
        return self.grants.get(_NECESSARY, ())


def consent_mode_errors(mode: GoogleConsentMode, categories: Collection[str]) -> list[str]:
    """What is wrong with ``mode`` for a banner with these consent categories (none: [])."""
    errors = []
    for category in sorted(set(mode.grants) - {_NECESSARY} - set(categories)):
        errors.append(f"google_consent_mode.grants: the banner has no category '{category}'")
    named: dict[ConsentType, str] = {}
    for category, types in mode.grants.items():
        for kind in types:
            if kind in named:
                errors.append(
                    f"google_consent_mode.grants: '{kind}' is granted by both "
                    f"'{named[kind]}' and '{category}'"
                )
            named[kind] = category
    always = set(mode.always_granted())
    for kind in sorted(always - ALWAYS_ALLOWED):
        errors.append(
            f"google_consent_mode.grants.necessary: '{kind}' is never strictly necessary "
            "(Tw 11.7a(3)(b)): it needs a consent category"
        )
    if ConsentType.SECURITY_STORAGE not in always:
        errors.append("google_consent_mode.grants.necessary: must grant 'security_storage'")
    return errors
