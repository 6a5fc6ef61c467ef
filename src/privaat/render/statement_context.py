"""What the running system tells the statement: which channels it offers, and where it stands.

The public statement promises only what runs (issue 9): a channel the system provides (a
page of the privacy centre, a toggle, the unsubscribe link, the cookie settings) is named
only when ``Offered`` holds a link for it. The web app builds ``Offered`` from its own routes
(``privaat.web.channels``) and a test follows every link the statement names; a statement
rendered with ``NOTHING_OFFERED`` names only the channels that are always there (the privacy
mailbox, telling the agent, the browser's own settings).

Pure data: no I/O, no web imports, so ``privaat.render`` stays testable in milliseconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from privaat.policy.diff import PolicyDiff
from privaat.policy.schema import Channel

__all__ = ["NOTHING_OFFERED", "Offered", "Right", "StatementContext"]


class Right(StrEnum):
    """The data-subject rights of GDPR art. 15-21, as the statement names them."""

    ACCESS = "access"  # art. 15
    RECTIFICATION = "rectification"  # art. 16
    ERASURE = "erasure"  # art. 17
    RESTRICTION = "restriction"  # art. 18
    PORTABILITY = "portability"  # art. 20
    OBJECTION = "objection"  # art. 21


@dataclass(frozen=True, slots=True)
class Offered:
    """The channels and rights pages the running system offers, each with its link."""

    # (channel, activity id) → href; activity id None: the channel serves every activity
    channels: Mapping[tuple[Channel, str | None], str] = field(default_factory=dict)
    # a right → the page where a logged-in person exercises it (the mailbox always works)
    rights: Mapping[Right, str] = field(default_factory=dict)
    # the privacy centre's home page, when there is one
    centre: str | None = None

    def href(self, channel: Channel, activity_id: str) -> str | None:
        """The link for ``channel`` of ``activity_id``; None when the system does not offer it."""
        return self.channels.get((channel, activity_id)) or self.channels.get((channel, None))

    def names(self, channel: Channel, activity_id: str) -> bool:
        """Whether the statement may name ``channel`` for ``activity_id``."""
        return not channel.offered_by_system or self.href(channel, activity_id) is not None


NOTHING_OFFERED = Offered()


@dataclass(frozen=True, slots=True)
class StatementContext:
    """Everything the statement needs besides the policy and the language."""

    offered: Offered = NOTHING_OFFERED
    language_links: Mapping[str, str] = field(default_factory=dict)  # lang → href
    # the machine-readable twin (/privacy.json), for <link rel="alternate">
    json_href: str | None = None
    # the list of every published version (/privacy/v/N), when versions are kept
    versions_href: str | None = None
    # set on an archived version: the link to the version in force now
    current_href: str | None = None
    # the diff from the previous version, shown as "Wat is er veranderd" while it is recent
    # (the caller decides "recent": 30 days after a material change takes effect)
    changes: PolicyDiff | None = None
