"""Small builders for test data. Each commits and returns the object."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta

from flask import g, has_app_context

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
