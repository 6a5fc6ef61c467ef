"""Two versions of a policy compared: each change material or editorial, and the versions checked.

    diff_policies(old, new) ──▶ PolicyDiff ── changes: Change(activity_id, field, kind, old,
                                   │                       new, reason, requires_reconsent,
                                   │                       languages)
                                   │          kind: ChangeKind; old, new: Plain (JSON values)
                                   └── is_material, requires_reconsent, reconsent_activities
    check_versions(old, new) ─▶ [Finding]     the policy version and date, and each consent
                                               version, raised where the changes need it

A material change must be announced before it takes effect (art. 13(3); LEGAL L49) and some
need fresh consent (L50, L86); ``check_versions`` refuses a new file that does not say it is
a new version. The comparisons live in private modules, one per part of an activity.
"""

from __future__ import annotations

from privaat.policy.diff._change import Change, ChangeKind, Plain
from privaat.policy.diff._policy import PolicyDiff, diff_policies
from privaat.policy.diff._versions import check_versions

__all__ = ["Change", "ChangeKind", "Plain", "PolicyDiff", "check_versions", "diff_policies"]
