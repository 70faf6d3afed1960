"""Back-in-stock alert pages: the sign-up form of a sold-out product, and unsubscribing.

The product page (HTTP-cached for guests) only links here; this page carries the form and
its CSRF token. Unsubscribing is a POST from the page the email's link opens, so a mail
scanner following links never unsubscribes anyone.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import get_locale
from flask_login import current_user

from ..errors import DomainError, NotFound
from ..extensions import limiter
from . import services

bp = Blueprint("alerts", __name__, template_folder="templates")


@bp.route("/products/<int:product_id>/notify", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["STOCK_ALERT_RATE_LIMIT"], methods=["POST"])
def subscribe(product_id: int):
    try:
        product = services.sold_out_product(product_id)
    except NotFound:
        abort(404)
    user = current_user if current_user.is_authenticated else None
    email = request.form.get("email", "") if request.method == "POST" else (user.email if user else "")
    errors, done, status = {}, None, 200
    if request.method == "POST":
        try:
            done = services.subscribe(product.id, email, user, str(get_locale() or "vi"))
        except DomainError as exc:
            errors = exc.fields or {"form": [exc.message]}
            status = exc.status
    return render_template("alerts/subscribe.html", product=product, email=email, errors=errors,
                           done=done), status


@bp.route("/alerts/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    try:
        alert = services.alert_for_token(token)
    except NotFound:
        return render_template("alerts/unsubscribed.html", product=None, gone=True), 404
    if request.method == "POST":
        product = services.unsubscribe(token)
        return render_template("alerts/unsubscribed.html", product=product, gone=False)
    return render_template("alerts/unsubscribe.html", alert=alert, token=token)
