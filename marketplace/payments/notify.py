"""Emails to the shopper about money: payment received, refund sent.

Messages join the outbox in the transaction of the payment or refund they report, so a
rolled-back transaction never tells a shopper something that did not happen. They are
written in the language the order was placed in.
"""
from __future__ import annotations

from flask_babel import gettext as _

from ..links import absolute_url
from ..mail.language import send_in
from ..money import format_vnd_here
from ..timeutil import to_local
from .gateway import get_gateway
from .paths import payment_page_path


def _order_url(order) -> str:
    return absolute_url(payment_page_path(order))


def payment_received(order, paid_vnd: int) -> None:
    when = to_local(order.paid_at).strftime("%d/%m/%Y %H:%M") if order.paid_at else ""
    send_in(order.contact_lang, order.contact_email, lambda: (
        _("Payment received for order %(code)s", code=order.code),
        _("Hello %(name)s,\n\nWe received %(amount)s for order %(code)s at %(when)s. "
          "The producers are now preparing your parcel(s).\n\nReceipt and order status: %(url)s\n\n"
          "OCOP Quang Ninh Marketplace",
          name=order.contact_name, amount=format_vnd_here(paid_vnd), code=order.code, when=when, url=_order_url(order))))


def refund_sent(refund) -> None:
    order = refund.order
    send_in(order.contact_lang, order.contact_email, lambda: (
        _("Refund for order %(code)s", code=order.code),
        _("Hello %(name)s,\n\nWe have refunded %(amount)s for order %(code)s (%(method)s). "
          "Depending on your bank it can take a few days to appear.\nReason: %(reason)s\n\n"
          "Receipt and order status: %(url)s\n\nOCOP Quang Ninh Marketplace",
          name=order.contact_name, amount=format_vnd_here(refund.amount_vnd), code=order.code,
          method=str(get_gateway(refund.method).label), reason=refund.reason or "-", url=_order_url(order))))
