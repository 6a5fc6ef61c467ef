"""The links that prove an address (/api/v1/account/email/...): opened from the mail itself.

Each link carries a single-use token; the answer is the same for an unknown, used or expired
link (a 422 problem on ``token``), so a guessed token learns nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from privaat.web.deps import ContextDep, UowDep
from privaat.web.openapi import problem_responses

router = APIRouter(prefix="/api/v1/account/email", tags=["accounts"])

Token = Annotated[str, Query(min_length=16, max_length=128, description="The link's token.")]


class AddressProven(BaseModel):
    status: str
    detail: str


@router.get("/verify", response_model=AddressProven, responses=problem_responses(503))
def verify_address(token: Token, ctx: ContextDep, uow: UowDep) -> AddressProven:
    """Verify the address given at sign-up (the link in the verification mail)."""
    ctx.addresses.verify(uow, token)
    return AddressProven(status="verified", detail="Your e-mail address is verified.")


@router.get("/confirm", response_model=AddressProven, responses=problem_responses(503))
def confirm_new_address(token: Token, ctx: ContextDep, uow: UowDep) -> AddressProven:
    """Make the confirmed new address the account's (the link sent to the new address)."""
    ctx.addresses.confirm_change(uow, token)
    return AddressProven(status="changed", detail="Your new e-mail address is now in use.")
