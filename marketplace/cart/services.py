"""Cart rules: what may go in a cart, how it is stored, and how it is priced.

A guest's cart lives in the (signed) session as {product_id: quantity}; a
signed-in shopper's cart is stored (Cart, CartItem) so it follows them across
devices. At login the guest cart is merged into the stored one (see
`merge_guest_cart`, hooked to Flask-Login's `user_logged_in` signal so every
way of logging in merges).

Pricing (`price_cart`) is shared with checkout: the same grouping per producer,
the same shipping rule, so the cart shows exactly what checkout will charge.
"""
from __future__ import annotations

import logging
from collections.abc import MutableMapping
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app, has_request_context, session
from flask_login import user_logged_in
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import lazyload
from flask_babel import gettext

from ..catalog.models import Producer, Product
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..timeutil import utcnow
from .models import Cart, CartItem

log = logging.getLogger(__name__)

MAX_LINE_QUANTITY = 99  # per product, per cart or order
MAX_CART_LINES = 50  # distinct products in one cart (a guest cart lives in a cookie)
SESSION_KEY = "cart"

PROBLEM_UNAVAILABLE = "unavailable"  # archived, draft, or its producer may not sell
PROBLEM_OUT_OF_STOCK = "out_of_stock"
PROBLEM_INSUFFICIENT = "insufficient_stock"


class InsufficientStock(Conflict):
    code = "insufficient_stock"

    def __init__(self, product: Product | None, product_id: int, name: str, available: int, requested: int):
        super().__init__(
            gettext("Not enough stock: “%(name)s” has only %(n)d left", name=name, n=available),
            extra={"product_id": product_id, "product_name": name, "available": available, "requested": requested},
        )


class ProductUnavailable(Conflict):
    code = "product_unavailable"

    def __init__(self, product_id: int, name: str):
        super().__init__(gettext("“%(name)s” is no longer for sale", name=name),
                         extra={"product_id": product_id, "product_name": name})


# --- where a cart lives --------------------------------------------------------------------------


@dataclass(frozen=True)
class CartRef:
    """Whose cart: a signed-in user's stored cart, or the guest session's."""

    user_id: int | None
    session: MutableMapping | None = None

    @classmethod
    def for_user(cls, user, session: MutableMapping | None) -> "CartRef":
        if user is not None and getattr(user, "is_authenticated", False):
            return cls(user_id=user.id)
        return cls(user_id=None, session=session if session is not None else {})


def get_quantities(ref: CartRef) -> dict[int, int]:
    """{product_id: quantity} in the order the products were added."""
    if ref.user_id is None:
        raw = ref.session.get(SESSION_KEY) or {}
        out: dict[int, int] = {}
        for key, qty in raw.items():
            try:
                pid, qty = int(key), int(qty)
            except (TypeError, ValueError):
                continue
            if pid > 0 and 0 < qty <= MAX_LINE_QUANTITY:
                out[pid] = qty
        return out
    rows = db.session.execute(
        sa.select(CartItem.product_id, CartItem.quantity)
        .join(Cart, Cart.id == CartItem.cart_id)
        .where(Cart.user_id == ref.user_id)
        .order_by(CartItem.id)
    ).all()
    return {pid: qty for pid, qty in rows}


def _insert(model):
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def _cart_id(user_id: int) -> int:
    """The user's stored cart id, created on first use (safe when two requests race)."""
    now = utcnow()
    db.session.execute(_insert(Cart).values(user_id=user_id, created_at=now, updated_at=now)
                       .on_conflict_do_nothing(index_elements=["user_id"]))
    return db.session.scalar(sa.select(Cart.id).where(Cart.user_id == user_id))


def _store(ref: CartRef, quantities: dict[int, int]) -> None:
    """Write the quantities for the given products (0 removes the line)."""
    if ref.user_id is None:
        raw = dict(ref.session.get(SESSION_KEY) or {})
        for pid, qty in quantities.items():
            if qty > 0:
                raw[str(pid)] = qty
            else:
                raw.pop(str(pid), None)
        ref.session[SESSION_KEY] = raw
        return
    cart_id = _cart_id(ref.user_id)
    now = utcnow()
    removed = [pid for pid, qty in quantities.items() if qty <= 0]
    if removed:
        db.session.execute(sa.delete(CartItem).where(CartItem.cart_id == cart_id, CartItem.product_id.in_(removed)))
    for pid, qty in sorted(quantities.items()):
        if qty <= 0:
            continue
        stmt = _insert(CartItem).values(cart_id=cart_id, product_id=pid, quantity=qty, created_at=now, updated_at=now)
        db.session.execute(stmt.on_conflict_do_update(index_elements=["cart_id", "product_id"],
                                                      set_={"quantity": qty, "updated_at": now}))
    db.session.execute(sa.update(Cart).where(Cart.id == cart_id).values(updated_at=now))


