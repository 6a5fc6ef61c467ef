"""Which activities a policy must declare: those of the services the composition root wires.

Each service declares the activities it needs (its ``activities`` attribute) and the data
registry names the activity of every column; the composition root requires of the policy
exactly those of the services and tables in use, so another provider's policy needs only
what its enabled services use, in its own wording. The ids: ``privaat.domain.activities``.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["PolicyIncomplete", "require_activities"]


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
