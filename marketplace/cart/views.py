"""Cart pages: view the cart, add from a product page, change or remove a line."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..errors import DomainError, ValidationFailed
from . import services
from .context import current_cart

bp = Blueprint("cart", __name__)


def _int(name: str, default: int | None = None) -> int | None:
    try:
        return int(request.form.get(name, default))
    except (TypeError, ValueError):
        return None


def _safe_next(default: str) -> str:
    target = request.form.get("next") or default
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") else default


@bp.get("/cart")
def show():
    return render_template("cart/cart.html", cart=services.price_cart(current_cart()),
                           max_quantity=services.MAX_LINE_QUANTITY)


@bp.post("/cart/add")
def add():
    product_id, quantity = _int("product_id"), _int("quantity", 1)
    try:
        if product_id is None or quantity is None:
            raise ValidationFailed(_("Please choose a quantity."))
        services.add_item(current_cart(), product_id, quantity)
        flash(_("Added to your cart."), "success")
    except DomainError as exc:
        flash(exc.message, "error")
    return redirect(_safe_next(url_for("cart.show")))


@bp.post("/cart/update")
def update():
    product_id, quantity = _int("product_id"), _int("quantity")
    try:
        if product_id is None or quantity is None:
            raise ValidationFailed(_("Please choose a quantity."))
        services.set_quantity(current_cart(), product_id, quantity)
    except DomainError as exc:
        flash(exc.message, "error")
    return redirect(url_for("cart.show"))


@bp.post("/cart/remove")
def remove():
    product_id = _int("product_id")
    if product_id is not None:
        services.remove_item(current_cart(), product_id)
        flash(_("Removed from your cart."), "info")
    return redirect(url_for("cart.show"))
