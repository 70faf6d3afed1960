"""One gateway interface: every way of paying an order sits behind `Gateway`.

A gateway starts a payment for an order (returning what the shopper needs to pay)
and gives money back. `vietqr` (bank transfer confirmed by SePay/Casso) and
`stripe` (hosted Checkout) are registered; VNPay or MoMo would be one more subclass
and one more entry in `GATEWAYS`. All Stripe calls live in this module.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import stripe
from flask import current_app, url_for
from flask_babel import gettext as _

from ..errors import DomainError, ValidationFailed
from ..money import STRIPE_MAX_VND, format_vnd
from ..timeutil import UTC, isoformat_local, utcnow
from . import vietqr


class PaymentProviderError(DomainError):
    """The provider could not be reached or refused the call; nothing was changed."""

    status = 502
    code = "payment_provider_error"


@dataclass
class ProviderRefund:
    """A refund the provider has accepted."""

    provider_ref: str
    succeeded: bool
    refunded_at: datetime


class Gateway:
    method: str = ""
    max_amount_vnd: int | None = None
    # True when starting a payment needs no call to the provider: the checkout then opens
    # the attempt in the transaction that creates the order (`prepare`).
    offline: bool = False

    def available(self) -> bool:
        """Whether this deployment is configured to take payments this way."""
        return True

    def check_amount(self, amount_vnd: int) -> None:
        """Refuse an amount this rail cannot carry (raised before anything is created)."""
        if self.max_amount_vnd is not None and amount_vnd > self.max_amount_vnd:
            raise ValidationFailed(
                _("Card payments are limited to %(limit)s per order. Please pay this order by bank transfer "
                  "(VietQR).", limit=format_vnd(self.max_amount_vnd)),
                code="amount_too_large_for_method", fields={"payment_method": [
                    _("Card payments are limited to %(limit)s per order.", limit=format_vnd(self.max_amount_vnd))]},
            )

    def start(self, order, attempt) -> dict:
        """Fill `attempt` (provider ids, expiry) and return the method-specific part of the Payment object."""
        raise NotImplementedError

    def describe(self, order, attempt) -> dict:
        """The method-specific part of the Payment object for an attempt already started."""
        raise NotImplementedError

    def refund(self, *, order, payment_ref: str, amount_vnd: int, key: str, metadata: dict) -> ProviderRefund | None:
        """Give money back through the provider; None when it must be paid back by hand."""
        return None


class VietQRGateway(Gateway):
    method = "vietqr"
    offline = True

    def prepare(self, order, attempt) -> None:
        """Fill `attempt` without any outside call (and before it has an id)."""
        attempt.provider_ref = f"vietqr:{order.payment_reference}:{secrets.token_hex(6)}"
        attempt.expires_at = order.payment_due_at

    def start(self, order, attempt) -> dict:
        self.prepare(order, attempt)
        return self.describe(order, attempt)

    def describe(self, order, attempt) -> dict:
        cfg = current_app.config
        return {
            "payload": vietqr.build_payload(cfg["VIETQR_BANK_BIN"], cfg["VIETQR_ACCOUNT_NO"], order.total_vnd,
                                            order.payment_reference),
            "image_url": url_for("payments.qr_image", reference=order.payment_reference, _external=True),
            "bank_bin": cfg["VIETQR_BANK_BIN"],
            "account_no": cfg["VIETQR_ACCOUNT_NO"],
            "account_name": cfg["VIETQR_ACCOUNT_NAME"],
            "amount_vnd": order.total_vnd,
            "reference": order.payment_reference,
            "expires_at": isoformat_local(order.payment_due_at),
        }


# Stripe lets a Checkout Session live between 30 minutes and 24 hours.
_SESSION_MIN = timedelta(minutes=30)
_SESSION_MAX = timedelta(hours=23, minutes=59)


def stripe_client() -> stripe.StripeClient:
    cfg = current_app.config
    if not cfg.get("STRIPE_SECRET_KEY"):
        raise PaymentProviderError(_("Card payment is not available right now. Please pay by bank transfer."),
                                   status=503, code="payment_method_unavailable")
    options: dict = {"max_network_retries": 2}
    if cfg.get("STRIPE_API_BASE"):
        options["base_addresses"] = {"api": cfg["STRIPE_API_BASE"]}
    if cfg.get("STRIPE_HTTP_CLIENT") is not None:
        options["http_client"] = cfg["STRIPE_HTTP_CLIENT"]
    return stripe.StripeClient(cfg["STRIPE_SECRET_KEY"], **options)


class StripeGateway(Gateway):
    method = "stripe"
    max_amount_vnd = STRIPE_MAX_VND

    def available(self) -> bool:
        return bool(current_app.config.get("STRIPE_SECRET_KEY"))

    def start(self, order, attempt) -> dict:
        self.check_amount(order.total_vnd)
        now = utcnow()
        expires_at = min(max(order.payment_due_at, now + _SESSION_MIN), now + _SESSION_MAX)
        from .services import access_token

        base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
        token = access_token(order)
        params = {
            "mode": "payment",
            "client_reference_id": order.code,
            "customer_email": order.contact_email,
            "line_items": [{
                "quantity": 1,
                "price_data": {
                    "currency": "vnd",
                    "unit_amount": order.total_vnd,
                    "product_data": {"name": f"OCOP Quảng Ninh – đơn hàng {order.code}"},
                },
            }],
            "metadata": {"order_code": order.code, "attempt_id": str(attempt.id)},
            "payment_intent_data": {"metadata": {"order_code": order.code}},
            "success_url": f"{base}/payments/stripe/success?order={order.code}&t={token}"
                           "&session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": f"{base}/payments/stripe/cancel?order={order.code}&t={token}",
            "expires_at": int(expires_at.timestamp()),
            "locale": "vi",
        }
        try:
            session = stripe_client().v1.checkout.sessions.create(
                params=params, options={"idempotency_key": f"checkout-{order.code}-{attempt.id}"})
        except stripe.StripeError as exc:
            raise PaymentProviderError(_("The card payment provider did not answer. Please try again.")) from exc
        attempt.provider_ref = session.id
        attempt.checkout_url = session.url
        attempt.expires_at = datetime.fromtimestamp(session.expires_at, UTC) if session.expires_at else expires_at
        return self.describe(order, attempt)

    def describe(self, order, attempt) -> dict:
        return {"checkout_url": attempt.checkout_url, "expires_at": isoformat_local(attempt.expires_at)}

    def refund(self, *, order, payment_ref: str, amount_vnd: int, key: str, metadata: dict) -> ProviderRefund:
        try:
            refund = stripe_client().v1.refunds.create(
                params={"payment_intent": payment_ref, "amount": amount_vnd, "metadata": metadata},
                options={"idempotency_key": key})
        except stripe.StripeError as exc:
            raise PaymentProviderError(_("The card payment provider refused the refund: %(reason)s",
                                         reason=getattr(exc, "user_message", None) or exc.__class__.__name__)) from exc
        return ProviderRefund(provider_ref=refund.id, succeeded=refund.status == "succeeded",
                              refunded_at=datetime.fromtimestamp(refund.created, UTC) if refund.created else utcnow())

    def refunds_of(self, payment_ref: str) -> list[dict]:
        """Every refund Stripe holds for a PaymentIntent, as plain dicts (to notice dashboard refunds)."""
        try:
            listing = stripe_client().v1.refunds.list(params={"payment_intent": payment_ref, "limit": 100})
            return [refund.to_dict() for refund in listing.data]
        except stripe.StripeError as exc:
            raise PaymentProviderError(_("The card payment provider did not answer. Please try again.")) from exc


GATEWAYS: dict[str, Gateway] = {gateway.method: gateway for gateway in (VietQRGateway(), StripeGateway())}


def get_gateway(method: str) -> Gateway:
    try:
        return GATEWAYS[method]
    except KeyError:
        raise ValidationFailed(_("Unknown payment method."), fields={"payment_method": [
            _("Choose one of: %(methods)s", methods=", ".join(GATEWAYS))]}) from None
