"""The checkout page: contact, two-tier address, payment method; then the order page."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.addresses import default_address
from ..cart.context import current_cart
from ..cart.services import InsufficientStock, ProductUnavailable, price_cart
from ..errors import DomainError, ValidationFailed
from ..orders.context import remember_guest_order
from . import idempotency, rules, services
from .forms import CheckoutForm
from .limits import checkout_rate_limit

bp = Blueprint("checkout", __name__)


@bp.route("/checkout", methods=["GET", "POST"])
@checkout_rate_limit
def checkout():
    form = CheckoutForm()
    retry, refused = None, False
    if form.is_submitted() and form.idempotency_key.data:
        try:
            retry = idempotency.retry_of(form.idempotency_key.data, current_user, form.retry_body())
            earlier = idempotency.earlier(retry)
        except ValidationFailed as exc:
            # The key of an order placed with other details (the form sent again after
            # editing it): place nothing, show the form again with a new key to confirm.
            flash(exc.message if exc.code != "idempotency_key_reused" else
                  _("This form was already sent with other details, and that order was placed. "
                    "Check the details and place this order again if you want a second one."), "error")
            refused, earlier = True, None
            form.idempotency_key.data = idempotency.new_key()
        if earlier is not None:  # submitted again: show the order the first submission placed
            return _show_placed(earlier.order_code)
    cart = current_cart()
    priced = price_cart(cart)
    if not priced.lines:
        flash(_("Your cart is empty."), "info")
        return redirect(url_for("cart.show"))
    if not form.is_submitted():
        form.idempotency_key.data = idempotency.new_key()
        if current_user.is_authenticated:
            form.full_name.data = current_user.full_name
            form.email.data = current_user.email
            form.phone.data = current_user.phone
            saved = default_address(current_user)  # the address book's default, as initial values only
            if saved is not None:
                form.full_name.data, form.phone.data = saved.full_name, saved.phone
                form.line1.data, form.ward.data, form.province.data = saved.line1, saved.ward_name, saved.province_name
    if not refused and form.validate_on_submit():
        try:
            details = rules.validate_details(
                {"full_name": form.full_name.data, "phone": form.phone.data, "email": form.email.data},
                {"line1": form.line1.data, "ward": form.ward.data, "province": form.province.data},
                form.payment_method.data, form.note.data)
            placed = services.checkout(details, services.cart_items(cart), user=current_user, cart=cart,
                                       retry=retry, client_address=request.remote_addr,
                                       invoice=form.invoice.form.request_data())
        except idempotency.KeyTaken:  # a twin submission placed the order a moment ago
            return _show_placed(idempotency.earlier(retry).order_code)
        except ValidationFailed as exc:
            for key, messages in (exc.fields or {}).items():
                field = getattr(form, CheckoutForm.FIELD_OF.get(key, ""), None) if not key.startswith(
                    "invoice.") else form.invoice.form._fields.get(key.removeprefix("invoice."))
                if field is not None:
                    field.errors = list(field.errors or []) + list(messages)
            flash(exc.message, "error")
        except (InsufficientStock, ProductUnavailable) as exc:
            flash(exc.message, "error")
            return redirect(url_for("cart.show"))
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            order = placed.order
            remember_guest_order(order.code)
            payment = services.payment_of(placed)
            if payment.get("checkout_url"):
                return redirect(payment["checkout_url"])
            return redirect(url_for("orders.detail", code=order.code, placed=1))
    return render_template("checkout/checkout.html", form=form, cart=priced)


def _show_placed(code: str):
    remember_guest_order(code)
    return redirect(url_for("orders.detail", code=code, placed=1))
