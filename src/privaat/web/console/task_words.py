"""The console's words for what stops a request's step: open manual tasks and a four-eyes
approval still to come (issue 15 items 3-4); shared by the request page's step routes."""

from __future__ import annotations

from privaat.i18n import N_

__all__ = ["GATE_MESSAGES"]

GATE_MESSAGES = {
    "tasks": N_(
        "Manual tasks of this request are still open: each must be done or waived with a "
        "reason first. Nothing was done."
    ),
    "approval": N_(
        "This step waits for a second privacy officer's approval (four-eyes). The request "
        "for it is recorded; nothing was done."
    ),
}
