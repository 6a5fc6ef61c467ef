"""Who is acting: the principal that every read or write of personal data names.

    Principal
    ├── DataSubject       the person themself, logged in (or proven by a one-time code)
    ├── StaffMember       an employee with a role, and the customer's grant where one applies
    ├── SystemJob         a job the system runs on its own (outbox, retention, minimisation)
    └── BusinessCustomer  a business customer acting as controller of its own users (OpenDSR)

Each principal has an ``actor``: the short, pseudonymous name the access log and the audit
trail record (never an e-mail address or a name, GDPR art. 5(1)(c)).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TypeAlias

__all__ = ["BusinessCustomer", "DataSubject", "Principal", "StaffMember", "StaffRole", "SystemJob"]


class StaffRole(StrEnum):
    """The console roles; what each may open is decided per route and per activity."""

    PRIVACY_OFFICER = "privacy_officer"  # the DPO: requests, register, breaches, audit trail
    SUPPORT = "support"  # customer cases; an account only under the customer's grant (L29)
    SUPPORT_LEAD = "support_lead"  # a support team leader: also plays call recordings (L28)
    FRAUD = "fraud"  # the fraud team: risk scores, their reasons and the manual review (L32)
    MARKETING = "marketing"  # audiences of people who may be mailed (L13)
    ADMINISTRATOR = "administrator"  # staff accounts and operations, no customer data


@dataclass(frozen=True, slots=True)
class DataSubject:
    """The data subject acting on their own data."""

    subject_id: int

    @property
    def actor(self) -> str:
        return "self"


@dataclass(frozen=True, slots=True)
class StaffMember:
    """A staff member; ``grant_id`` names the customer's access grant when one is used (L29)."""

    staff_id: int
    role: StaffRole
    grant_id: int | None = None

    @property
    def actor(self) -> str:
        return f"staff:{self.staff_id}:{self.role.value}"


@dataclass(frozen=True, slots=True)
class SystemJob:
    """A job of the system itself, named for the logs (``outbox``, ``retention``, …)."""

    name: str

    def __post_init__(self) -> None:
        if not self.name or len(self.name) > 48:
            raise ValueError("a system job is named by 1-48 characters")

    @property
    def actor(self) -> str:
        return f"system:{self.name}"


@dataclass(frozen=True, slots=True)
class BusinessCustomer:
    """A business customer (a controller in its own right) acting through its API key."""

    customer_id: str

    @property
    def actor(self) -> str:
        return f"customer:{self.customer_id}"


Principal: TypeAlias = DataSubject | StaffMember | SystemJob | BusinessCustomer
