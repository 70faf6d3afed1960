"""The registered gateways, one module per provider; `get_gateway(method)` picks an order's."""
from __future__ import annotations

from ..gateway import GATEWAYS, get_gateway, register  # noqa: F401 (the registry, re-exported)
from .banktransfer import BankTransferGateway
from .stripe import StripeGateway

for _gateway in (BankTransferGateway(), StripeGateway()):
    register(_gateway)
