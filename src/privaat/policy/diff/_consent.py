"""Consent blocks compared between two policy versions (GDPR art. 7; LEGAL L48, L50, L86).

Consent asked where it was not, a consent-text version raised or lowered, the request text
changed in any language, a way to withdraw taken away, consent that no longer expires or a
block removed is material; newly asked consent, a raised version and a changed request also
need everyone's consent again (L50, L86): consent covers the exact text shown, in the
language shown.
"""

from __future__ import annotations

from privaat.policy.diff._change import Change, editorial, material, unclassified
from privaat.policy.diff._retention import length_change
from privaat.policy.schema import Consent, ProcessingActivity

__all__ = ["consent_changes"]


def consent_changes(aid: str, old: ProcessingActivity, new: ProcessingActivity) -> list[Change]:
    """The changes to one activity's consent block, added, removed or changed."""
    before, after = old.consent, new.consent
    if before is not None and after is not None:
        return _consent_block_changes(aid, before, after)
    if before == after or old.legal_basis is not new.legal_basis:
        return []  # no consent either side, or the change of legal basis already says it
    if after is not None:
        reason = "consent is asked for this activity now: nobody has given it yet (L50)"
        return [material(aid, "consent", None, after.version, reason, reconsent=True)]
    reason = "consent and its withdrawal channels removed (art. 7(3); WP260 ¶29)"
    return [material(aid, "consent", before.version if before else None, None, reason)]


def _consent_block_changes(aid: str, old: Consent, new: Consent) -> list[Change]:
    found: list[Change] = []
    if new.version > old.version:
        reason = "consent text version raised: consents given to the old text are stale (L50)"
        found.append(
            material(aid, "consent.version", old.version, new.version, reason, reconsent=True)
        )
    elif new.version < old.version:
        reason = "consent text version went down: versions only go up (art. 7(1); L48)"
        found.append(material(aid, "consent.version", old.version, new.version, reason))
    if old.request != new.request:
        # art. 7(1); EDPB 05/2020: consent is proven against the exact text shown, in the
        # language shown, so a change in one language alone is as material as in all (L86)
        reason = (
            "the consent request changed: consents given to the old text do not cover the new "
            "one (art. 7(1); L86, L50)"
        )
        found.append(
            material(aid, "consent.request", old.request, new.request, reason, reconsent=True)
        )
    for channel in old.channels:
        if channel not in new.channels:
            reason = "a way to withdraw consent removed: it must stay as easy as giving (art. 7(3))"
            found.append(material(aid, "consent.channels", channel, None, reason))
    for channel in new.channels:
        if channel not in old.channels:
            reason = "another way to withdraw consent"
            found.append(editorial(aid, "consent.channels", None, channel, reason))
    if old.expires_after != new.expires_after:
        if new.expires_after is None:
            reason = "consent no longer expires on its own (L29)"
            found.append(material(aid, "consent.expires_after", old.expires_after, None, reason))
        elif old.expires_after is None:
            reason = "consent now expires on its own: less processing"
            found.append(editorial(aid, "consent.expires_after", None, new.expires_after, reason))
        else:
            found += length_change(
                aid, "consent.expires_after", old.expires_after, new.expires_after, "consent"
            )
    if old.confirm_by_email != new.confirm_by_email:
        # issue 14 item 5: how a give is confirmed, not what it covers; consents given stand
        if new.confirm_by_email is None:
            reason = "consent no longer needs confirming through a mailed link (double opt-in)"
        elif old.confirm_by_email is None:
            reason = "a new consent counts only once a mailed link confirms it (double opt-in)"
        else:
            reason = "the time to open the double opt-in's link changed"
        found.append(
            editorial(
                aid, "consent.confirm_by_email", old.confirm_by_email, new.confirm_by_email, reason
            )
        )
    compared = frozenset({"version", "request", "channels", "expires_after", "confirm_by_email"})
    return found + unclassified(aid, "consent.", old, new, compared)
