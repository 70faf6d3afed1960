"""Placing an order: one order, one part per producer, stock reserved in the same transaction.

Stock is reserved with one conditional UPDATE per product
(`stock = stock - n WHERE id = :id AND stock >= n`), taken in product id order so
two checkouts can never deadlock; if any line falls short the transaction rolls
back and nothing is written. Prices are copied onto the order lines: later price
edits never change a placed order.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, load_only, raiseload
from flask_babel import gettext

from ..cart.services import (CartRef, InsufficientStock,
                             ProductUnavailable, get_quantities, group_lines, remove_products)
from ..catalog.models import Certificate, Producer, Product
from ..errors import DomainError, NotFound
from ..extensions import db
from ..links import absolute_url
from ..mail.language import current_language
from ..invoicing import requests as invoice_requests
from ..orders import notifications
from ..cache import note_catalog_changed
from .. import stockview
from ..orders.models import Order, OrderEvent, OrderLine, OrderPart
from ..orders.services import new_order_code
from ..payments import services as payments
from ..payments.gateway import payment_window
from ..payments.vietqr import new_reference
from ..orders.status import actor_columns
from ..payments.models import PaymentAttempt
from ..search.sync import note_products
from ..timeutil import utcnow
from ..transactions import keeping_loaded, run_in_transaction
from . import idempotency, rows
from .limits import check_unpaid_holds
from .rules import CheckoutDetails, validate_items

log = logging.getLogger(__name__)

# Built once: a checkout only binds the ids (constructing the statement and its cache key
# again on every call costs more than running it; bench/shortcuts.py measures it).
def products_to_sell_statement() -> sa.Select:
    """The products of a checkout with only what an order reads (see `_products_to_sell`)."""
    return (
        sa.select(Product).where(Product.id.in_(sa.bindparam("ids", expanding=True))).order_by(Product.id)
        .options(load_only(Product.name, Product.unit, Product.price_vnd, Product.stock, Product.status,
                           Product.producer_id, raiseload=True),
                 joinedload(Product.producer).load_only(
                     Producer.name, Producer.approved, Producer.suspended_at, Producer.shipping_fee_vnd,
                     Producer.free_shipping_threshold_vnd, raiseload=True),
                 # Only a product with a live OCOP certificate is for sale (Product.for_sale).
                 joinedload(Product.certificate).load_only(
                     Certificate.stars, Certificate.verified, Certificate.expires_on, raiseload=True),
                 raiseload("*")))


_PRODUCTS_TO_SELL = products_to_sell_statement()


def _products_to_sell(product_ids) -> dict[int, Product]:
    """The products by id with just what placing an order reads: name, unit, price, stock,
    status, the producer's selling state and shipping terms and the certificate's stars and