# --- changing a cart -----------------------------------------------------------------------------


def _check_quantity(quantity, allow_zero: bool = False) -> int:
    low = 0 if allow_zero else 1
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not low <= quantity <= MAX_LINE_QUANTITY:
        raise ValidationFailed(
            gettext("Quantity must be between %(low)d and %(high)d", low=low, high=MAX_LINE_QUANTITY),
            fields={"quantity": [f"{low}–{MAX_LINE_QUANTITY}"]})
    return quantity


def _sellable_product(product_id: int) -> Product:
    product = db.session.execute(
        sa.select(Product).join(Producer, Producer.id == Product.producer_id)
        .where(Product.id == product_id, Product.for_sale_clause())
        .options(lazyload(Product.images))
    ).unique().scalar_one_or_none()
    if product is None:
        raise NotFound(gettext("Product not found"))
    return product


def _check_stock(product: Product, quantity: int) -> None:
    if quantity > product.stock:
        raise InsufficientStock(product, product.id, product.name, product.stock, quantity)


def add_item(ref: CartRef, product_id: int, quantity: int) -> None:
    """Put `quantity` more of a product in the cart (adds to what is already there)."""
    quantity = _check_quantity(quantity)
    product = _sellable_product(product_id)
    current = get_quantities(ref)
    if product_id not in current and len(current) >= MAX_CART_LINES:
        raise Conflict(gettext("A cart holds at most %(n)d products", n=MAX_CART_LINES),
                       code="cart_full")
    total = current.get(product_id, 0) + quantity
    if total > MAX_LINE_QUANTITY:
        raise ValidationFailed(
            gettext("At most %(n)d of one product", n=MAX_LINE_QUANTITY),
            fields={"quantity": [f"≤ {MAX_LINE_QUANTITY - current.get(product_id, 0)}"]})
    _check_stock(product, total)
    _store(ref, {product_id: total})
    db.session.commit()


def set_quantity(ref: CartRef, product_id: int, quantity: int) -> None:
    """Set a line's quantity; 0 removes it. A product not in the cart is 404."""
    quantity = _check_quantity(quantity, allow_zero=True)
    if product_id not in get_quantities(ref):
        raise NotFound(gettext("Product is not in the cart"))
    if quantity:
        product = db.session.get(Product, product_id)
        if product is not None:
            _check_stock(product, quantity)
    _store(ref, {product_id: quantity})
    db.session.commit()


def remove_item(ref: CartRef, product_id: int) -> None:
    """Remove a line (removing what is not there is not an error, and writes nothing)."""
    if product_id not in get_quantities(ref):
        return
    _store(ref, {product_id: 0})
    db.session.commit()


def remove_products(ref: CartRef, product_ids) -> None:
    """Drop lines after checkout (the caller commits, in its own transaction)."""
    _store(ref, {pid: 0 for pid in product_ids})


def merge_guest_cart(user_id: int, session: MutableMapping) -> int:
    """Move a guest session's cart into the user's stored cart. Returns the lines merged.

    Quantities of a product in both carts add up (capped at MAX_LINE_QUANTITY);
    stock shortfalls are flagged by the cart view rather than dropped here.
    """
    guest = get_quantities(CartRef(user_id=None, session=session))
    if not guest:
        session.pop(SESSION_KEY, None)
        return 0
    ref = CartRef(user_id=user_id)
    stored = get_quantities(ref)
    existing = set(db.session.scalars(sa.select(Product.id).where(Product.id.in_(guest))))
    room = MAX_CART_LINES - len(stored)
    merged: dict[int, int] = {}
    for pid, qty in guest.items():
        if pid not in existing:
            continue
        if pid not in stored:
            if room <= 0:
                continue
            room -= 1
        merged[pid] = min(MAX_LINE_QUANTITY, stored.get(pid, 0) + qty)
    _store(ref, merged)
    db.session.commit()
    session.pop(SESSION_KEY, None)
    return len(merged)


