"""Cart pages: view the cart, add from a product page, change or remove a line."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..catalog.listing import public_product
from ..errors import DomainError, NotFound, ValidationFailed
from . import services
from .context import current_cart

bp = Blueprint("cart", __name__)


@bp.app_context_processor
def _cart_count():
    """`cart_item_count()` for the header on every page: a guest's from the session cookie (no query),
    a signed-in shopper's in one query. Called only by templates that show it."""
    return {"cart_item_count": lambda: services.item_count(current_cart())}


def _int(name: str, default: int | None = None, source=None) -> int | None:
    try:
        return int((request.form if source is None else source).get(name, default))
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


@bp.get("/cart/add")
def confirm_add():
    """Where the product page's form lands without JavaScript: a page whose POST carries the
    CSRF token (the product page itself stays free of tokens and cookies, so it can be cached)."""
    product_id, quantity = _int("product_id", source=request.args), _int("quantity", 1, source=request.args)
    if product_id is None or product_id < 1:
        abort(404)
    try:
        product = public_product(product_id)
    except NotFound:
        abort(404)
    problem = None
    if quantity is None or not 1 <= quantity <= services.MAX_LINE_QUANTITY:
        problem = _("Please choose a quantity from 1 to %(max)d.", max=services.MAX_LINE_QUANTITY)
        quantity = 1
    return render_template("cart/add.html", product=product, quantity=quantity, problem=problem,
                           max_quantity=min(services.MAX_LINE_QUANTITY, max(product.stock, 1)))


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
