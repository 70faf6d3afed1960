"""The registered gateways, one module per provider; `get_gateway(method)` picks an order's."""
from __future__ import annotations

from flask_babel import gettext as _

from ...errors import ValidationFailed
from ..gateway import Gateway
from .banktransfer import BankTransferGateway
from .stripe import StripeGateway

GATEWAYS: dict[str, Gateway] = {gateway.method: gateway for gateway in (BankTransferGateway(), StripeGateway())}


def get_gateway(method: str) -> Gateway:
    try:
        return GATEWAYS[method]
    except KeyError:
        raise ValidationFailed(_("Unknown payment method."), fields={"payment_method": [
            _("Choose one of: %(methods)s", methods=", ".join(GATEWAYS))]}) from None
