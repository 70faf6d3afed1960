"""A simulated bank transfer: the notification SePay would send, through the real webhook.

The notification goes to `POST /payments/sepay/webhook` over the app's own WSGI stack,
with `Authorization: Apikey <SEPAY_API_KEY>`, so authentication, parsing, matching, the
ledger and the order's status change are exactly those of production.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import Flask
from flask_babel import gettext as _

from ..errors import DomainError, Forbidden, NotFound
from ..extensions import db
from ..orders.models import Order
from ..payments import services as payments
from ..payments.providers.banktransfer import BANK_TIME_FORMAT
from ..timeutil import LOCAL_TZ
from .mode import enabled
from .instance_files import ensure_sepay_key

WEBHOOK_PATH = "/payments/sepay/webhook"  # the public contract (API.md), not an endpoint name


@dataclass(frozen=True)
class SimulatedTransfer:
    order_code: str
    amount_vnd: int
    outcome: str  # the webhook's: matched, partial, overpaid, unmatched, duplicate, ...
    order_status: str  # after the notification
    payment_status: str


def outstanding_vnd(order: Order) -> int:
    """What is left to pay: the total less the payments booked so far (the total once paid)."""
    info = payments.payment_info(order)
    left = info["amount_vnd"] - info["paid_vnd"]
    return left if left > 0 else order.total_vnd


def sepay_notification(reference: str, amount_vnd: int, account_no: str) -> dict:
    """A SePay webhook body in the provider's published shape, for a transfer made now."""
    txn_id = secrets.randbelow(10**12) + 1  # SePay ids are integers; a repeat would be ignored
    text = f"{reference} chuyen tien mua hang"
    now = datetime.now(LOCAL_TZ).strftime(BANK_TIME_FORMAT)
    return {"id": txn_id, "gateway": "SimulatedBank", "transactionDate": now, "accountNumber": account_no,
            "code": None, "content": text, "transferType": "in", "transferAmount": amount_vnd,
            "accumulated": None, "subAccount": None, "referenceCode": f"SIM.{txn_id}",
            "description": f"BankAPINotify {text}"}


def simulate_transfer(app: Flask, code: str, amount_vnd: int | None = None) -> SimulatedTransfer:
    """Send a transfer for order `code` (by default what is left to pay) through the webhook."""
    if not enabled(app):
        raise Forbidden(_("Simulated transfers exist only in development (APP_ENV=development)."))
    if amount_vnd is not None and amount_vnd < 1:
        raise DomainError(_("The amount must be a whole number of dong, at least 1."))
    order = db.session.scalar(sa.select(Order).where(Order.code == (code or "").strip()))
    if order is None:
        raise NotFound(_("No order %(code)s.", code=code))
    code, amount = order.code, amount_vnd or outstanding_vnd(order)
    body = sepay_notification(order.payment_reference, amount, app.config["VIETQR_ACCOUNT_NO"])
    key = ensure_sepay_key(app)
    # End this session's transaction: on SQLite it would keep reading the state from before the
    # webhook's commit. A fresh application context gives the webhook its own session and `g`,
    # as a request from the bank would have.
    db.session.rollback()
    with app.app_context():
        response = app.test_client().post(WEBHOOK_PATH, data=json.dumps(body), content_type="application/json",
                                          headers={"Authorization": f"Apikey {key}"})
    reply = response.get_json(silent=True) or {}
    if response.status_code != 200 or not reply.get("success"):
        message = (reply.get("error") or {}).get("message") or response.status
        raise DomainError(_("The webhook refused the transfer (HTTP %(status)s): %(message)s",
                            status=response.status_code, message=message))
    order = db.session.scalar(sa.select(Order).where(Order.code == code))
    return SimulatedTransfer(order_code=code, amount_vnd=amount, outcome=str(reply.get("outcome")),
                             order_status=order.status, payment_status=order.payment_status)


def describe(result: SimulatedTransfer) -> str:
    """One sentence for the developer: what the webhook made of the transfer, and the order now."""
    from ..money import format_vnd
    from ..orders.display import look

    outcomes = {
        "matched": _("the order is paid"),
        "partial": _("less than the total: the order waits for the rest"),
        "overpaid": _("more than the total: the difference waits on the reconciliation page"),
        "unmatched": _("no order waiting for it: it waits on the reconciliation page"),
        "duplicate": _("already received, nothing changed"),
        "ignored_other_account": _("sent to another account: ignored"),
    }
    return _("Simulated bank transfer of %(amount)s for order %(code)s: %(outcome)s. Order status: %(status)s.",
             amount=format_vnd(result.amount_vnd), code=result.order_code,
             outcome=outcomes.get(result.outcome, result.outcome),
             status=look(result.order_status).label)
