"""Which sub-processors a policy version adds to or removes from each processor service
(issue 15 item 10; GDPR art. 28(2): under a general written authorisation the processor
informs the controller of any intended addition or replacement, giving it the opportunity
to object). Pure: two policies in, the changes out."""

from __future__ import annotations

from dataclasses import dataclass

from privaat.policy.schema import Policy

__all__ = ["ServiceChange", "sub_processor_changes"]


@dataclass(frozen=True, slots=True)
class ServiceChange:
    """One processor service whose sub-processors change: the recipient ids added, removed."""

    service: str
    added: tuple[str, ...]
    removed: tuple[str, ...]

    def document(self) -> dict[str, object]:
        return {"service": self.service, "added": list(self.added), "removed": list(self.removed)}


def sub_processor_changes(old: Policy, new: Policy) -> tuple[ServiceChange, ...]:
    """Per service of ``new`` (a service new in ``new`` counts from no sub-processors; a
    service ``new`` drops is no longer offered, so nobody needs asking), the change."""
    before = {service.id: set(service.sub_processors) for service in old.processor_services}
    changes = []
    for service in new.processor_services:
        was, now = before.get(service.id, set()), set(service.sub_processors)
        if was != now:
            changes.append(
                ServiceChange(service.id, tuple(sorted(now - was)), tuple(sorted(was - now)))
            )
    return tuple(changes)
