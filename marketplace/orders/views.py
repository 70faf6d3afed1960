"""Order pages: the shopper's orders, one order (with cancel), and public tracking."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..cart.context import current_cart
from ..cart.services import add_item
from ..errors import DomainError, NotFound
from ..extensions import limiter, login_manager
from . import line_lots, services
from .carriers import carrier_name, tracking_url
from .context import guest_order_codes
from .display import STAGES, look, part_status, stage_clause, stage_counts, thumbnails
from .presenters import visible_totals

bp = Blueprint("orders", __name__)

PAYMENT_LABELS = {"unpaid": _l("Unpaid"), "paid": _l("Paid"), "partially_refunded": _l("Partly refunded"),
                  "refunded": _l("Refunded")}
PER_PAGE = 20


@bp.app_template_filter("order_status")
def order_status_label(status: str) -> str:
    return str(look(status).label)


@bp.app_context_processor
def _order_helpers():
    return {"carrier_name": carrier_name, "tracking_url": tracking_url, "payment_labels": PAYMENT_LABELS}


@bp.record_once
def _template_globals(state) -> None:
    """Globals, not context: the status macro is imported by other templates (without context)."""
    state.app.jinja_env.globals.update(status_look=look, part_status=part_status)


@bp.get("/orders")
@login_required
def index():
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    stage = request.args.get("stage")
    where = stage_clause(stage) if stage else None
    if where is None:
        stage = None
    orders, total = services.orders_for_user(current_user.id, page, PER_PAGE, where)
    return render_template("orders/list.html", orders=orders, total=total, page=page, per_page=PER_PAGE,
                           stage=stage, stages=STAGES, counts=stage_counts(current_user.id),
                           thumbs=thumbnails(orders))


@bp.get("/orders/<code>")
def detail(code: str):
    try:
        order, parts = services.find_order(code, current_user, guest_codes=guest_order_codes())
    except NotFound:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        abort(404)
    return render_template("orders/detail.html", order=order, parts=parts, totals=visible_totals(order, parts),
                           line_lots=line_lots.for_parts(parts),
                           placed=request.args.get("placed"),
                           may_cancel=services.may_cancel(order, current_user, guest_order_codes()),
                           order_history=services.order_history(order),
                           part_history=lambda part: services.part_history(order, part))


@bp.post("/orders/<code>/cancel")
def cancel(code: str):
    try:
        order = services.shopper_cancel(code, current_user, guest_order_codes(), request.form.get("reason", ""))
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("orders.detail", code=code))
    flash(_("Your order has been cancelled."), "info")
    return redirect(url_for("orders.detail", code=order.code))


@bp.post("/orders/<code>/buy-again")
@login_required
def buy_again(code: str):
    """Put every product of one of the shopper's orders back in the cart, as many as before."""
    order = services.get_order(code)
    if order is None or order.user_id != current_user.id:
        abort(404)
    missed = []
    for part in order.parts:
        for line in part.lines:
            try:
                add_item(current_cart(), line.product_id, line.quantity)
            except DomainError:
                missed.append(line.product_name)
    if missed:
        flash(_("Not available any more in that quantity: %(names)s.", names=", ".join(missed)), "warning")
    return redirect(url_for("cart.show"))


@bp.route("/track", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def track():
    """Code and phone are posted, never put in the URL (which ends up in logs and histories)."""
    code = (request.form.get("code") or request.args.get("code") or "").strip()
    order, not_found = None, False
    if request.method == "POST":
        try:
            order = services.track(code, request.form.get("phone", ""))
        except NotFound:
            not_found = True
    return render_template("orders/track.html", code=code, order=order, not_found=not_found,
                           part_history=(lambda part: services.part_history(order, part)) if order else None,
                           order_history=services.order_history(order) if order else [])
