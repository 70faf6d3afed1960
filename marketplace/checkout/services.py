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
from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..accounts.services import normalise_email
from ..cart.services import (MAX_LINE_QUANTITY, PROBLEM_UNAVAILABLE, CartRef, InsufficientStock,
                             ProductUnavailable, get_quantities, group_lines, load_products, remove_products)
from ..catalog.models import Product
from ..errors import DomainError, NotFound, ValidationFailed
from ..extensions import db
from ..orders import notifications
from ..orders.models import PAYMENT_METHODS, Order, OrderLine, OrderPart
from ..orders.services import new_order_code, payment_window
from ..payments import services as payments
from ..payments.vietqr import new_reference
from ..orders.status import record_created
from ..timeutil import utcnow
from ..transactions import run_in_transaction
from ..validators import normalise_phone

log = logging.getLogger(__name__)

LIMITS = {"full_name": 120, "line1": 255, "ward": 120, "province": 120, "note": 1000}


@dataclass(frozen=True)
class CheckoutDetails:
    full_name: str
    phone: str
    email: str
    line1: str
    ward: str
    province: str
    payment_method: str
    note: str = ""


def validate_details(contact: Mapping, shipping_address: Mapping, payment_method: str,
                     note: str | None = None) -> CheckoutDetails:
    """Check and normalise everything the shopper typed; errors name each field
    (`contact.phone`, `shipping_address.ward`, …) with a bilingual message."""
    errors: dict[str, list[str]] = {}
    contact = contact or {}
    address = shipping_address or {}

    def text(source: Mapping, key: str, prefix: str, label: str) -> str:
        value = " ".join(str(source.get(key) or "").split())
        if not value:
            errors[f"{prefix}.{key}"] = [f"Vui lòng nhập {label[0]} / {label[1]} is required"]
        elif len(value) > LIMITS[key]:
            errors[f"{prefix}.{key}"] = [f"Tối đa {LIMITS[key]} ký tự / At most {LIMITS[key]} characters"]
        return value

    full_name = text(contact, "full_name", "contact", ("họ tên", "Full name"))
    phone = email = ""
    try:
        phone = normalise_phone(contact.get("phone"))
    except ValueError as exc:
        errors["contact.phone"] = [str(exc)]
    try:
        email = normalise_email(contact.get("email"))
    except ValidationFailed:
        errors["contact.email"] = ["Email không hợp lệ / Invalid email"]
    line1 = text(address, "line1", "shipping_address", ("địa chỉ (số nhà, đường, thôn)", "Street address"))
    ward = text(address, "ward", "shipping_address", ("phường/xã", "Ward or commune"))
    province = text(address, "province", "shipping_address", ("tỉnh/thành phố", "Province or city"))
    if payment_method not in PAYMENT_METHODS:
        errors["payment_method"] = ["Chọn vietqr hoặc stripe / Choose vietqr or stripe"]
    note = (note or "").strip()
    if len(note) > LIMITS["note"]:
        errors["note"] = [f"Tối đa {LIMITS['note']} ký tự / At most {LIMITS['note']} characters"]
    if errors:
        raise ValidationFailed("Thông tin đặt hàng chưa hợp lệ / Please check the order details", fields=errors)
    return CheckoutDetails(full_name, phone, email, line1, ward, province, payment_method, note)


def validate_items(items) -> dict[int, int]:
    """[{product_id, quantity}] (or {product_id: quantity}) -> {product_id: quantity}, merging repeats."""
    pairs = items.items() if isinstance(items, Mapping) else ((i.get("product_id"), i.get("quantity"))
                                                              for i in items or ())
    quantities: dict[int, int] = {}
    for pid, qty in pairs:
        if isinstance(pid, bool) or not isinstance(pid, int) or isinstance(qty, bool) or not isinstance(qty, int) \
                or pid <= 0 or qty <= 0:
            raise ValidationFailed("Sản phẩm hoặc số lượng không hợp lệ / Invalid product or quantity",
                                   fields={"items": ["product_id, quantity ≥ 1"]})
        quantities[pid] = quantities.get(pid, 0) + qty
    if not quantities:
        raise ValidationFailed("Giỏ hàng trống / The cart is empty", code="cart_empty",
                               fields={"items": ["Giỏ hàng trống / The cart is empty"]})
    too_many = [pid for pid, qty in quantities.items() if qty > MAX_LINE_QUANTITY]
    if too_many:
        raise ValidationFailed(f"Tối đa {MAX_LINE_QUANTITY} mỗi sản phẩm / At most {MAX_LINE_QUANTITY} of one product",
                               fields={"items": [f"quantity ≤ {MAX_LINE_QUANTITY}"]})
    return quantities


