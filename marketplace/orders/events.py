"""What the orders domain tells the layers above it (payments), without importing them.

Orders sit below payments: payments books money and then moves an order to paid, while
orders must tell payments when an order became paid or paid parts were cancelled. They
do so through these signals (blinker, as Flask's own); the payments package connects
its receivers when it is imported, which the application factory always does.
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent inside the transaction that moved the order to paid, with the locked order
# (sender); receivers derive what follows from it (the payment status).
order_paid = _signals.signal("order-paid")

# Sent after the cancellation of paid parts has committed, with the order's id (sender),
# `part_ids`, `actor` and `reason`: the money for those parts goes back.
paid_parts_cancelled = _signals.signal("paid-parts-cancelled")
