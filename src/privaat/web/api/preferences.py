"""The preferences API (P4: topics, language, channels; issue 10 item 2): the logged-in
person's own marketing preferences, read and replaced whole.

Which topics and channels exist comes from the policy's ``marketing`` section; an unknown
one is a 422 problem naming it, and nothing is written. Preferences only target: whether any
marketing is sent at all stays the consent's answer (GET/POST /api/v1/consents, L13).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, Field

from privaat.domain.marketing import MarketingPreferences
from privaat.services.account_commands import Language
from privaat.web.deps import ContextDep, CurrentSubject, UowDep
from privaat.web.openapi import AUTHENTICATED, problem_responses

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["preferences"], responses=problem_responses(503))

TopicId = Annotated[str, Field(min_length=1, max_length=64)]


class PreferencesPublic(BaseModel):
    """The person's marketing preferences, and what the policy offers to choose from."""

    topics: list[str] = Field(description="The chosen topics, in the policy's order.")
    language: str = Field(description="The language of marketing e-mail.")
    channels: list[str] = Field(description="The channels marketing may reach the person by.")
    offered_topics: list[str] = Field(description="Every topic the policy offers.")
    offered_channels: list[str] = Field(description="Every channel the policy offers.")


class PreferencesUpdate(BaseModel):
    """The whole set of preferences (a PUT replaces them)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    topics: list[TopicId] = Field(max_length=50)
    language: Language
    channels: list[TopicId] = Field(max_length=20)


def _public(ctx: ContextDep, chosen: MarketingPreferences) -> PreferencesPublic:
    return PreferencesPublic(
        topics=list(chosen.topics),
        language=chosen.language,
        channels=list(chosen.channels),
        offered_topics=[t.id for t in ctx.preferences.topics],
        offered_channels=[c.id for c in ctx.preferences.channels],
    )


@router.get(
    "/preferences",
    response_model=PreferencesPublic,
    responses=problem_responses(401, 403),
    openapi_extra=AUTHENTICATED,
)
def read_preferences(ctx: ContextDep, uow: UowDep, subject: CurrentSubject) -> PreferencesPublic:
    """The person's marketing preferences (never stated: no topics, the account's language)."""
    return _public(ctx, ctx.preferences.get(uow, subject, subject.subject_id))


@router.put(
    "/preferences",
    response_model=PreferencesPublic,
    responses=problem_responses(401, 403, 413, 422),
    openapi_extra=AUTHENTICATED,
)
def replace_preferences(
    ctx: ContextDep,
    uow: UowDep,
    subject: CurrentSubject,
    body: Annotated[PreferencesUpdate, Body()],
) -> PreferencesPublic:
    """Replace the person's marketing preferences; an unknown topic or channel is named."""
    chosen = ctx.preferences.update(
        uow,
        subject,
        subject.subject_id,
        topics=body.topics,
        language=body.language,
        channels=body.channels,
    )
    return _public(ctx, chosen)
