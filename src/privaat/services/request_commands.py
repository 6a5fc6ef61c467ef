"""What a person may send to file a request: the public web form and the privacy centre
(issue 11 item 1). One model per form, validated before any use case runs."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from privaat.domain.subject_requests import RequestKind
from privaat.services.account_commands import Email, Language
from privaat.services.text_fields import MultiLine

__all__ = ["MAX_DETAILS", "RightAsked", "SignedInRequest", "WebRequest"]

MAX_DETAILS = 5_000  # a request is a few sentences; a novel is refused by its length


class RightAsked(StrEnum):
    """The rights a person can file themselves (GDPR art. 15-18, 20, 21)."""

    ACCESS = RequestKind.ACCESS.value
    RECTIFICATION = RequestKind.RECTIFICATION.value
    ERASURE = RequestKind.ERASURE.value
    RESTRICTION = RequestKind.RESTRICTION.value
    PORTABILITY = RequestKind.PORTABILITY.value
    OBJECTION = RequestKind.OBJECTION.value

    @property
    def kind(self) -> RequestKind:
        return RequestKind(self.value)


Details = Annotated[str, Field(max_length=MAX_DETAILS), MultiLine]


class SignedInRequest(BaseModel):
    """A request from the privacy centre: the session says who it is from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: RightAsked
    details: Details = ""


class WebRequest(SignedInRequest):
    """A request from the public form: the address to confirm it at, and its language."""

    email: Email
    language: Language = "nl"
