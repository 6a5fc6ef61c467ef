"""Whether a new policy version says that it is one: the numbers the changes require raised.

    check_versions(old, new) ─┬─ policy.version, policy.last_updated
                              │     never go back (L48); a material change needs both raised:
                              │     the announcement and the archive tell versions apart by
                              │     them (art. 13(3); L48, L49)
                              └─ activities[i].consent.version
                                    never goes back; a consent request changed in any
                                    language needs it raised: consent covers the exact text
                                    shown (art. 7(1); L50, L86)

An empty list means the new file may be published as the next version of the old one. Each
problem is a ``Finding`` located in the new policy, so ``loader.locate`` can point at its line.
"""

from __future__ import annotations

from collections.abc import Iterator

from privaat.policy.diff._change import changed_languages
from privaat.policy.diff._policy import diff_policies
from privaat.policy.schema import Policy, ProcessingActivity
from privaat.policy.validate import Finding, Location

__all__ = ["check_versions"]


def check_versions(old: Policy, new: Policy) -> list[Finding]:
    """Every version number or date ``new`` must raise to follow ``old``; empty when none."""
    return [*_policy_version(old, new), *_consent_versions(old, new)]


def _policy_version(old: Policy, new: Policy) -> Iterator[Finding]:
    before, after = old.policy, new.policy
    material = diff_policies(old, new).is_material
    if after.version < before.version:
        yield Finding(
            ("policy", "version"),
            f"the policy version went down from {before.version} to {after.version}: "
            "versions only go up (L48)",
        )
    elif material and after.version == before.version:
        yield Finding(
            ("policy", "version"),
            f"material changes need a new policy version: raise it above {before.version} "
            "(art. 13(3); L48, L49)",
        )
    if after.last_updated < before.last_updated:
        yield Finding(
            ("policy", "last_updated"),
            f"'last updated' went back from {before.last_updated} to {after.last_updated} (L48)",
        )
    elif material and after.last_updated == before.last_updated:
        yield Finding(
            ("policy", "last_updated"),
            f"material changes need a later 'last updated' date than {before.last_updated} "
            "(art. 13(3); L48)",
        )


def _consent_versions(old: Policy, new: Policy) -> Iterator[Finding]:
    earlier = {activity.id: activity for activity in old.activities}
    for index, activity in enumerate(new.activities):
        previous = earlier.get(activity.id)
        if previous is not None:
            yield from _consent_version(("activities", index), previous, activity)


def _consent_version(
    where: Location, old: ProcessingActivity, new: ProcessingActivity
) -> Iterator[Finding]:
    if old.consent is None or new.consent is None:
        return  # consent newly asked or no longer asked: nobody's consent carries over
    before, after = old.consent.version, new.consent.version
    at = where + ("consent", "version")
    if after < before:
        # a lowered version would make consents to an older text count again
        yield Finding(at, f"consent.version went down from {before} to {after} (art. 7(1); L48)")
        return
    languages = changed_languages(old.consent.request, new.consent.request)
    if languages and after == before:
        yield Finding(
            at,
            f"the consent request changed ({', '.join(languages)}) but consent.version is still "
            f"{before}: raise it, consent given to the old text does not cover the new one "
            "(art. 7(1); L50, L86)",
        )