# --- pricing: shared by the cart view and checkout -----------------------------------------------


def shipping_terms(producer: Producer) -> tuple[int, int]:
    """(flat fee, free-shipping threshold) of a producer, or the marketplace defaults."""
    cfg = current_app.config
    fee = producer.shipping_fee_vnd if producer.shipping_fee_vnd is not None else cfg["DEFAULT_SHIPPING_VND"]
    free_from = (producer.free_shipping_threshold_vnd if producer.free_shipping_threshold_vnd is not None
                 else cfg["DEFAULT_FREE_SHIPPING_VND"])
    return fee, free_from


def shipping_for(producer: Producer, subtotal_vnd: int) -> int:
    fee, free_from = shipping_terms(producer)
    return 0 if subtotal_vnd >= free_from else fee


@dataclass
class PricedLine:
    product: Product
    quantity: int
    problem: str | None = None

    @property
    def unit_price_vnd(self) -> int:
        return self.product.price_vnd

    @property
    def line_total_vnd(self) -> int:
        return self.product.price_vnd * self.quantity

    @property
    def buyable(self) -> bool:
        return self.problem not in (PROBLEM_UNAVAILABLE, PROBLEM_OUT_OF_STOCK)


@dataclass
class PricedGroup:
    producer: Producer
    lines: list[PricedLine] = field(default_factory=list)

    @property
    def subtotal_vnd(self) -> int:
        return sum(line.line_total_vnd for line in self.lines if line.buyable)

    @property
    def shipping_vnd(self) -> int:
        return shipping_for(self.producer, self.subtotal_vnd) if any(l.buyable for l in self.lines) else 0

    @property
    def total_vnd(self) -> int:
        return self.subtotal_vnd + self.shipping_vnd

    @property
    def free_shipping_threshold_vnd(self) -> int:
        return shipping_terms(self.producer)[1]


@dataclass
class PricedCart:
    groups: list[PricedGroup]

    @property
    def lines(self) -> list[PricedLine]:
        return [line for group in self.groups for line in group.lines]

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def subtotal_vnd(self) -> int:
        return sum(g.subtotal_vnd for g in self.groups)

    @property
    def shipping_vnd(self) -> int:
        return sum(g.shipping_vnd for g in self.groups)

    @property
    def total_vnd(self) -> int:
        return self.subtotal_vnd + self.shipping_vnd

    @property
    def problems(self) -> list[PricedLine]:
        return [line for line in self.lines if line.problem]

    @property
    def can_checkout(self) -> bool:
        return bool(self.lines) and not self.problems


def load_products(product_ids) -> dict[int, Product]:
    """Products (with producer) by id, in one query."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    rows = db.session.scalars(sa.select(Product).where(Product.id.in_(ids)).order_by(Product.id)
                              .options(lazyload(Product.images))).unique().all()
    return {p.id: p for p in rows}


def group_lines(products: dict[int, Product], quantities: dict[int, int]) -> PricedCart:
    """Group lines by producer (in producer id order), flagging what cannot be bought."""
    groups: dict[int, PricedGroup] = {}
    for pid, qty in quantities.items():
        product = products.get(pid)
        if product is None:
            continue  # deleted outright: nothing left to show
        if not product.for_sale:
            problem = PROBLEM_UNAVAILABLE
        elif product.stock <= 0:
            problem = PROBLEM_OUT_OF_STOCK
        elif qty > product.stock:
            problem = PROBLEM_INSUFFICIENT
        else:
            problem = None
        group = groups.setdefault(product.producer_id, PricedGroup(producer=product.producer))
        group.lines.append(PricedLine(product=product, quantity=qty, problem=problem))
    return PricedCart(groups=[groups[k] for k in sorted(groups)])


def price_cart(ref: CartRef) -> PricedCart:
    quantities = get_quantities(ref)
    return group_lines(load_products(quantities), quantities)


def item_count(ref: CartRef) -> int:
    return sum(get_quantities(ref).values())


@user_logged_in.connect
def _merge_at_login(_app, user=None, **_extra) -> None:
    """Every login (web form or API) brings the guest's cart along."""
    if user is None or not has_request_context():
        return
    try:
        merge_guest_cart(user.id, session)
    except Exception:  # noqa: BLE001 - a cart problem must never block a login
        db.session.rollback()
        log.exception("guest cart not merged for user %s", user.id)
