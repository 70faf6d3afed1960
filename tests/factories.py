"""Builders for test data. Each commits and returns the object.

Catalogue and accounts rows are written directly (they have no workflow of their own to go
through). Orders are never hand-built: `place_order` runs the real checkout, `pay` the real
bank-transfer path (a SePay notification signed with the API key, in a request of its own),
`move_parts` the real status service, `refund_part` the real cancellation and refund, and
`expired_order` the real expiry. For the statistics and sales tests, `backdate` and
`date_since` only shift times (creation, payment, refund, history) into the past, to put a
sale at a month's edge in local time. So an order in a test is one the application could
have made.
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app, g, has_app_context

from marketplace.accounts.services import create_user
from marketplace.catalog.models import Category, Certificate, Locality, Producer, Product
from marketplace.extensions import db
from marketplace.timeutil import local_today
from marketplace.validators import slugify

_seq = itertools.count(1)
PASSWORD = "mat-khau-123"


def locality(name: str = "Ba Chẽ", region: str = "Ba Chẽ", kind: str = "commune") -> Locality:
    slug = slugify(name)
    existing = db.session.query(Locality).filter_by(slug=slug).one_or_none()
    if existing:
        return existing
    loc = Locality(slug=slug, name=name, kind=kind, region=region, region_slug=slugify(region))
    db.session.add(loc)
    db.session.commit()
    return loc


def category(name_vi: str = "Thực phẩm", name_en: str = "Food", parent: Category | None = None) -> Category:
    slug = slugify(name_en)
    existing = db.session.query(Category).filter_by(slug=slug).one_or_none()
    if existing:
        return existing
    cat = Category(slug=slug, name_vi=name_vi, name_en=name_en, parent_id=parent.id if parent else None)
    db.session.add(cat)
    db.session.commit()
    return cat


def producer(name: str | None = None, kind: str = "cooperative", approved: bool = True, loc: Locality | None = None,
             **extra) -> Producer:
    n = next(_seq)
    name = name or f"HTX Thử nghiệm {n}"
    extra.setdefault("tax_code", f"{5700000000 + n}")
    prod = Producer(slug=f"{slugify(name)}-{n}", name=name, kind=kind,
                    locality_id=(loc or locality()).id, address="Thôn 1", phone="0912345678",
                    approved=approved, **extra)
    db.session.add(prod)
    db.session.commit()
    return prod


def product(name: str | None = None, price_vnd: int = 100_000, stock: int = 10, status: str = "active",
            prod: Producer | None = None, cat: Category | None = None, stars: int | None = 4,
            verified: bool = True, expires_on: date | None = None, description: str = "",
            **extra) -> Product:
    n = next(_seq)
    name = name or f"Sản phẩm {n}"
    item = Product(slug=f"{slugify(name)}-{n}", name=name, description=description, unit="hộp 500 g",
                   price_vnd=price_vnd, stock=stock, status=status,
                   category_id=(cat or category()).id, producer_id=(prod or producer()).id, **extra)
    db.session.add(item)
    db.session.flush()
    if stars is not None:
        issued = local_today() - timedelta(days=100)
        db.session.add(Certificate(product_id=item.id, stars=stars, certificate_no=f"QN-{n:04d}",
                                   level="national" if stars == 5 else "province", issued_on=issued,
                                   expires_on=expires_on or Certificate.default_expiry(issued), verified=verified))
    db.session.commit()
    return item


@dataclass
class Seller:
    """A producer and the member who sells for it."""
    producer: object
    user: object


def seller_of(name: str) -> Seller:
    made = producer(name)
    return Seller(made, user("seller", producer_id=made.id))


def user(role: str = "shopper", email: str | None = None, producer_id: int | None = None, **extra):
    n = next(_seq)
    return create_user(email or f"user{n}@example.vn", PASSWORD, extra.pop("full_name", f"Người dùng {n}"),
                       extra.pop("phone", "0912345678"), role=role, producer_id=producer_id)


def login(client, email: str, password: str = PASSWORD):
    """Sign a test client in through the API."""
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def session_key(user) -> str:
    """A live session record for `user` (what signing in creates); its key is what
    Flask-Login keeps in the session cookie."""
    from marketplace.accounts.sessions import start_session

    key = start_session(user)
    db.session.commit()
    return key


def login_as(client, user) -> None:
    """Sign a test client in by writing the Flask-Login session directly (with a new
    session record, as a sign-in makes)."""
    key = session_key(user)
    with client.session_transaction() as session:
        session["_user_id"] = key
        session["_fresh"] = True
    # Requests made inside a test's app context (the ctx/db fixtures) share its `g`, where
    # Flask-Login caches the user of the previous request: forget it.
    if has_app_context():
        g.pop("_login_user", None)


# --- orders: placed through the real checkout, paid and moved through the real services -------

CONTACT = {"full_name": "Nguyễn Thị Lan", "phone": "0912 345 678", "email": "lan@example.vn"}
ADDRESS = {"line1": "Số 12, phố Cao Thắng", "ward": "Phường Hạ Long", "province": "Quảng Ninh"}

_numbers = itertools.count(1)
_transfers = itertools.count(880_001)


def checkout_body(items=None, method: str = "vietqr", **extra) -> dict:
    """The JSON body of `POST /api/v1/checkout` for `items` ([(product or id, quantity)])."""
    body = {"contact": dict(CONTACT), "shipping_address": dict(ADDRESS), "payment_method": method}
    if items is not None:
        body["items"] = [{"product_id": p.id if hasattr(p, "id") else p, "quantity": q} for p, q in items]
    body.update(extra)
    return body


def checkout(client, items=None, method: str = "vietqr", **extra):
    """Check out through the API as `client` (without `items`: the client's cart)."""
    return client.post("/api/v1/checkout", json=checkout_body(items, method, **extra))


def place_order(items, method: str = "vietqr", user=None, *, contact: dict | None = None,
                address: dict | None = None, note: str = "", unique_email: bool = False):
    """An order waiting for payment of `items` ([(product, quantity)] or {product_id: quantity}),
    placed by the checkout service (the shopper's validation, stock reserved, one part per
    producer, shipping from each producer's fee, history, payment attempt, confirmation mail
    queued), loaded with its parts and lines. `contact`/`address` replace fields of the
    defaults; `unique_email` gives the order a contact email of its own (for mail assertions).
    Call it inside the `db` (or `ctx`) fixture's context."""
    from marketplace.checkout.rules import validate_details
    from marketplace.checkout.services import checkout as checkout_service
    from marketplace.orders.services import get_order

    contact = {**CONTACT, **(contact or {})}
    if unique_email:
        contact["email"] = f"khach{next(_numbers)}@example.vn"
    details = validate_details(contact, {**ADDRESS, **(address or {})}, method, note)
    quantities = items if isinstance(items, dict) else {product.id: quantity for product, quantity in items}
    placed = checkout_service(details, quantities, user=user)
    return get_order(placed.order.code)


def reload(order):
    """`order` read again from the database (after requests or services changed it)."""
    from marketplace.orders.services import get_order

    db.session.expire_all()
    return get_order(order.code)


def stock_of(product) -> int:
    db.session.expire_all()
    return db.session.get(Product, product.id).stock


def backdate(order, created_at: datetime):
    """Move a placed order's creation (its payment deadline and the history written so far with
    it) into the past, as if it had been placed at `created_at`: for payments and statistics
    dated before today. Only times change."""
    from marketplace.orders.models import OrderEvent

    shift = created_at - order.created_at
    order.created_at = created_at
    order.payment_due_at = order.payment_due_at + shift
    for event in db.session.scalars(sa.select(OrderEvent).where(OrderEvent.order_id == order.id)):
        event.created_at = event.created_at + shift
    db.session.commit()
    return order


def date_since(order, when: datetime) -> None:
    """What the services just did to `order` (it ran today) dated `when` instead, for tests of
    figures in the past: history rows written after `when` and the cancellation time move back
    to `when`. Only times change; call it right after the service, with the order's past
    `when` later than its creation (`backdate`)."""
    from marketplace.orders.models import OrderEvent

    for event in db.session.scalars(sa.select(OrderEvent).where(OrderEvent.order_id == order.id,
                                                               OrderEvent.created_at > when)):
        event.created_at = when
    if order.cancelled_at is not None and order.cancelled_at > when:
        order.cancelled_at = when
    db.session.commit()


SEPAY_KEY = "sepay-key-of-the-test-factories"


def pay(order, when: datetime | str | None = None, *, amount_vnd: int | None = None, txn_id: int | None = None):
    """Pay `order` by bank transfer, as SePay notifies the marketplace of it: a signed webhook
    request of its own, through the same matching and ledger as production. `when` (an instant,
    or the bank's local "YYYY-MM-DD HH:MM:SS") is the transfer's time, which becomes the
    order's payment time; it must not precede the order (`backdate` it first). `amount_vnd`
    defaults to the order's total. Returns the order read back."""
    from marketplace.timeutil import to_local, utcnow

    app = current_app._get_current_object()
    if when is None:
        when = utcnow()
    if isinstance(when, datetime):
        when = to_local(when).strftime("%Y-%m-%d %H:%M:%S")
    txn_id = txn_id if txn_id is not None else next(_transfers)
    was_paid = reload(order).paid_at is not None
    text = f"{order.payment_reference} chuyen tien mua hang"
    body = {"id": txn_id, "gateway": "Vietcombank", "transactionDate": when,
            "accountNumber": app.config["VIETQR_ACCOUNT_NO"], "code": None, "content": text,
            "transferType": "in", "transferAmount": order.total_vnd if amount_vnd is None else amount_vnd,
            "accumulated": 0, "subAccount": None, "referenceCode": f"FT{txn_id}",
            "description": f"BankAPINotify {text}"}
    # The test's own API key unless one is configured; the settings are put back afterwards.
    saved = {key: app.config.get(key) for key in ("SEPAY_API_KEY", "SEPAY_WEBHOOK_AUTH")}
    key = saved["SEPAY_API_KEY"] or SEPAY_KEY
    app.config.update(SEPAY_API_KEY=key, SEPAY_WEBHOOK_AUTH="apikey")
    try:
        from tests.conftest import new_client

        # A request in a fresh context of its own, as the bank's server would make it.
        response = new_client(app, cookies=False).post("/payments/sepay/webhook", data=json.dumps(body),
                                                       headers={"Authorization": f"Apikey {key}"},
                                                       content_type="application/json")
    finally:
        app.config.update(saved)
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    paid = reload(order)
    if not was_paid and paid.paid_at is not None and paid.paid_at < utcnow() - timedelta(minutes=1):
        date_since(paid, paid.paid_at)  # the history of this payment, made in the past
    return reload(order)


def paid_order(items, paid_at: datetime | None = None, user=None, **placing):
    """An order placed through the checkout and paid in full by bank transfer at `paid_at`
    (now by default; an earlier time backdates the order to an hour before it)."""
    order = place_order(items, user=user, **placing)
    if paid_at is not None:
        backdate(order, paid_at - timedelta(hours=1))
    paid = pay(order, paid_at)
    assert paid.status == "paid", f"the transfer was not applied to {paid.code} (held or unmatched)"
    return paid


def local(*args) -> datetime:
    """A wall-clock time in Vietnam (UTC+7) as an aware instant: `local(2025, 1, 31, 23, 30)`."""
    from marketplace.timeutil import LOCAL_TZ

    return datetime(*args, tzinfo=LOCAL_TZ)


TRACKING = {"carrier": "ghn", "tracking_number": "GHN12345678"}


def move_parts(order, *statuses: str, actor="admin"):
    """Move every live part of a paid order through `statuses` in turn (e.g. "confirmed",
    "shipped", "delivered") with the status service sellers and admins use; a shipped part gets
    a carrier and tracking number. Returns the order read back."""
    from marketplace.orders.services import update_part_status

    for status in statuses:
        for part in reload(order).parts:
            if part.status != "cancelled":
                extra = TRACKING if status == "shipped" else {}
                update_part_status(part, status, actor, **extra)
    return reload(order)


def refund_part(part, when: datetime | None = None, *, paid_back: bool = True, reason: str = "Hết hàng"):
    """Cancel one part of a paid order with the status service and give its money back through
    the real refund path: a bank-transfer order's refund of the part (its lines and its
    shipping) is `due` until an admin marks it paid back, which `paid_back` does. `when` dates
    the cancellation and the money given back in the past (for statistics): only times change.
    Returns the refund."""
    from marketplace.orders.services import cancel_part, get_order
    from marketplace.payments.models import LedgerEntry, Refund
    from marketplace.payments.refunds import mark_refund_paid

    code, part_id = part.order.code, part.id
    cancel_part(part, "admin", reason)
    refund = db.session.scalars(sa.select(Refund).where(Refund.part_id == part_id)).one()
    if paid_back:
        refund = mark_refund_paid(refund.id, "admin", "Đã chuyển khoản hoàn tiền")
    if when is not None:
        refund.created_at = when
        if refund.refunded_at is not None:
            refund.refunded_at = when
            for entry in db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.refund_id == refund.id)):
                entry.occurred_at = when
        date_since(get_order(code), when)
    return refund


def expired_order(items, **placing):
    """An order placed through the checkout and never paid: the real expiry moved it to
    `expired` (its parts cancelled, its stock released)."""
    from marketplace.orders.services import expire_order

    order = place_order(items, **placing)
    assert expire_order(order)
    return reload(order)


def flat_shipping(*producers, fee_vnd: int) -> None:
    """Each producer charges `fee_vnd` for every parcel, however large (no free-shipping
    threshold): the checkout prices the next orders with it."""
    for made in producers:
        made.shipping_fee_vnd = fee_vnd
        made.free_shipping_threshold_vnd = 10**15
    db.session.commit()


def certificate_expires(product, on: date) -> None:
    """The product's OCOP certificate runs out on `on` (its dates edited, as if it had been
    issued 36 months earlier): a sale paid after that day carries no stars. Used after the
    product was sold through the checkout, which sells only certified products."""
    certificate = db.session.scalars(sa.select(Certificate).where(Certificate.product_id == product.id)).one()
    certificate.issued_on = on - timedelta(days=3 * 365)
    certificate.expires_on = on
    db.session.commit()
