"""The web shop's API: the payment providers' status callbacks (issue 12 item 3, P8).

    POST /api/v1/shop/payments/{provider}   sisow | paypal
        Privaat-Key-Id: <key id>            from ``privaat shop payment-key add PROVIDER``
        Privaat-Signature: sha256=<hex>     HMAC-SHA256 of the raw body under the key's secret
        {"payment_reference": "...", "status": "pending|paid|failed|cancelled"}
        200 applied, or the same report again (``changed: false``: idempotent)
        401 no key id or signature, a wrong or revoked one; 404 no order of that reference;
        409 a status that contradicts the one reported before; 422 a body that is no report

The provider reports only the payment's status: card data never reaches privaat (L31).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, Field

from privaat.domain.shop import OrderStatus, PaymentProvider, PaymentStatus
from privaat.services.shop import CallbackRefused, OrderNotFound
from privaat.web.deps import ContextDep, UowDep
from privaat.web.openapi import documented_problem, problem_responses
from privaat.web.problems import ProblemError

__all__ = ["PaymentAnswer", "router"]

router = APIRouter(prefix="/api/v1/shop", tags=["shop"], responses=problem_responses(503))


class PaymentAnswer(BaseModel):
    """What became of the order after the report."""

    reference: str = Field(description="The order's reference.")
    payment_status: PaymentStatus
    status: OrderStatus = Field(description="The order's status now.")
    changed: bool = Field(description="False when the same report had been applied before.")


async def _raw_body(request: Request) -> bytes:
    # the signature covers the bytes as sent, so they are read before any parsing
    return await request.body()


@router.post(
    "/payments/{provider}",
    response_model=PaymentAnswer,
    summary="A payment provider's status report",
    responses={
        401: documented_problem(401, description="No key id or signature, or a wrong one."),
        404: documented_problem(404, description="No order has this payment reference."),
        409: documented_problem(409, description="The status contradicts an earlier report."),
        422: documented_problem(422, description="The body is no payment report; `errors`."),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["payment_reference", "status"],
                        "additionalProperties": False,
                        "properties": {
                            "payment_reference": {"type": "string", "maxLength": 40},
                            "status": {"enum": [s.value for s in PaymentStatus]},
                        },
                    }
                }
            },
        }
    },
)
def payment_report(
    provider: PaymentProvider,
    ctx: ContextDep,
    uow: UowDep,
    body: Annotated[bytes, Depends(_raw_body)],
    key_id: Annotated[str | None, Header(alias="Privaat-Key-Id", max_length=64)] = None,
    signature: Annotated[str | None, Header(alias="Privaat-Signature", max_length=128)] = None,
) -> PaymentAnswer:
    """Apply the provider's signed report of a payment's status; a repeat changes nothing."""
    try:
        report = ctx.shop.payment_callback(
            uow, provider.value, key_id=key_id, signature=signature, body=body
        )
    except CallbackRefused as error:
        raise ProblemError(401, "not-authenticated", "Not authenticated", str(error)) from None
    except OrderNotFound as error:
        raise ProblemError(404, "no-such-order", "Not found", str(error)) from None
    return PaymentAnswer(
        reference=report.reference,
        payment_status=report.payment_status,
        status=report.status,
        changed=report.changed,
    )
