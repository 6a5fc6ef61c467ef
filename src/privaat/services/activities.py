"""The processing activities the built-in use cases serve, by the ids a policy gives them.

Each service declares the activities it needs (its ``activities`` attribute); the
composition root requires of the policy exactly those of the services it wires, so another
provider's policy needs only what its enabled services use, in its own wording.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "ACCOUNT",
    "LOGIN",
    "LOGIN_LOCATION",
    "NOTICES",
    "RIGHTS",
    "PolicyIncomplete",
    "require_activities",
]

ACCOUNT = "account"  # P1, P20: the account's data
LOGIN = "login_security"  # P2: e-mail and password to log in, to keep the account safe
NOTICES = "important_notices"  # P3: security notices
LOGIN_LOCATION = "datacenter_login_location"  # P9: where a log-in came from
RIGHTS = "rights_handling"  # P22: data-subject requests, among them erasure (art. 12-22)


class PolicyIncomplete(ValueError):
    """The policy lacks activities the enabled services serve."""


def require_activities(declared: Iterable[str], needed: Iterable[str]) -> None:
    """Raise PolicyIncomplete naming every needed activity the policy does not declare."""
    missing = sorted(set(needed) - set(declared))
    if missing:
        raise PolicyIncomplete(
            "the policy file declares no activity "
            + ", ".join(f"'{m}'" for m in missing)
            + ": the enabled services need them (see docs/architecture.md, 'Services')"
        )