def _reserve(quantities: dict[int, int], products: dict[int, Product]) -> None:
    """One conditional UPDATE per product, in id order; raise (rolling everything back) on a shortfall."""
    for pid in sorted(quantities):
        wanted = quantities[pid]
        result = db.session.execute(
            sa.update(Product).where(Product.id == pid, Product.status == "active", Product.stock >= wanted)
            .values(stock=Product.stock - wanted).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            available = db.session.scalar(sa.select(Product.stock).where(Product.id == pid)) or 0
            raise InsufficientStock(products[pid], pid, products[pid].name, available, wanted)


def _build_order(details: CheckoutDetails, quantities: dict[int, int], user_id: int | None,
                 actor) -> tuple[Order, dict[int, Product]]:
    products = load_products(quantities)
    missing = sorted(set(quantities) - set(products))
    if missing:
        raise NotFound(f"Không tìm thấy sản phẩm #{missing[0]} / Product #{missing[0]} not found",
                       extra={"product_id": missing[0]})
    priced = group_lines(products, quantities)
    for line in priced.lines:
        if line.problem == PROBLEM_UNAVAILABLE:
            raise ProductUnavailable(line.product.id, line.product.name)
    payments.check_payable(details.payment_method, priced.total_vnd)

    now = utcnow()
    code = new_order_code()
    order = Order(code=code, user_id=user_id, contact_name=details.full_name, contact_phone=details.phone,
                  contact_email=details.email, ship_line1=details.line1, ship_ward=details.ward,
                  ship_province=details.province, note=details.note,
                  subtotal_vnd=priced.subtotal_vnd, shipping_vnd=priced.shipping_vnd, total_vnd=priced.total_vnd,
                  payment_method=details.payment_method, payment_status="unpaid",
                  payment_reference=new_reference(),
                  payment_due_at=now + payment_window(details.payment_method), created_at=now, updated_at=now)
    for group in priced.groups:
        part = OrderPart(producer_id=group.producer.id, producer=group.producer, subtotal_vnd=group.subtotal_vnd,
                         shipping_vnd=group.shipping_vnd, created_at=now, updated_at=now)
        part.lines = [OrderLine(product_id=line.product.id, product_name=line.product.name,
                                unit=line.product.unit, unit_price_vnd=line.unit_price_vnd,
                                quantity=line.quantity, line_total_vnd=line.line_total_vnd)
                      for line in group.lines]
        order.parts.append(part)
    db.session.add(order)
    db.session.flush()
    record_created(order, actor)
    return order, products


def _is_code_clash(exc: IntegrityError) -> bool:
    text = str(exc.orig).lower()
    return "orders" in text and ("code" in text or "payment_reference" in text)


def place_order(details: CheckoutDetails, items, user=None, cart: CartRef | None = None) -> Order:
    """Create the order and reserve its stock in one transaction.

    `items` are the products to buy; when they came from `cart`, those lines leave
    the cart in the same transaction. Raises InsufficientStock / ProductUnavailable
    (409) or NotFound with nothing written.
    """
    quantities = validate_items(items)
    user_id = user.id if user is not None and getattr(user, "is_authenticated", False) else None
    actor = user if user_id else "shopper"

    def work() -> Order:
        order, products = _build_order(details, quantities, user_id, actor)
        if cart is not None and cart.user_id is not None:
            remove_products(cart, quantities)
        notifications.order_placed(order)
        # Last, so the product rows stay locked only for the moment before COMMIT.
        _reserve(quantities, products)
        return order

    for attempt in range(3):  # two random codes clashing is astronomically rare: just draw again
        try:
            order = run_in_transaction(work)
            break
        except IntegrityError as exc:
            if attempt == 2 or not _is_code_clash(exc):
                raise
    if cart is not None and cart.user_id is None:
        remove_products(cart, quantities)
    return order


def cart_items(cart: CartRef) -> dict[int, int]:
    return get_quantities(cart)


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
                "page_url": current_app.config["PUBLIC_BASE_URL"].rstrip("/") + payments.payment_page_path(order),
                "error": {"code": exc.code, "message": exc.message}}
