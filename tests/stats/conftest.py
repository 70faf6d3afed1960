"""The statistics tests sell through the real checkout, paid by a signed SePay webhook
(tests/factories.py: `paid_order`, `refund_part`, dated in the past where a figure needs it).

What no service of the marketplace can make for a bank-transfer order is written here, and
only that: a refund of any amount over a whole order (the real refund gives back one cancelled
part whole; such refunds come only from the Stripe dashboard, booked from `charge.refunded`
the same way: a row without a part, then `ledger.refund_succeeded`), a failed refund (a bank
transfer is paid back by hand and never fails at a provider) and a stray refund of an order
never paid (which the statistics must ignore).
"""
from __future__ import annotations

from datetime import datetime

from marketplace.extensions import db as _db
from marketplace.orders.models import Order
from marketplace.payments import ledger
from marketplace.payments.models import Refund


def refund_by_hand(order: Order, amount_vnd: int, when: datetime, status: str = "succeeded") -> Refund:
    """A refund of `amount_vnd` over the whole `order` at `when` (see the module's docstring);
    a succeeded one is booked in the ledger as the Stripe dashboard's are."""
    refund = Refund(order_id=order.id, part_id=None, amount_vnd=amount_vnd, method=order.payment_method,
                    status="due", reason="hoàn một phần", created_at=when)
    _db.session.add(refund)
    _db.session.flush()
    if status == "succeeded":
        ledger.refund_succeeded(refund, when, note=refund.reason)
        ledger.refresh_payment_status(_db.session.get(Order, order.id))
    else:
        refund.status = status
    _db.session.commit()
    return refund
