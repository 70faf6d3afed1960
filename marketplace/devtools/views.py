"""The "simulate the bank transfer" button of the payment page (development only)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request
from flask_login import current_user

from ..errors import DomainError, NotFound
from ..orders.access import find_order
from ..payments import services as payments
from .mode import enabled

bp = Blueprint("devtools", __name__, url_prefix="/dev")


@bp.before_request
def _development_only():
    if not enabled():
        abort(404)


@bp.app_template_global()
def devtools_enabled() -> bool:
    return enabled()


@bp.post("/payments/orders/<code>/simulate-transfer")
def simulate_transfer(code: str):
    """Who may see the order's payment page may press the button; everyone else gets 404."""
    from .transfers import describe, simulate_transfer as send

    try:
        order, _parts = find_order(code, current_user, token=request.args.get("t"), whole=True)
    except NotFound:
        abort(404)
    back = payments.payment_page_path(order)
    try:
        result = send(current_app._get_current_object(), order.code)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(describe(result), "success" if result.outcome == "matched" else "info")
    return redirect(back, code=303)
