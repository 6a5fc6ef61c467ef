"""The web shop's checkout and the privacy centre's orders (issue 12 items 3, 6).

    GET|POST /shop                     the demo shop: products, then only what the contract and
                                       the carrier need (L30); phone optional; every field
                                       through the text rule, which refuses card numbers (L31)
    GET      /shop/orders/{reference}  the confirmation, for the buyer's session: the account's,
                                       or the guest's cookie for this order
    GET      /account/orders           the person's own orders
    GET      /account/orders/{ref}     one order; "a person will review this order" while in
                                       review (L32)

A guest buys without an account: the order's subject is new, and their browser gets a cookie
holding a random token (its SHA-256 is on the order) that opens this one order's page.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from privaat.domain.principal import DataSubject
from privaat.domain.shop import COUNTRIES, PRODUCTS, OrderStatus, PaymentProvider, PaymentStatus
from privaat.i18n import N_, translations
from privaat.services.errors import NotAuthenticated, ServiceError
from privaat.services.shop import CheckoutCommand, OrderNotFound, OrderView
from privaat.services.text_fields import has_card_number
from privaat.web.deps import ClientIp, ContextDep, CurrentSubject, SessionToken, UowDep
from privaat.web.pages.csrf import CheckedForm
from privaat.web.pages.forms import Form
from privaat.web.pages.layout import page_language, redirect, render
from privaat.web.pages.page_errors import PageRoute, status_page

__all__ = ["ORDER_COOKIE_PREFIX", "STATUS_WORDS", "router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

ORDER_COOKIE_PREFIX = "privaat_order_"  # + the reference: a guest's token for that order
_COOKIE_SECONDS = 30 * 24 * 3600
_FIELDS = ("name", "street", "postal_code", "city", "country", "email", "phone", "comment")
_LABELS = {
    "lines": N_("Products"),
    "name": N_("Name"),
    "street": N_("Street and number"),
    "postal_code": N_("Postal code"),
    "city": N_("Town or city"),
    "country": N_("Country"),
    "email": N_("E-mail address"),
    "phone": N_("Phone number"),
    "comment": N_("Note for the delivery"),
    "provider": N_("Pay with"),
}
STATUS_WORDS = {
    OrderStatus.PLACED: N_("waiting for payment"),
    OrderStatus.IN_REVIEW: N_("being checked by a person"),
    OrderStatus.CONFIRMED: N_("confirmed"),
    OrderStatus.SHIPPED: N_("sent"),
    OrderStatus.REFUSED: N_("refused"),
    OrderStatus.CANCELLED: N_("cancelled"),
}
PAYMENT_WORDS = {
    PaymentStatus.PENDING: N_("not paid yet"),
    PaymentStatus.PAID: N_("paid"),
    PaymentStatus.FAILED: N_("payment failed"),
    PaymentStatus.CANCELLED: N_("payment cancelled"),
}
COUNTRY_NAMES = {
    "NL": N_("Netherlands"),
    "BE": N_("Belgium"),
    "DE": N_("Germany"),
    "LU": N_("Luxembourg"),
}
_PROVIDERS = {PaymentProvider.SISOW: "Sisow (iDEAL)", PaymentProvider.PAYPAL: "PayPal"}
_FORMATS = {
    "country": N_("Choose one of the options."),
    "lines": N_("Choose at least one product, at most 20 of each."),
    "postal_code": N_("Enter the postal code of the delivery address, such as 2721 NA."),
}


def euros(cents: int) -> str:
    """An amount in euro cents as shown on the pages: "€ 49,50"."""
    return f"€ {cents // 100},{cents % 100:02d}"


def _buyer(ctx: ContextDep, uow: UowDep, token: str | None) -> DataSubject | None:
    if not token:
        return None
    try:
        return DataSubject(ctx.sessions.subject_of(uow, token))
    except NotAuthenticated:
        return None


@router.get("/shop")
def shop_page(request: Request, ctx: ContextDep, uow: UowDep, token: SessionToken) -> Response:
    """The products and the checkout form."""
    return _page(request, _form(request), signed_in=_buyer(ctx, uow, token) is not None)


@router.post("/shop")
def check_out(
    request: Request,
    ctx: ContextDep,
    uow: UowDep,
    token: SessionToken,
    ip: ClientIp,
    fields: CheckedForm,
) -> Response:
    """Place the order: refused fields come back named, and then nothing is stored."""
    buyer = _buyer(ctx, uow, token)
    form = _form(request, fields)
    data: dict[str, Any] = {name: form.text(name, multiline=name == "comment") for name in _FIELDS}
    for name in _FIELDS:
        # L31: a card number is not even shown back to the person who typed it
        if has_card_number(fields.get(name, "")):
            form.values[name] = ""
    lines: dict[str, int] = {}
    for product in PRODUCTS:
        typed = fields.get(f"qty-{product}", "").strip() or "0"
        if not typed.isdigit() or len(typed) > 3:
            form.refuse("lines", _FORMATS["lines"])
            continue
        if int(typed):
            lines[product] = int(typed)
    data.update(lines=lines, provider=fields.get("provider") or None, language=form.lang)
    command = form.model(CheckoutCommand, data, formats=_FORMATS)
    if command is None:
        return _page(request, form, signed_in=buyer is not None, status_code=422)
    try:
        placed = ctx.shop.check_out(uow, command, buyer=buyer, ip=ip)
    except ServiceError as error:
        status = form.service_error(error)
        return _page(request, form, signed_in=buyer is not None, status_code=status)
    response = redirect(f"/shop/orders/{placed.reference}")
    if placed.view_token is not None:
        response.set_cookie(
            ORDER_COOKIE_PREFIX + placed.reference,
            placed.view_token,
            max_age=_COOKIE_SECONDS,
            httponly=True,
            samesite="lax",
            secure=ctx.settings.base_url.startswith("https://"),
            path=f"/shop/orders/{placed.reference}",
        )
    return response


@router.get("/shop/orders/{reference}")
def confirmation(
    request: Request, reference: str, ctx: ContextDep, uow: UowDep, token: SessionToken
) -> Response:
    """The order's confirmation: for its buyer's session or the guest's cookie only."""
    buyer = _buyer(ctx, uow, token)
    try:
        if buyer is not None:
            try:
                view = ctx.shop.order(uow, buyer, reference)
            except OrderNotFound:
                view = _by_cookie(request, ctx, uow, reference)
        else:
            view = _by_cookie(request, ctx, uow, reference)
    except OrderNotFound:
        return _not_found(request)
    return _order_page(request, view, signed_in=buyer is not None, confirmation=True)


