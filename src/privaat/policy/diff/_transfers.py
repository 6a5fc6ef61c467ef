"""Transfers and their safeguards, compared between two policy versions (GDPR art. 44-49).

A new transfer, data going to another country, or a safeguard that is weaker or merely as
strong is material (art. 13(1)(f)); a stronger safeguard or a stopped transfer is editorial.
A transfer on explicit consent (art. 49(1)(a)) needs everyone's consent first (L50).
"""

from __future__ import annotations

from privaat.policy.diff._change import Change, editorial, material
from privaat.policy.schema import ProcessingActivity, Safeguard, Transfer

__all__ = ["safeguard_change", "transfer_changes"]

# art. 44-49: inside the EEA no transfer at all; adequacy; contractual safeguards; and the
# art. 49(1)(a) derogation, the weakest, which rests on each person's explicit consent
_SAFEGUARD_RANK = {
    Safeguard.EEA: 3,
    Safeguard.ADEQUACY: 2,
    # art. 45 as well: the DPF adequacy decision for a certified importer
    Safeguard.DATA_PRIVACY_FRAMEWORK: 2,
    Safeguard.BCR: 1,
    Safeguard.SCC: 1,
    Safeguard.EXPLICIT_CONSENT: 0,
}


def safeguard_change(
    aid: str | None, field: str, old: Safeguard | None, new: Safeguard | None
) -> Change:
    """Editorial when ``new`` is stronger; otherwise material, as swaps cannot be ordered."""
    old_rank = -1 if old is None else _SAFEGUARD_RANK[old]
    new_rank = -1 if new is None else _SAFEGUARD_RANK[new]
    if new_rank > old_rank:
        return editorial(aid, field, old, new, "a stronger transfer safeguard")
    reason = "a transfer safeguard that is weaker or no stronger (art. 13(1)(f), 44-49)"
    return material(aid, field, old, new, reason, reconsent=new is Safeguard.EXPLICIT_CONSENT)


def transfer_changes(aid: str, old: ProcessingActivity, new: ProcessingActivity) -> list[Change]:
    """The changes to one activity's transfers, each matched by recipient and country."""
    found: list[Change] = []
    old_map = {(t.recipient, t.country): t for t in old.transfers}
    new_map = {(t.recipient, t.country): t for t in new.transfers}
    old_recipients = {t.recipient for t in old.transfers}
    for key, transfer in new_map.items():
        field = f"transfers[{transfer.recipient}]"
        if key in old_map:
            found += _same_transfer_changes(aid, field, old_map[key], transfer)
            continue
        if transfer.recipient in old_recipients:
            reason = f"data now goes to another country, {transfer.country} (art. 13(1)(f))"
        else:
            reason = "a new transfer (art. 13(1)(f), 44-49)"
        # art. 49(1)(a): a transfer on explicit consent needs each person's consent first
        reconsent = transfer.safeguard is Safeguard.EXPLICIT_CONSENT
        found.append(material(aid, field, None, _shown(transfer), reason, reconsent=reconsent))
    for key, transfer in old_map.items():
        if key not in new_map:
            reason = "a transfer stopped"
            field = f"transfers[{transfer.recipient}]"
            found.append(editorial(aid, field, _shown(transfer), None, reason))
    return found


def _same_transfer_changes(aid: str, field: str, old: Transfer, new: Transfer) -> list[Change]:
    found: list[Change] = []
    if old.safeguard is not new.safeguard:
        found.append(safeguard_change(aid, f"{field}.safeguard", old.safeguard, new.safeguard))
    if old.fallback is not new.fallback:
        if new.fallback is None:
            reason = "no safeguard behind the first one any more (art. 44-46)"
            found.append(material(aid, f"{field}.fallback", old.fallback, None, reason))
        elif old.fallback is None:
            reason = "a second safeguard stands behind the first one"
            found.append(editorial(aid, f"{field}.fallback", None, new.fallback, reason))
        else:
            found.append(safeguard_change(aid, f"{field}.fallback", old.fallback, new.fallback))
    if old.importer != new.importer:
        # art. 13(1)(e)-(f): another company in the third country receives the data
        reason = "another importer receives the data in the third country (art. 13(1)(f))"
        found.append(material(aid, f"{field}.importer", old.importer, new.importer, reason))
    return found


def _shown(transfer: Transfer) -> str:
    """A transfer as one value of a change: "recipient → country (safeguard)"."""
    return f"{transfer.recipient} → {transfer.country} ({transfer.safeguard.value})"
