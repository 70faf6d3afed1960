"""Back-in-stock alerts: subscribe, unsubscribe, and the one message when stock returns.

`notify_back_in_stock` is called by the seller's stock edit (seller/stock.py: the form, the
API and the CSV import all write stock there) when a product goes from none to some units.
It claims the product's pending alerts with one UPDATE ... RETURNING, in the caller's
transaction, and queues their messages in the outbox of that same transaction: a rolled-back
edit sends nothing, and two edits at once never send a subscriber two messages.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.exc import IntegrityError

from ..catalog.models import Product
from ..catalog.urls import product_page_url
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..links import absolute_url
from ..mail import send_after_commit
from ..mail.language import language
from ..timeutil import utcnow
from .models import StockAlert

_ALERTS = StockAlert.__table__


@dataclass(frozen=True)
class Subscription:
    alert: StockAlert
    created: bool  # False: the address was already waiting for this product


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="stock-alert-unsubscribe")


def unsubscribe_token(alert: StockAlert) -> str:
    """A token naming one alert and its address: whoever holds the message can stop it, nobody else."""
    return _serializer().dumps([alert.id, alert.email])


def unsubscribe_path(alert: StockAlert) -> str:
    return f"/alerts/unsubscribe/{unsubscribe_token(alert)}"


def _clean_email(raw) -> str:
    try:
        return validate_email(str(raw or "").strip()[:254], check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        message = _("Enter a valid email address.")
        raise ValidationFailed(message, fields={"email": [message]}) from None


def sold_out_product(product_id) -> Product:
    """A product shown in the shop (NotFound otherwise), whatever its stock."""
    try:
        product_id = int(product_id)
    except (TypeError, ValueError):
        raise NotFound(_("Product not found.")) from None
    product = db.session.get(Product, product_id)
    if product is None or not product.is_public:
        raise NotFound(_("Product not found."))
    return product


def subscribe(product_id, email, user=None, lang: str = "vi") -> Subscription:
    """Ask for one email when the product is back in stock. Asking again is harmless (the same
    alert); after a message went out, asking again waits for the next return."""
    product = sold_out_product(product_id)
    if product.in_stock:
        raise Conflict(_("This product is in stock: you can order it now."), code="in_stock")
    address = _clean_email(email)
    lang = language(lang)
    user_id = getattr(user, "id", None)
    alert = db.session.scalar(sa.select(StockAlert).where(StockAlert.product_id == product.id,
                                                          StockAlert.email == address))
    if alert is not None:
        waiting = alert.notified_at is None
        alert.notified_at, alert.lang = None, lang
        alert.user_id = alert.user_id or user_id
        db.session.commit()
        return Subscription(alert, created=not waiting)
    limit = current_app.config["STOCK_ALERTS_PER_EMAIL"]
    pending = db.session.scalar(sa.select(sa.func.count()).select_from(StockAlert)
                                .where(StockAlert.email == address, StockAlert.notified_at.is_(None)))
    if pending >= limit:
        raise Conflict(_("This address already waits for %(n)d products: unsubscribe from some first.", n=limit),
                       code="too_many_alerts", status=429)
    alert = StockAlert(product_id=product.id, email=address, user_id=user_id, lang=lang)
    db.session.add(alert)
    try:
        db.session.commit()
    except IntegrityError:  # the same address, at the same moment: one alert is enough
        db.session.rollback()
        alert = db.session.scalar(sa.select(StockAlert).where(StockAlert.product_id == product.id,
                                                              StockAlert.email == address))
        return Subscription(alert, created=False)
    return Subscription(alert, created=True)


def alert_for_token(token: str) -> StockAlert:
    try:
        alert_id, email = _serializer().loads(str(token or ""))
    except (BadSignature, ValueError, TypeError):
        raise NotFound(_("This link is not valid.")) from None
    alert = db.session.get(StockAlert, alert_id) if isinstance(alert_id, int) else None
    if alert is None or alert.email != email:
        raise NotFound(_("This alert no longer exists."))
    return alert


def unsubscribe(token: str) -> Product:
    """Remove the alert the token names (NotFound once removed). Returns its product."""
    alert = alert_for_token(token)
    product = alert.product
    db.session.delete(alert)
    db.session.commit()
    return product


def _message(product: Product, alert_id: int, email: str, lang: str) -> tuple[str, str]:
    token = _serializer().dumps([alert_id, email])
    with force_locale(language(lang)):
        subject = _("Back in stock: %(name)s", name=product.name)
        text = "\n\n".join([
            _("Good news: “%(name)s” from %(producer)s is back in stock.", name=product.name,
              producer=product.producer.name),
            _("Order it here while it lasts: %(url)s", url=product_page_url(product)),
            _("You asked for this single message on our shop. To cancel an alert you no longer want, "
              "or if you did not ask for it: %(url)s", url=absolute_url(f"/alerts/unsubscribe/{token}")),
        ])
    return subject, text


def notify_back_in_stock(product: Product) -> int:
    """Queue one message to every address waiting for `product` (part of the caller's
    transaction). Nothing while the product is not shown in the shop or has no stock: its
    alerts keep waiting. Returns how many messages were queued."""
    if not product.in_stock or not product.is_public:
        return 0
    claimed = db.session.execute(
        sa.update(_ALERTS)
        .where(_ALERTS.c.product_id == product.id, _ALERTS.c.notified_at.is_(None))
        .values(notified_at=utcnow())
        .returning(_ALERTS.c.id, _ALERTS.c.email, _ALERTS.c.lang)
        .execution_options(synchronize_session=False)).all()
    for alert_id, email, lang in claimed:
        subject, text = _message(product, alert_id, email, lang)
        send_after_commit(email, subject, text)
    return len(claimed)