@router.get("/account/orders")
def my_orders(request: Request, ctx: ContextDep, uow: UowDep, subject: CurrentSubject) -> Response:
    """The person's own orders, newest first."""
    _ = translations(page_language(request)).gettext
    rows = [
        {
            "reference": row.reference,
            "placed": row.placed_at.date().isoformat(),
            "total": euros(row.total_cents),
            "status": _(STATUS_WORDS[row.status]),
            "in_review": row.status is OrderStatus.IN_REVIEW,
        }
        for row in ctx.shop.orders_of(uow, subject)
    ]
    return render(request, "account_orders.html.j2", signed_in=True, rows=rows)


@router.get("/account/orders/{reference}")
def my_order(
    request: Request, reference: str, ctx: ContextDep, uow: UowDep, subject: CurrentSubject
) -> Response:
    """One of the person's orders."""
    try:
        view = ctx.shop.order(uow, subject, reference)
    except OrderNotFound:
        return _not_found(request)
    return _order_page(request, view, signed_in=True, confirmation=False)


# --- the steps ---------------------------------------------------------------------------


def _by_cookie(request: Request, ctx: ContextDep, uow: UowDep, reference: str) -> OrderView:
    cookie = request.cookies.get(ORDER_COOKIE_PREFIX + reference)
    return ctx.shop.order_by_token(uow, reference, cookie)


def _not_found(request: Request) -> Response:
    page = status_page(request, 404)
    assert page is not None  # noqa: S101  (the site has a 404 page)
    return page


def _form(request: Request, typed: dict[str, str] | None = None) -> Form:
    return Form(page_language(request), "checkout", _LABELS, typed)


def _page(request: Request, form: Form, *, signed_in: bool, status_code: int = 200) -> Response:
    products = [
        {
            "id": product.id,
            "name": form.say(product.name),
            "price": euros(product.price_cents),
            "quantity": form.value(f"qty-{product.id}"),
        }
        for product in PRODUCTS.values()
    ]
    return render(
        request,
        "shop.html.j2",
        status_code=status_code,
        signed_in=signed_in,
        form=form,
        products=products,
        countries=[(code, form.say(COUNTRY_NAMES[code])) for code in COUNTRIES],
        providers=[(provider.value, name) for provider, name in _PROVIDERS.items()],
    )


def _order_page(
    request: Request, view: OrderView, *, signed_in: bool, confirmation: bool
) -> Response:
    _ = translations(page_language(request)).gettext
    lines = [
        {
            "name": _(PRODUCTS[line.product].name) if line.product in PRODUCTS else line.product,
            "quantity": line.quantity,
            "price": euros(line.price_cents),
            "amount": euros(line.price_cents * line.quantity),
        }
        for line in view.lines
    ]
    return render(
        request,
        "shop_order.html.j2",
        signed_in=signed_in,
        order=view,
        confirmation=confirmation,
        lines=lines,
        total=euros(view.total_cents),
        status=_(STATUS_WORDS[view.status]),
        payment=_(PAYMENT_WORDS[view.payment_status]),
        payment_provider=_PROVIDERS[view.provider],
        country=_(COUNTRY_NAMES.get(view.address.country, view.address.country)),
        in_review=view.status is OrderStatus.IN_REVIEW,
        refused=view.status is OrderStatus.REFUSED,
    )
