"""Payment pages: how to pay an order (QR, amount, reference, countdown), the QR image,
Stripe's return pages, and the admin reconciliation page."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.auth import role_required
from ..errors import DomainError, NotFound
from ..extensions import db
from ..orders.access import access_token, find_order
from ..orders.models import Order
from . import matching, refunds, services, vietqr
from .gateway import method_title, paid_by_transfer_notice
from .providers.banktransfer import BankTransferGateway, qr_payload

bp = Blueprint("payments", __name__)
# `{{ order.payment_method|payment_method }}`: the method's name, as its gateway gives it.
bp.add_app_template_filter(method_title, "payment_method")
# `{% if order.payment_method is paid_by_transfer_notice %}`: confirmed by a bank's transfer notice.
bp.add_app_template_test(paid_by_transfer_notice, "paid_by_transfer_notice")


@bp.app_template_global()
def payment_page_url(order: Order, external: bool = False) -> str:
    """The order's payment page; carries the access token so guests can open it from an email."""
    return url_for("payments.order_payment", code=order.code, t=access_token(order), _external=external)


@bp.app_template_global()
def payment_info(order: Order) -> dict:
    """For templates: the order's Payment object (how to pay, status, receipts), once per request."""
    cache = g.setdefault("payment_info", {})
    if order.id not in cache:
        cache[order.id] = services.payment_info(order)
    return cache[order.id]


@bp.app_template_global()
def payment_token(order: Order) -> str:
    """For templates: the guest access token of an order the viewer may already see."""
    return access_token(order)


def _viewable_order(code: str) -> Order:
    """The whole order, for its shopper (signed in, or holding the link's token) or an admin."""
    try:
        order, _parts = find_order(code, current_user, token=request.args.get("t"), whole=True)
    except NotFound:
        abort(404)
    return order


@bp.get("/payments/qr/<reference>.png")
def qr_image(reference: str):
    """The VietQR code of an order waiting for a bank transfer (it only holds payment instructions)."""
    order = services.order_by_reference(reference)
    if order is None or order.payment_method != BankTransferGateway.method or order.status != "pending_payment":
        abort(404)
    response = make_response(vietqr.qr_png(qr_payload(order)))
    response.headers["Content-Type"] = "image/png"
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.get("/payments/orders/<code>")
def order_payment(code: str):
    order = _viewable_order(code)
    return render_template("payments/order_payment.html", order=order)


@bp.post("/payments/orders/<code>/card")
def restart_card_payment(code: str):
    """Open a new Stripe Checkout for an unpaid card order (after cancelling or a failed payment)."""
    order = _viewable_order(code)
    try:
        payment = services.start_payment(order)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(payment_page_url(order))
    if payment.get("error"):
        flash(payment["error"]["message"], "error")
    return redirect(payment.get("checkout_url") or payment_page_url(order), code=303)


@bp.get("/payments/stripe/success")
def stripe_success():
    order = _viewable_order(request.args.get("order", ""))
    return render_template("payments/order_payment.html", order=order, returned_from="stripe_success")


@bp.get("/payments/stripe/cancel")
def stripe_cancel():
    order = _viewable_order(request.args.get("order", ""))
    return render_template("payments/order_payment.html", order=order, returned_from="stripe_cancel")


# ---- admin ---------------------------------------------------------------------------------

@bp.get("/admin/payments/reconciliation")
@role_required("admin")
def reconciliation():
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    transfers, total = matching.open_transfers(page=page, per_page=50)
    return render_template("payments/reconciliation.html", transfers=transfers, total=total, page=page,
                           refunds=refunds.due_refunds())


def _admin_action(action, *args):
    try:
        action(*args, current_user, request.form.get("note", "").strip())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(_("Saved."), "success")
    return redirect(url_for("payments.reconciliation"))


@bp.post("/admin/payments/transfers/<int:transfer_id>/assign")
@role_required("admin")
def assign_transfer(transfer_id: int):
    return _admin_action(matching.assign_transfer, transfer_id, request.form.get("order_code", ""))


@bp.post("/admin/payments/transfers/<int:transfer_id>/refunded")
@role_required("admin")
def transfer_refunded(transfer_id: int):
    return _admin_action(matching.mark_transfer_refunded, transfer_id)


@bp.post("/admin/payments/refunds/<int:refund_id>/paid")
@role_required("admin")
def refund_paid(refund_id: int):
    return _admin_action(refunds.mark_refund_paid, refund_id)
