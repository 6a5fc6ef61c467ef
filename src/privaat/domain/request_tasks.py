"""Manual tasks and four-eyes approval: what must be true before a request completes or its
irreversible step runs (issue 15 items 3 and 4).

A **manual task** is a request's step in a system privaat cannot reach (the PBX appliance, a
paper archive, a small processor): a person of a staff role does it by hand, or an external
processor confirms it by a single-use link. A request completes only when every task is done
(with the evidence its system asks for) or waived with a reason.

**Four-eyes approval**: the configured steps (an erasure; an access answer that holds call
recordings) run only after a second privacy officer approved what the first one asked. The
one who asked can never approve.

    open ──done (evidence)──▶ done
      └───waive (reason)────▶ waived

Pure: the services store the tasks and approvals and call these rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from privaat.domain.subject_requests import RequestKind

__all__ = [
    "ApprovalRule",
    "Evidence",
    "EvidenceMissing",
    "FourEyes",
    "SameOfficer",
    "Step",
    "TaskDone",
    "TaskStatus",
    "blocking",
    "check_evidence",
    "needs_approval",
    "parse_four_eyes",
    "task_due",
]


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    WAIVED = "waived"  # not needed after all (the person has no PBX account), with a reason


class Evidence(StrEnum):
    NOTE = "note"
    FILE = "file"
    CHECKBOX = "checkbox"


class Step(StrEnum):
    """A request's irreversible step, the one four-eyes approval stands before."""

    ERASE = "erase"  # the person's data goes, in privaat and every store
    ANSWER = "answer"  # the access or portability answer is made and its link sent


class ApprovalRule(StrEnum):
    """What ``PRIVAAT_FOUR_EYES`` may name: a request kind, or an access answer with calls."""

    ERASURE = "erasure"
    ACCESS = "access"
    PORTABILITY = "portability"
    ACCESS_WITH_RECORDINGS = "access_with_recordings"  # access or portability holding calls


class EvidenceMissing(ValueError):
    """A task marked done without what its system asks for (``evidence`` names it), or
    waived without a reason (``evidence`` is None)."""

    def __init__(self, message: str, evidence: Evidence | None = None) -> None:
        super().__init__(message)
        self.evidence = evidence


class SameOfficer(ValueError):
    """The officer who asked for a step approves it: that is one pair of eyes, not two."""


@dataclass(frozen=True, slots=True)
class TaskDone:
    """What the doer handed in."""

    note: str = ""
    file_name: str | None = None
    checked: bool = False


def check_evidence(required: Iterable[Evidence], done: TaskDone) -> None:
    """Raise EvidenceMissing naming the first piece of evidence that is not there."""
    for evidence in required:
        if evidence is Evidence.NOTE and not done.note.strip():
            raise EvidenceMissing("this task needs a note of what was done", evidence)
        if evidence is Evidence.FILE and not done.file_name:
            raise EvidenceMissing(
                "this task needs a file as evidence (a scan, a screenshot)", evidence
            )
        if evidence is Evidence.CHECKBOX and not done.checked:
            raise EvidenceMissing(
                "this task needs the box ticked that it was done as instructed", evidence
            )


def waiver_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise EvidenceMissing("a waived task needs the reason why it is not needed")
    return text


def task_due(started_on: date, due_days: int, request_due: date) -> date:
    """``due_days`` after the request was started, never after the request's own due date."""
    return min(started_on + timedelta(days=due_days), request_due)


def blocking(statuses: Iterable[TaskStatus]) -> int:
    """How many tasks still stand between the request and its completion."""
    return sum(1 for status in statuses if status is TaskStatus.OPEN)


@dataclass(frozen=True, slots=True)
class FourEyes:
    """Which steps need a second privacy officer's approval."""

    rules: frozenset[ApprovalRule] = frozenset()

    def applies(self, kind: RequestKind, step: Step, *, with_recordings: bool) -> bool:
        return needs_approval(self.rules, kind, step, with_recordings=with_recordings)

    @staticmethod
    def check_approver(asked_by: int, approver: int) -> None:
        if asked_by == approver:
            raise SameOfficer(
                "the officer who asked for this step cannot approve it: a second privacy "
                "officer must"
            )


def needs_approval(
    rules: Set[ApprovalRule], kind: RequestKind, step: Step, *, with_recordings: bool
) -> bool:
    """Whether ``step`` of a request of ``kind`` waits for a second officer under ``rules``."""
    if step is Step.ERASE:
        return ApprovalRule.ERASURE in rules
    if kind not in (RequestKind.ACCESS, RequestKind.PORTABILITY):
        return False
    if ApprovalRule(kind.value) in rules:
        return True
    return with_recordings and ApprovalRule.ACCESS_WITH_RECORDINGS in rules


def parse_four_eyes(text: str) -> frozenset[ApprovalRule]:
    """``erasure,access_with_recordings`` as the rules it names; ValueError names a wrong one."""
    rules: set[ApprovalRule] = set()
    for part in (item.strip() for item in text.split(",")):
        if not part:
            continue
        try:
            rules.add(ApprovalRule(part))
        except ValueError:
            known = ", ".join(rule.value for rule in ApprovalRule)
            raise ValueError(f"{part!r} is not a four-eyes rule (one of: {known})") from None
    return frozenset(rules)
