"""Stripe (hosted Checkout): starting a card payment, Stripe's events, refunds and refund
look-ups. Every call to Stripe lives in this module; each carries an idempotency key
derived from the order (or the refund)."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
import stripe
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...links import public_base_url
from ...mail.language import current_language
from ...money import STRIPE_MAX_VND
from ...orders.access import access_token, lock_order, lock_order_by_code
from ...orders.models import Order
from ...orders.services import expire_order
from ...timeutil import UTC, isoformat_local, utcnow
from .. import ledger
from ..gateway import PENDING, SUCCEEDED, GatewayResult, PaymentProviderError, ProviderNotConfigured, \
    check_amount_at_most
from ..models import LedgerEntry, PaymentAttempt, ProviderEvent, Refund

log = logging.getLogger(__name__)

# Stripe lets a Checkout Session live between 30 minutes and 24 hours.
_SESSION_MIN = timedelta(minutes=30)
_SESSION_MAX = timedelta(hours=23, minutes=59)


def stripe_client() -> stripe.StripeClient:
    cfg = current_app.config
    if not cfg.get("STRIPE_SECRET_KEY"):
        raise ProviderNotConfigured(_("Card payment is not available right now. Please pay by bank transfer."))
    options: dict = {"max_network_retries": 2}
    if cfg.get("STRIPE_API_BASE"):
        options["base_addresses"] = {"api": cfg["STRIPE_API_BASE"]}
    if cfg.get("STRIPE_HTTP_CLIENT") is not None:
        options["http_client"] = cfg["STRIPE_HTTP_CLIENT"]
    return stripe.StripeClient(cfg["STRIPE_SECRET_KEY"], **options)


def verify_webhook(payload: bytes, signature: str, secret: str) -> None:
    """Raise stripe.SignatureVerificationError (or ValueError) unless Stripe signed `payload`."""
    stripe.Webhook.construct_event(payload, signature, secret)


def _ts(value) -> datetime:
    return datetime.fromtimestamp(int(value), UTC)


class StripeGateway:
    method = "stripe"
    label = _l("card")
    title = _l("Card (Stripe)")
    choice_label = _l("International or domestic card (Stripe)")
    invoice_payment_method = "Thẻ"
    payment_window_setting = "PAYMENT_WINDOW_STRIPE_MIN"
    max_amount_vnd = STRIPE_MAX_VND
    offline = False
    pays_back_by_hand = False
    cashless = True
    paid_by_transfer_notice = False

    def available(self) -> bool:
        return bool(current_app.config.get("STRIPE_SECRET_KEY"))

    def check_amount(self, amount_vnd: int) -> None:
        check_amount_at_most(self, amount_vnd)

    def start(self, order, attempt) -> GatewayResult:
        self.check_amount(order.total_vnd)
        now = utcnow()
        expires_at = min(max(order.payment_due_at, now + _SESSION_MIN), now + _SESSION_MAX)
        base = public_base_url()
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
                    "product_data": {"name": _("OCOP Quảng Ninh – order %(code)s", code=order.code)},
                },
            }],
            "metadata": {"order_code": order.code, "attempt_id": str(attempt.id)},
            "payment_intent_data": {"metadata": {"order_code": order.code}},
            "success_url": f"{base}/payments/stripe/success?order={order.code}&t={token}"
                           "&session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": f"{base}/payments/stripe/cancel?order={order.code}&t={token}",
            "expires_at": int(expires_at.timestamp()),
            "locale": current_language(),  # Stripe's page speaks the shopper's language, as ours did
        }
        try:
            session = stripe_client().v1.checkout.sessions.create(
                params=params, options={"idempotency_key": f"checkout-{order.code}-{attempt.id}"})
        except stripe.StripeError as exc:
            raise PaymentProviderError(_("The card payment provider did not answer. Please try again.")) from exc
        attempt.provider_ref = session.id
        attempt.checkout_url = session.url
        attempt.expires_at = datetime.fromtimestamp(session.expires_at, UTC) if session.expires_at else expires_at
        return GatewayResult(PENDING, provider_ref=session.id, amount_vnd=order.total_vnd)

    def describe(self, order, attempt) -> dict:
        return {"checkout_url": attempt.checkout_url, "expires_at": isoformat_local(attempt.expires_at)}

    def handle_event(self, event: dict, recorded: ProviderEvent) -> str:
        handler = _HANDLERS.get(event.get("type", ""))
        return handler(self, event, recorded) if handler else "ignored"

    def refund(self, refund: Refund, payment_ref: str | None, key: str) -> GatewayResult:
        if payment_ref is None:
            # Nothing reached us by card (the order was paid another way): an admin pays it back.
            return GatewayResult(PENDING, amount_vnd=refund.amount_vnd)
        return self._create_refund(payment_ref, refund.amount_vnd, key, {
            "order_code": refund.order.code, "part_id": str(refund.part_id or ""), "refund_id": str(refund.id)})

    def find_refund(self, refund: Refund, payment_ref: str | None) -> GatewayResult | None:
        for held in self._refunds_of(payment_ref) if payment_ref else ():
            if (held.get("metadata") or {}).get("refund_id") == str(refund.id) and held.get("status") in (
                    SUCCEEDED, PENDING):
                return GatewayResult(held["status"], provider_ref=held["id"], amount_vnd=int(held["amount"]),
                                     occurred_at=_ts(held["created"]), metadata=held.get("metadata") or {})
        return None

    def _create_refund(self, payment_ref: str, amount_vnd: int, key: str, metadata: dict) -> GatewayResult:
        try:
            refund = stripe_client().v1.refunds.create(
                params={"payment_intent": payment_ref, "amount": amount_vnd, "metadata": metadata},
                options={"idempotency_key": key})
        except stripe.StripeError as exc:
            raise PaymentProviderError(_("The card payment provider refused the refund: %(reason)s",
                                         reason=getattr(exc, "user_message", None) or exc.__class__.__name__)) from exc
        return GatewayResult(SUCCEEDED if refund.status == "succeeded" else PENDING, provider_ref=refund.id,
                             amount_vnd=amount_vnd, metadata=metadata,
                             occurred_at=datetime.fromtimestamp(refund.created, UTC) if refund.created else utcnow())

    def _refunds_of(self, payment_ref: str) -> list[dict]:
        """Every refund Stripe holds for a PaymentIntent, as plain dicts (to notice dashboard refunds)."""
        try:
            listing = stripe_client().v1.refunds.list(params={"payment_intent": payment_ref, "limit": 100})
            return [refund.to_dict() for refund in listing.data]
        except stripe.StripeError as exc:
            raise PaymentProviderError(_("The card payment provider did not answer. Please try again.")) from exc


# ---- events ----------------------------------------------------------------------------------

def _session_order(session: dict) -> Order | None:
    return lock_order_by_code((session.get("metadata") or {}).get("order_code") or session.get("client_reference_id"))


def _session_attempt(session: dict) -> PaymentAttempt | None:
    return db.session.execute(sa.select(PaymentAttempt).where(PaymentAttempt.provider_ref == session.get("id"))
                              ).scalar_one_or_none()


def _on_session_completed(gateway: StripeGateway, event: dict, recorded: ProviderEvent) -> str:
    session = event["data"]["object"]
    if session.get("payment_status") not in ("paid", "no_payment_required"):
        return "awaiting_async_payment"
    return _apply_card_payment(gateway, event, recorded)


def _apply_card_payment(gateway: StripeGateway, event: dict, recorded: ProviderEvent) -> str:
    session = event["data"]["object"]
    order = _session_order(session)
    if order is None:
        recorded.note = "no order for this session"
        return "unknown_order"
    recorded.order_id = order.id
    attempt = _session_attempt(session)
    amount, currency = session.get("amount_total"), (session.get("currency") or "").lower()
    intent = session.get("payment_intent")
    if isinstance(intent, dict):
        intent = intent.get("id")
    if currency != "vnd" or amount != order.total_vnd or not intent:
        recorded.note = f"expected {order.total_vnd} vnd, got {amount} {currency}"
        if attempt is not None:
            attempt.status, attempt.note = "failed", recorded.note
        log.warning("stripe session %s for %s: amount mismatch (%s)", session.get("id"), order.code, recorded.note)
        return "amount_mismatch"
    paid_at = _ts(event["created"])
    if attempt is not None:
        attempt.provider_payment_id = intent
    try:
        with db.session.begin_nested():
            ledger.book(order_id=order.id, kind="payment", method=gateway.method, amount_vnd=amount,
                        provider_ref=intent, occurred_at=paid_at, event_id=recorded.id,
                        attempt_id=attempt.id if attempt else None)
    except IntegrityError:
        return "already_booked"  # completed and async_payment_succeeded for the same PaymentIntent
    if order.status != "pending_payment":
        # Paid after the order expired or was cancelled (or paid twice): give the money back at once.
        return _refund_unwanted_card_payment(gateway, order, intent, amount, recorded)
    ledger.settle(order, paid_at, "stripe", _("card payment received"))
    return "paid"


def _refund_unwanted_card_payment(gateway: StripeGateway, order: Order, intent: str, amount: int,
                                  recorded: ProviderEvent) -> str:
    entry = db.session.execute(sa.select(LedgerEntry).where(LedgerEntry.kind == "payment",
                                                            LedgerEntry.provider_ref == intent)).scalar_one()
    entry.order_id = None
    entry.note = f"order {order.code} was {order.status} when the payment arrived"
    result = gateway._create_refund(intent, amount, f"refund-unwanted-{intent}",
                                    {"order_code": order.code, "unwanted_payment": "1"})
    ledger.book(order_id=None, kind="refund", method=gateway.method, amount_vnd=amount,
                provider_ref=result.provider_ref, occurred_at=result.occurred_at, event_id=recorded.id,
                note=entry.note)
    recorded.note = entry.note
    return "refunded_unwanted"


def _on_async_failed(gateway: StripeGateway, event: dict, recorded: ProviderEvent) -> str:
    session = event["data"]["object"]
    attempt = _session_attempt(session)
    order = _session_order(session)
    recorded.order_id = order.id if order else None
    if attempt is not None and attempt.status == "pending":
        attempt.status = "failed"
    return "payment_failed"


def _on_session_expired(gateway: StripeGateway, event: dict, recorded: ProviderEvent) -> str:
    session = event["data"]["object"]
    order = _session_order(session)
    attempt = _session_attempt(session)
    if attempt is not None and attempt.status == "pending":
        attempt.status = "expired"
    if order is None:
        return "unknown_order"
    recorded.order_id = order.id
    if order.status != "pending_payment" or ledger.open_attempt(order) is not None:
        return "ignored"
    expire_order(order, note="payment window closed", commit=False)
    return "order_expired"


def _on_charge_refunded(gateway: StripeGateway, event: dict, recorded: ProviderEvent) -> str:
    """Refunds made in the Stripe dashboard are booked too; our own are booked when made."""
    charge = event["data"]["object"]
    intent = charge.get("payment_intent")
    payment = db.session.execute(sa.select(LedgerEntry).where(LedgerEntry.kind == "payment",
                                                              LedgerEntry.provider_ref == intent)).scalar_one_or_none()
    if payment is None:
        return "unknown_payment"
    order = lock_order(payment.order_id) if payment.order_id else None
    recorded.order_id = order.id if order else None
    booked = 0
    for stripe_refund in gateway._refunds_of(intent):
        metadata = stripe_refund.get("metadata") or {}
        succeeded = stripe_refund.get("status") == "succeeded"
        known = db.session.execute(sa.select(Refund).where(Refund.provider_ref == stripe_refund["id"])
                                   ).scalar_one_or_none()
        if known is not None:
            if known.status == "due" and succeeded:
                ledger.refund_succeeded(known, _ts(stripe_refund["created"]))
                booked += 1
            continue
        if metadata.get("part_id") or metadata.get("unwanted_payment") or order is None or not succeeded:
            continue  # made by the marketplace itself (booked by the code that made it), or not final
        refund = Refund(order_id=order.id, part_id=None, amount_vnd=int(stripe_refund["amount"]),
                        method=gateway.method, status="due", reason="refunded in the Stripe dashboard",
                        provider_ref=stripe_refund["id"])
        db.session.add(refund)
        db.session.flush()
        ledger.refund_succeeded(refund, _ts(stripe_refund["created"]), note=refund.reason)
        booked += 1
    if order is not None:
        ledger.refresh_payment_status(order)
    return "refunds_booked" if booked else "nothing_new"


_HANDLERS = {
    "checkout.session.completed": _on_session_completed,
    "checkout.session.async_payment_succeeded": _apply_card_payment,
    "checkout.session.async_payment_failed": _on_async_failed,
    "checkout.session.expired": _on_session_expired,
    "charge.refunded": _on_charge_refunded,
}
