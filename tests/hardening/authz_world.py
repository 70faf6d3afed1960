"""A small market in which every kind of object has an owner, for the authorisation tests.

Two producers (A and B), each with a seller, an active product with a verified
certificate (producer A's with a photo and a certificate scan on disk) and an API
token; two shoppers, each with a cart and a paid order from their own producer (all
orders placed through the real checkout and paid by a signed bank webhook; shopper A also
has a second order, its part cancelled, with a refund due to be paid back by hand); an
unmatched bank transfer; an admin.

The "victim" side is A: the matrix tries A's objects as anonymous, as shopper B,
as producer B's seller and as admin. `snapshot()` captures every table and the
uploads folder, so a test can prove that a refused request changed nothing.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from PIL import Image

from marketplace.accounts.models import User
from marketplace.cart.models import Cart, CartItem
from marketplace.catalog.models import Certificate, Producer, Product, ProductImage
from marketplace.extensions import db
from marketplace.orders.models import Order
from marketplace.payments.models import BankTransfer
from marketplace.seller import certificates, photos, tokens
from marketplace.timeutil import utcnow
from marketplace.traceability.files import add_lot_file
from marketplace.traceability.lots import create_lot
from tests import factories


@dataclass(frozen=True)
class Side:
    """One producer with its seller, and one shopper buying from it (ids and texts only: the
    world outlives the database session that built it)."""

    producer_id: int
    seller_id: int
    product_id: int
    product_name: str
    certificate_id: int
    shopper_id: int
    shopper_email: str
    order_code: str
    part_id: int
    token_id: int


@dataclass(frozen=True)
class World:
    a: Side
    b: Side
    admin_id: int
    image_id: int
    scan_path: str
    refund_id: int
    transfer_id: int
    lot_id: int = 0  # a lot of producer A's product (traceability)
    address_id: int = 0  # shopper A's address-book entry (ADDRESS_LINE)
    lot_file_id: int = 0  # a photo of that lot

    def user_id(self, role: str) -> int | None:
        """The id of the user acting as `role` (None for anonymous)."""
        return {"anonymous": None, "other_shopper": self.b.shopper_id, "other_seller": self.b.seller_id,
                "admin": self.admin_id, "owner_shopper": self.a.shopper_id, "owner_seller": self.a.seller_id}[role]


# Shopper A's saved street address: no listing of anyone else may show it.
ADDRESS_LINE = "Số 7, ngõ Riêng Tư"


def photo_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (180, 90, 30)).save(out, "JPEG")
    return out.getvalue()


def paid_order(shopper, product: Product) -> Order:
    """One unit of `product` bought by the signed-in `shopper` through the real checkout (its
    contact theirs) and paid by bank transfer: a part waiting for its producer."""
    return factories.paid_order([(product, 1)], user=shopper,
                                contact={"full_name": shopper.full_name, "email": shopper.email})


def _side(label: str, producer_name: str, product_name: str) -> tuple[Side, object, Product]:
    producer = factories.producer(producer_name)
    seller = factories.user("seller", email=f"seller-{label}@example.vn", producer_id=producer.id)
    product = factories.product(product_name, prod=producer, stock=20)
    shopper = factories.user("shopper", email=f"shopper-{label}@example.vn")
    cart = Cart(user_id=shopper.id)
    db.session.add(cart)
    db.session.flush()
    db.session.add(CartItem(cart_id=cart.id, product_id=product.id, quantity=2))
    db.session.commit()
    order = paid_order(shopper, product)
    tokens.create_api_token(seller, f"kho {label}")
    token_id = tokens.api_tokens(seller)[0].id
    certificate = db.session.scalars(sa.select(Certificate).where(Certificate.product_id == product.id)).one()
    side = Side(producer.id, seller.id, product.id, product.name, certificate.id, shopper.id, shopper.email,
                order.code, order.parts[0].id, token_id)
    return side, seller, product


def build_world() -> World:
    a, seller_a, product_a = _side("a", "HTX Trà hoa vàng Ba Chẽ", "Trà hoa vàng thượng hạng")
    b, _seller_b, _product_b = _side("b", "HTX Hàu Vân Đồn", "Hàu sữa Vân Đồn")
    admin = factories.user("admin", email="admin@example.vn")
    # A refund waiting to be paid back by hand: shopper A's second order, its part cancelled
    # (shopper A's first order stays paid and live for the part routes).
    refund = factories.refund_part(paid_order(db.session.get(User, a.shopper_id), product_a).parts[0],
                                   paid_back=False, reason="Thiếu hàng")
    image = photos.add_images(product_a, seller_a, [("tra.jpg", photo_bytes())])[0]
    # A certificate scan on disk (private storage) for the scan routes.
    certificate = certificates.claim_certificate(
        product_a, seller_a,
        {"stars": "4", "certificate_no": "QN-2025-0042", "level": "province",
         "issued_on": "2025-01-10", "expires_on": "2028-01-10"},
        scan=("scan.jpg", photo_bytes()))
    transfer = BankTransfer(provider="sepay", provider_txn_id="9001", bank="Vietcombank", account_no="0011004123456",
                            amount_vnd=55_000, description="chuyen tien khong ro", bank_reference="FT9001",
                            transacted_at=utcnow(), status="unmatched")
    db.session.add(transfer)
    db.session.commit()
    lot = create_lot(a.producer_id, a.product_id, seller_a, {
        "code": "TRA-01", "produced_on": "2026-01-05", "best_before": "2027-01-05", "quantity": 100})
    lot_file = add_lot_file(lot, seller_a, "photo", photo_bytes(), "Đồi chè")
    from marketplace.accounts.addresses import create_address

    address = create_address(db.session.get(User, a.shopper_id), {
        "full_name": "Người mua A", "phone": "0912345678", "line1": ADDRESS_LINE, "province_code": 22,
        "ward_code": 7090})
    _SESSION_KEYS.clear()
    for user in db.session.scalars(sa.select(User)):
        _SESSION_KEYS[user.id] = factories.session_key(user)
    return World(a, b, admin.id, image.id, certificate.scan_path, refund.id, transfer.id, lot.id, address.id,
                 lot_file.id)


def signed_in(app, user_id: int | None):
    """A test client with its own cookies, signed in as `user_id` through the session cookie
    (anonymous when None)."""
    from tests.conftest import new_client

    client = new_client(app)
    if user_id is not None:
        with client.session_transaction() as session:
            session["_user_id"] = _SESSION_KEYS.get(user_id) or _new_session_key(user_id)
            session["_fresh"] = True
    return client


# Session keys of the world's users, made when the world is built, so that signing a
# client in writes nothing inside a test's "nothing changed" snapshots.
_SESSION_KEYS: dict[int, str] = {}


def _new_session_key(user_id: int) -> str:
    from marketplace.accounts.models import User
    from marketplace.accounts.sessions import start_session

    with current_app.test_request_context():
        key = start_session(db.session.get(User, user_id))
        db.session.commit()
        db.session.remove()
    return key


# --- "nothing changed" ----------------------------------------------------------------

def snapshot(upload_dir: str | None) -> dict:
    """Every row of every table, and every file under the uploads folder (path, size)."""
    db.session.expire_all()
    state = {}
    for table in db.metadata.sorted_tables:
        order = [c for c in table.primary_key.columns] or list(table.columns)
        rows = db.session.execute(sa.select(table).order_by(*order)).all()
        # JSON columns come back as lists or dicts: compared by their repr.
        state[table.name] = [tuple(repr(v) if isinstance(v, (list, dict)) else v for v in row) for row in rows]
    files = []
    if upload_dir and os.path.isdir(upload_dir):
        for root, _dirs, names in os.walk(upload_dir):
            for name in names:
                path = os.path.join(root, name)
                files.append((os.path.relpath(path, upload_dir), os.path.getsize(path)))
    state["<uploads>"] = sorted(files)
    db.session.rollback()
    return state


def differences(before: dict, after: dict) -> list[str]:
    """What changed between two snapshots, one line per table or folder."""
    lines = []
    for name in sorted(set(before) | set(after)):
        old, new = set(before.get(name, [])), set(after.get(name, []))
        if old != new:
            lines.append(f"{name}: removed {sorted(old - new, key=repr)[:3]}, added {sorted(new - old, key=repr)[:3]}")
    return lines