validity, in one query (the
    catalogue's usual load also joins the category, certificate and locality).
    Anything else raises instead of quietly loading it row by row."""
    found = db.session.scalars(_PRODUCTS_TO_SELL, {"ids": sorted(set(product_ids))}).all()
    return {p.id: p for p in found}


def _check_stock(quantities: dict[int, int], products: dict[int, Product]) -> None:
    """Refuse early, before anything is written, what the stock just read cannot cover.

    Only a fast path for the common refusal: `_reserve` remains the authority."""
    for pid in sorted(quantities):
        if products[pid].stock < quantities[pid]:
            product = products[pid]
            raise InsufficientStock(product, pid, product.name, max(product.stock, 0), quantities[pid])


def reserve_statement() -> sa.Update:
    """Take `wanted` units of product `pid` if it is active and has them, RETURNING the stock left."""
    table = Product.__table__
    return (sa.update(table)
            .where(table.c.id == sa.bindparam("pid"), table.c.status == "active",
                   table.c.stock >= sa.bindparam("wanted"))
            .values(stock=table.c.stock - sa.bindparam("wanted"))
            .returning(table.c.stock))


_RESERVE = reserve_statement()


def _reserve(quantities: dict[int, int], products: dict[int, Product]) -> None:
    """One conditional UPDATE ... RETURNING per product, in id order (two checkouts never
    deadlock); raise, rolling everything back, on a shortfall.

    The statements run on the transaction's connection, out of sight of the session
    events, so this says itself what changed: the stock of these products (cached pages
    showing them are refreshed after the commit, see stockview.py; no shared row is
    written), and, for a product that sold out, the search index and the catalogue
    version (which products "in stock" lists and counts hold).
    """
    session = db.session()
    connection = session.connection()
    sold_out = []
    for pid in sorted(quantities):
        wanted = quantities[pid]
        left = connection.execute(_RESERVE, {"pid": pid, "wanted": wanted}).scalar()
        if left is None:
            available = session.scalar(sa.select(Product.stock).where(Product.id == pid)) or 0
            raise InsufficientStock(products[pid], pid, products[pid].name, available, wanted)
        if left == 0:
            sold_out.append(pid)
    stockview.note_changed(session, quantities)
    if sold_out:
        note_catalog_changed(session)
        note_products(session, sold_out)


def _build_order(details: CheckoutDetails, quantities: dict[int, int], products: dict[int, Product],
                 user_id: int | None, actor, client_address: str | None = None) -> Order:
    """The order, its parts, lines, history and (VietQR) payment attempt, written in one flush."""
    priced = group_lines(products, quantities)
    now = utcnow()
    actor_fields = actor_columns(actor)
    order = Order(code=new_order_code(), user_id=user_id, status="pending_payment", contact_name=details.full_name,
                  contact_phone=details.phone, contact_email=details.email, contact_lang=current_language(),
                  ship_line1=details.line1,
                  ship_ward=details.ward, ship_province=details.province, note=details.note,
                  client_address=client_address, subtotal_vnd=priced.subtotal_vnd,
                  shipping_vnd=priced.shipping_vnd, total_vnd=priced.total_vnd,
                  payment_method=details.payment_method, payment_status="unpaid",
                  payment_reference=new_reference(), payment_due_at=now + payment_window(details.payment_method),
                  paid_at=None, cancelled_at=None, stock_released_at=None, created_at=now, updated_at=now)
    events = [OrderEvent(from_status=None, to_status=order.status, note="", created_at=now, **actor_fields)]
    for group in priced.groups:
        part = OrderPart(producer_id=group.producer.id, producer=group.producer, status="pending",
                         subtotal_vnd=group.subtotal_vnd, shipping_vnd=group.shipping_vnd, carrier=None,
                         tracking_number=None, shipped_at=None, delivered_at=None, stock_released_at=None,
                         created_at=now, updated_at=now)
        part.lines = [OrderLine(product_id=line.product.id, product_name=line.product.name,
                                unit=line.product.unit, unit_price_vnd=line.unit_price_vnd,
                                quantity=line.quantity, line_total_vnd=line.line_total_vnd)
                      for line in group.lines]
        order.parts.append(part)
        events.append(OrderEvent(part=part, from_status=None, to_status=part.status, note="", created_at=now,
                                 **actor_fields))
    order.events = events
    return order


def _is_code_clash(exc: IntegrityError) -> bool:
    text = str(exc.orig).lower()
    return "orders" in text and ("code" in text or "payment_reference" in text)


@dataclass
class Placed:
    """A committed order, fully loaded, and its payment attempt when it opened with the order."""

    order: Order
    attempt: PaymentAttempt | None = None
    invoice_request: dict | None = None  # the buyer's cleaned invoice request, as stored


def place_order(details: CheckoutDetails, items, user=None, cart: CartRef | None = None,
                client_address: str | None = None) -> Order:
    """Create the order and reserve its stock in one transaction (see `checkout`)."""
    return checkout(details, items, user, cart, client_address).order


def checkout(details: CheckoutDetails, items, user=None, cart: CartRef | None = None,
             retry: idempotency.Retry | None = None, client_address: str | None = None,
             invoice: Mapping | None = None) -> Placed:
    """Create the order, its history and (VietQR) payment attempt and reserve its stock,
    all in one transaction.

    `items` are the products to buy; when they came from `cart`, those lines leave
    the cart in the same transaction. Raises InsufficientStock / ProductUnavailable
    (409), NotFound, or HoldLimitReached (422: the contact's or `client_address`'s unpaid
    orders hold enough, see limits.py) with nothing written. The objects stay loaded after
    the commit: the caller answers from them without reading the order back. With `retry`
    (an idempotency key) the key is taken in the same transaction: idempotency.KeyTaken,
    with nothing written, when another request took it first. `invoice`: the buyer's
    optional invoice request (invoicing.requests), stored with the order.
    """
    quantities = validate_items(items)
    invoice_request = invoice_requests.clean_request(invoice, details.email)  # None when not asked for
    user_id = user.id if user is not None and getattr(user, "is_authenticated", False) else None
    actor = user if user_id else "shopper"

    def work() -> Placed:
        products = _products_to_sell(quantities)
        missing = sorted(set(quantities) - set(products))
        if missing:
            raise NotFound(gettext("Product #%(id)d not found", id=missing[0]),
                           extra={"product_id": missing[0]})
        for pid in sorted(quantities):
            if not products[pid].for_sale:
                raise ProductUnavailable(pid, products[pid].name)
        _check_stock(quantities, products)
        check_unpaid_holds(details.phone, details.email, client_address, quantities)
        order = _build_order(details, quantities, products, user_id, actor, client_address)
        if retry is not None:  # first: a concurrent twin waits here, before locking any product row
            idempotency.claim(retry, order.code)
        payments.check_payable(details.payment_method, order.total_vnd)
        attempt = payments.new_offline_attempt(order)
        if cart is not None and cart.user_id is not None:
            remove_products(cart, quantities)
        rows.write(order, attempt)
        invoice_requests.attach_request(order.id, invoice_request)
        notifications.order_placed(order)
        # Last, so the product rows stay locked only for the moment before COMMIT.
        _reserve(quantities, products)
        return Placed(order, attempt, invoice_request)

    for attempt in range(3):  # two random codes clashing is astronomically rare: just draw again
        try:
            placed = run_in_transaction(work, keep_loaded=True)
            break
        except IntegrityError as exc:
            if attempt == 2 or not _is_code_clash(exc):
                raise
    if cart is not None and cart.user_id is None:
        remove_products(cart, quantities)
    return placed


def cart_items(cart: CartRef) -> dict[int, int]:
    return get_quantities(cart)


def payment_of(placed: Placed) -> dict:
    """The Payment object for a just-placed order: the attempt that opened with it, or
    the provider's (Stripe's) call now, after the order's commit."""
    if placed.attempt is not None:
        return payments.describe_attempt(placed.order, placed.attempt)
    with keeping_loaded():  # it commits; the order it describes stays as placed
        return start_payment(placed.order)


def start_payment(order: Order) -> dict:
    """Open the payment (VietQR instructions, or a Stripe Checkout session) for a placed order.

    Runs after the order has committed, in its own transaction: a payment provider that
    is slow or down never holds stock locks nor loses the order. If it fails, the order
    waits unpaid and the shopper retries from the payment page (`page_url`).
    """
    try:
        payment = payments.start_payment(order)
        db.session.commit()
        return payment
    except DomainError as exc:
        db.session.rollback()
        log.warning("payment for order %s not started: %s", order.code, exc.code)
        return {"method": order.payment_method, "status": order.payment_status, "amount_vnd": order.total_vnd,
                "page_url": absolute_url(payments.payment_page_path(order)),
                "error": {"code": exc.code, "message": exc.message}}
