"""The words for a request's manual tasks (issue 15 items 3-4): what stops a step (open tasks,
a four-eyes approval still to come) and what evidence is missing; shared by the console's
request page and the processor's task page."""

from __future__ import annotations

from privaat.i18n import N_

__all__ = ["EVIDENCE_MESSAGES", "GATE_MESSAGES"]

GATE_MESSAGES = {
    "tasks": N_(
        "Manual tasks of this request are still open: each must be done or waived with a "
        "reason first. Nothing was done."
    ),
    "approval": N_(
        "This step waits for a second privacy officer's approval (four-eyes). The request "
        "for it is recorded; nothing was done."
    ),
    "denied": N_(
        "The pre-approval check (the outside system that is asked first) refused this step "
        "or did not answer: nothing was asked or done."
    ),
}

# per refused field of ``RequestTasks.done``/``confirm``/``waive`` (InvalidField.field)
EVIDENCE_MESSAGES = {
    "note": N_("Write down what was done: this task asks for a note."),
    "file": N_("Add the evidence file: a PDF, PNG, JPEG or text file of at most 5 MB."),
    "checked": N_("Tick the box: this task asks you to confirm it was done as instructed."),
    "reason": N_("Give the reason why this task is not needed."),
}
