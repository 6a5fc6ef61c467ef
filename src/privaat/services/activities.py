"""The processing activities the built-in use cases serve; a policy file must declare them.

Another provider writes its own policy, with its own wording, retention and recipients,
but the account, log-in and notice use cases need these activities to exist in it.
"""

from __future__ import annotations

ACCOUNT = "account"  # P1, P20: the account's data
LOGIN = "login_security"  # P2: e-mail and password to log in, to keep the account safe
NOTICES = "important_notices"  # P3: security notices
LOGIN_LOCATION = "datacenter_login_location"  # P9: where a log-in came from

REQUIRED = frozenset({ACCOUNT, LOGIN, NOTICES, LOGIN_LOCATION})


class PolicyIncomplete(ValueError):
    """The policy lacks activities the built-in use cases serve."""


def require_activities(declared: set[str]) -> None:
    """Raise PolicyIncomplete naming every required activity the policy does not declare."""
    missing = sorted(REQUIRED - declared)
    if missing:
        raise PolicyIncomplete(
            "the policy file declares no activity "
            + ", ".join(f"'{m}'" for m in missing)
            + ": the account, log-in and notice services need them"
        )
