"""Provider notifications: SePay and Casso (bank transfers) and Stripe (cards).

Each endpoint authenticates first (nothing is read or written for a request that
fails), then hands one parsed notification to the services. These routes are
called by providers, not browsers, so the blueprint is exempt from CSRF.
"""
from __future__ import annotations

import json
import logging

import stripe
from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext

from ..extensions import limiter
from . import services
from .providers import banktransfer
from .providers.banktransfer import (BadNotification, NotAuthentic, casso_authenticate, parse_casso, parse_sepay,
                                     sepay_authenticate)
from .providers.stripe import StripeGateway, verify_webhook

log = logging.getLogger(__name__)

bp = Blueprint("payment_webhooks", __name__, url_prefix="/payments")
# Per provider address, shared by the three endpoints (WEBHOOK_RATE_LIMIT).
limiter.shared_limit(lambda: current_app.config["WEBHOOK_RATE_LIMIT"], scope="webhooks")(bp)


def _reject(status: int, message: str):
    return jsonify({"success": False, "error": {"code": "unauthorized" if status == 401 else "bad_request",
                                                "message": message}}), status


def _record_transfer(notice: banktransfer.BankNotice) -> str:
    return services.receive(banktransfer.BankTransferGateway.method, notice.provider, notice.txn_id,
                            "transfer.in" if notice.incoming else "transfer.out", notice.raw, notice)


@bp.post("/sepay/webhook")
def sepay():
    cfg = current_app.config
    try:
        sepay_authenticate(request.headers, request.get_data(), cfg)
        notification = parse_sepay(request.get_data())
    except NotAuthentic as exc:
        log.warning("sepay webhook refused: %s", exc)
        return _reject(401, gettext("Authentication failed"))
    except BadNotification as exc:
        return _reject(400, gettext("Invalid notification: %(reason)s", reason=exc))
    outcome = _record_transfer(notification)
    return jsonify({"success": True, "outcome": outcome}), 200


@bp.post("/casso/webhook")
def casso():
    cfg = current_app.config
    try:
        data = casso_authenticate(request.headers.get("X-Casso-Signature"), request.get_data(),
                                  cfg["CASSO_CHECKSUM_KEY"], cfg["BANK_WEBHOOK_MAX_AGE_S"])
        notifications = parse_casso(data)
    except NotAuthentic as exc:
        log.warning("casso webhook refused: %s", exc)
        return _reject(401, gettext("Authentication failed"))
    except BadNotification as exc:
        return _reject(400, gettext("Invalid notification: %(reason)s", reason=exc))
    outcomes = [_record_transfer(n) for n in notifications]
    return jsonify({"success": True, "outcome": outcomes[0] if len(outcomes) == 1 else outcomes}), 200


@bp.post("/stripe/webhook")
def stripe_webhook():
    payload = request.get_data()
    secret = current_app.config["STRIPE_WEBHOOK_SECRET"]
    if not secret:
        return _reject(401, "Stripe webhooks are not configured")
    try:
        verify_webhook(payload, request.headers.get("Stripe-Signature", ""), secret)
        event = json.loads(payload)
    except stripe.SignatureVerificationError:
        return _reject(400, gettext("Invalid signature"))
    except ValueError:
        return _reject(400, gettext("Invalid payload"))
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or "created" not in event \
            or not isinstance((event.get("data") or {}).get("object"), dict):
        return _reject(400, gettext("Invalid event"))
    outcome = services.receive(StripeGateway.method, "stripe", event["id"], event.get("type", ""), event, event)
    return jsonify({"received": True, "outcome": outcome}), 200
