"""The one gateway interface: every way of paying an order sits behind `Gateway`.

A gateway starts a payment for an order, handles its provider's notifications, gives
money back and looks a refund up; each answer is a `GatewayResult`. Callers pick the
gateway of an order's method from `get_gateway` (filled by `providers/`) and never branch on the
method's name: `vietqr` (bank transfer, confirmed by SePay or Casso, paid back by hand)
and `stripe` (hosted Checkout) are registered; VNPay or MoMo would be one more module
in `providers/`. Failures are the typed exceptions below (as Oscar's payment
exceptions), so a caller catches what it can handle and nothing else.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Protocol

from flask import current_app
from flask_babel import gettext as _

from ..errors import DomainError, ValidationFailed
from ..money import format_vnd

# The one vocabulary of a GatewayResult's status.
PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"


@dataclass(frozen=True)
class GatewayResult:
    """What a provider answered (as Saleor's GatewayResponse).

    `status`: pending (accepted, not final: a payment the shopper has still to make, a
    refund the provider or an admin has still to carry out), succeeded or failed.
    `provider_ref` names the provider's record (a Checkout Session, a Refund); `amount_vnd`
    and `occurred_at` are the provider's; `metadata` is what we attached to it.
    """

    status: str
    provider_ref: str | None = None
    amount_vnd: int | None = None
    occurred_at: datetime | None = None
    metadata: dict = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.status == SUCCEEDED


class PaymentError(DomainError):
    """Something about a payment went wrong; the subclasses say what."""

    status = 502
    code = "payment_error"


class PaymentProviderError(PaymentError):
    """The provider could not be reached or refused the call; nothing was changed."""

    status = 502
    code = "payment_provider_error"


class ProviderNotConfigured(PaymentProviderError):
    """This deployment has no credentials for the provider (a card payment without a Stripe key)."""

    status = 503
    code = "payment_method_unavailable"


class Gateway(Protocol):
    """What every payment provider offers (`providers/` holds one module per provider)."""

    method: ClassVar[str]  # the order's payment_method that picks this gateway
    label: ClassVar[Any]  # how a shopper calls it in a sentence ("card", "bank transfer"), translated
    title: ClassVar[Any]  # its name on the order page ("Card (Stripe)"), translated
    choice_label: ClassVar[Any]  # its option on the checkout page, translated
    # The payment-method text of the e-invoice (HTTToan of Decision 1450/QĐ-TCT): "CK", "Thẻ".
    invoice_payment_method: ClassVar[str]
    # The config key holding how many minutes an order paid this way waits for its payment.
    payment_window_setting: ClassVar[str]
    max_amount_vnd: ClassVar[int | None]
    # True: starting a payment calls no provider, so the checkout opens the attempt in the
    # transaction that creates the order, and the order alone says how to pay it.
    offline: ClassVar[bool]
    # True: refunds are paid back by an admin, who then marks them paid (nothing to retry).
    pays_back_by_hand: ClassVar[bool]
    # True: no cash changes hands (the province's cashless-payment share counts these orders).
    cashless: ClassVar[bool]
    # True: the payment is confirmed by the bank's notice of a transfer to the marketplace's
    # account (what the development tools simulate).
    paid_by_transfer_notice: ClassVar[bool]

    def available(self) -> bool:
        """Whether this deployment is configured to take payments this way."""

    def check_amount(self, amount_vnd: int) -> None:
        """Refuse (ValidationFailed) an amount this rail cannot carry, before anything is created."""

    def start(self, order, attempt) -> GatewayResult:
        """Begin paying `order`: fill `attempt` (provider ids, expiry); pending, or PaymentProviderError."""

    def describe(self, order, attempt) -> dict:
        """The method's part of API.md's Payment object (how to pay) for an attempt already started."""

    def handle_event(self, event, recorded) -> str:
        """Apply one authenticated notification of this gateway's providers (already recorded
        once as `recorded`, a ProviderEvent) in the caller's transaction; the outcome's name."""

    def refund(self, refund, payment_ref: str | None, key: str) -> GatewayResult:
        """Give back `refund.amount_vnd` of the payment `payment_ref`; `key` makes a repeat a no-op."""

    def find_refund(self, refund, payment_ref: str | None) -> GatewayResult | None:
        """What the provider holds for `refund` (to adopt one whose answer was lost), or None."""


def check_amount_at_most(gateway: Gateway, amount_vnd: int) -> None:
    """`Gateway.check_amount` for a gateway with a per-payment ceiling (`max_amount_vnd`)."""
    limit = gateway.max_amount_vnd
    if limit is not None and amount_vnd > limit:
        raise ValidationFailed(
            _("Card payments are limited to %(limit)s per order. Please pay this order by bank transfer "
              "(VietQR).", limit=format_vnd(limit)),
            code="amount_too_large_for_method", fields={"payment_method": [
                _("Card payments are limited to %(limit)s per order.", limit=format_vnd(limit))]},
        )


# The registered gateways by method, in the order the checkout page offers them (the first is
# its default). `providers/` registers one per provider module when the package is imported
# (as the payment services always do), so that modules below the providers (the shopper's
# notices) look a gateway up without importing them.
GATEWAYS: dict[str, Gateway] = {}


def register(gateway: Gateway) -> Gateway:
    GATEWAYS[gateway.method] = gateway
    return gateway


def get_gateway(method: str) -> Gateway:
    try:
        return GATEWAYS[method]
    except KeyError:
        raise ValidationFailed(_("Unknown payment method."), fields={"payment_method": [
            _("Choose one of: %(methods)s", methods=", ".join(GATEWAYS))]}) from None


def methods() -> list[str]:
    """The registered methods in the checkout page's order."""
    return list(GATEWAYS)


def default_method() -> str:
    """The method the checkout page selects to begin with."""
    return next(iter(GATEWAYS))


def cashless_methods() -> list[str]:
    """The methods in which no cash changes hands."""
    return [method for method, gateway in GATEWAYS.items() if gateway.cashless]


def paid_by_transfer_notice(method: str) -> bool:
    """Whether an order paid by `method` is confirmed by a bank's transfer notice."""
    gateway = GATEWAYS.get(method)
    return gateway is not None and gateway.paid_by_transfer_notice


def payment_window(method: str) -> timedelta:
    """How long an order paid by `method` waits for its payment before it expires."""
    return timedelta(minutes=current_app.config[get_gateway(method).payment_window_setting])


def method_title(method: str) -> str:
    """The order page's name of a payment method (the method itself if no gateway has it)."""
    gateway = GATEWAYS.get(method)
    return str(gateway.title) if gateway is not None else method
