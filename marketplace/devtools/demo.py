"""Demo accounts of a development installation: one admin, one seller, one shopper.

The e-mail addresses are fixed (example.com, which never receives mail); the passwords
are random per installation and kept in `instance/demo-accounts.json` (mode 0600), so
that running the command again shows the same accounts and creates nothing twice.
"""
from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask_babel import gettext as _
from werkzeug.security import check_password_hash

from ..accounts.services import create_user, find_user_by_email
from ..catalog.models import Product, Producer
from ..errors import DomainError, Forbidden, NotFound
from ..extensions import db
from .mode import enabled
from .instance_files import write_private_json

DEMO_FILE = "demo-accounts.json"
ROLES = ("admin", "seller", "shopper")
EMAILS = {"admin": "admin@example.com", "seller": "seller@example.com", "shopper": "shopper@example.com"}
NAMES = {"admin": "Quản trị viên Demo", "seller": "Người bán Demo", "shopper": "Khách hàng Demo"}
# Where each role starts: the page to open after signing in.
HOMES = {"admin": "/admin/", "seller": "/seller/", "shopper": "/"}


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    password: str
    created: bool  # by this run
    password_works: bool  # False when someone changed the password since it was recorded
    producer: str | None = None  # the seller's producer


def demo_file(app: Flask) -> Path:
    return Path(app.instance_path) / DEMO_FILE


def _read(path: Path) -> dict:
    if not path.exists():
        return {}
    os.chmod(path, 0o600)  # a copy restored with looser permissions is tightened again
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        data = None
    if not isinstance(data, dict) or not all(isinstance(data.get(role, {}), dict) for role in ROLES):
        raise DomainError(_("%(path)s is not a demo accounts file; move it away to make new accounts.",
                            path=str(path)))
    return data


def _seller_producer(slug: str | None) -> Producer:
    """The recorded producer, else the approved producer with the most listings (ties: the oldest),
    a sample one first: a demo account never signs in as a real company of the public record."""
    if slug:
        producer = db.session.scalar(sa.select(Producer).where(Producer.slug == slug))
        if producer is not None:
            return producer
    listings = sa.select(sa.func.count(Product.id)).where(Product.producer_id == Producer.id).scalar_subquery()
    producer = db.session.scalar(sa.select(Producer).where(Producer.selling_clause())
                                 .order_by(Producer.sample.desc(), listings.desc(), Producer.id).limit(1))
    if producer is None:
        raise NotFound(_("There is no approved producer for the demo seller: load the catalogue first "
                         "(flask seed)."))
    return producer


def ensure_demo_accounts(app: Flask) -> list[DemoAccount]:
    """Create the demo accounts that do not exist yet; return all three. Development only."""
    if not enabled(app):
        raise Forbidden(_("Demo accounts exist only in development (APP_ENV=development)."))
    path = demo_file(app)
    stored = _read(path)
    for role in ROLES:
        entry = stored.get(role) or {}
        if not entry.get("email") or not entry.get("password"):
            stored[role] = {"email": EMAILS[role], "password": secrets.token_urlsafe(12)}
    seller_user = find_user_by_email(stored["seller"]["email"])
    producer = seller_user.producer if seller_user is not None and seller_user.producer else \
        _seller_producer(stored["seller"].get("producer"))
    stored["seller"]["producer"] = producer.slug
    # The file first: if creating the users fails, the next run uses the same passwords.
    write_private_json(path, stored)

    accounts = []
    for role in ROLES:
        email, password = stored[role]["email"], stored[role]["password"]
        user = find_user_by_email(email)
        created = user is None
        if created:
            user = create_user(email, password, NAMES[role], role=role,
                               producer_id=producer.id if role == "seller" else None, commit=False)
        accounts.append(DemoAccount(role=role, email=user.email, password=password, created=created,
                                    password_works=check_password_hash(user.password_hash, password),
                                    producer=producer.name if role == "seller" else None))
    db.session.commit()
    return accounts
