"""The registered gateways, one module per provider; `get_gateway(method)` picks an order's."""
from __future__ import annotations

from ..gateway import (  # noqa: F401 (the registry, re-exported)
    GATEWAYS, cashless_methods, default_method, get_gateway, methods, paid_by_transfer_notice, register)
from .banktransfer import BankTransferGateway
from .stripe import StripeGateway

# In the checkout page's order: the first is its default.
for _gateway in (BankTransferGateway(), StripeGateway()):
    register(_gateway)
