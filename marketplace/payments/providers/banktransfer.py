"""Bank transfer (VietQR): the QR a banking app scans to pre-fill the transfer, the SePay and
Casso notices that tell us a transfer arrived, and refunds paid back by hand.

A transfer carries the order's payment reference in its description; `matching` books it
to that order. Both notice providers report a bank's transaction time as local time
(Asia/Ho_Chi_Minh) without an offset; it is converted to UTC here. Field names are the
providers' published ones, so a real SePay or Casso account can be pointed at the
marketplace.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from marshmallow import INCLUDE, Schema, ValidationError, fields, validate

from ...links import absolute_url
from ...timeutil import LOCAL_TZ, UTC, isoformat_local
from .. import matching, vietqr
from ..gateway import PENDING, SUCCEEDED, GatewayResult
from ..models import ProviderEvent, Refund


class BankTransferGateway:
    """Paid by a transfer to the marketplace's account; paid back by an admin's transfer."""

    method = "vietqr"
    label = _l("bank transfer")
    title = _l("Bank transfer (VietQR)")
    choice_label = title
    invoice_payment_method = "CK"  # chuyển khoản
    payment_window_setting = "PAYMENT_WINDOW_VIETQR_MIN"
    max_amount_vnd = None
    offline = True
    pays_back_by_hand = True
    cashless = True
    paid_by_transfer_notice = True

    def available(self) -> bool:
        return True

    def check_amount(self, amount_vnd: int) -> None:
        """A bank transfer carries any order total."""

    def start(self, order, attempt) -> GatewayResult:
        """Nothing to call: the order's reference is the whole payment (`attempt` may not have an id yet)."""
        attempt.provider_ref = f"vietqr:{order.payment_reference}:{secrets.token_hex(6)}"
        attempt.expires_at = order.payment_due_at
        return GatewayResult(PENDING, provider_ref=attempt.provider_ref, amount_vnd=order.total_vnd)

    def describe(self, order, attempt=None) -> dict:
        return {"vietqr": qr_details(order)}

    def handle_event(self, event: "BankNotice", recorded: ProviderEvent) -> str:
        return matching.apply_transfer(event, recorded, self.method)

    def refund(self, refund: Refund, payment_ref: str | None, key: str) -> GatewayResult:
        """Due until an admin has paid it back and marks it paid (`refunds.mark_refund_paid`)."""
        return GatewayResult(PENDING, amount_vnd=refund.amount_vnd)

    def find_refund(self, refund: Refund, payment_ref: str | None) -> GatewayResult | None:
        """The admin's record is the only one there is."""
        if refund.status == "succeeded":
            return GatewayResult(SUCCEEDED, provider_ref=refund.provider_ref, amount_vnd=refund.amount_vnd,
                                 occurred_at=refund.refunded_at)
        return GatewayResult(PENDING, amount_vnd=refund.amount_vnd) if refund.status == "due" else None


def qr_payload(order) -> str:
    """The VietQR string of a transfer paying `order`."""
    cfg = current_app.config
    return vietqr.build_payload(cfg["VIETQR_BANK_BIN"], cfg["VIETQR_ACCOUNT_NO"], order.total_vnd,
                                order.payment_reference)


def qr_details(order) -> dict:
    """How to pay `order` by transfer (API.md's Payment.vietqr)."""
    cfg = current_app.config
    return {
        "payload": qr_payload(order),
        "image_url": absolute_url(url_for("payments.qr_image", reference=order.payment_reference)),
        "bank_bin": cfg["VIETQR_BANK_BIN"],
        "account_no": cfg["VIETQR_ACCOUNT_NO"],
        "account_name": cfg["VIETQR_ACCOUNT_NAME"],
        "amount_vnd": order.total_vnd,
        "reference": order.payment_reference,
        "expires_at": isoformat_local(order.payment_due_at),
    }


# ---- notices from SePay and Casso ---------------------------------------------------------------

BANK_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class NotAuthentic(Exception):
    """Missing or wrong credentials or signature, or a stale notification (HTTP 401)."""


class BadNotification(Exception):
    """An authentic request whose body is not a notification we understand (HTTP 400)."""


@dataclass(frozen=True)
class BankNotice:
    provider: str  # sepay | casso
    txn_id: str  # the provider's id of the transaction: the idempotency key
    incoming: bool
    amount_vnd: int  # always positive
    account_no: str
    description: str
    bank: str
    bank_reference: str
    transacted_at: datetime  # UTC
    raw: dict


def parse_bank_time(text: str) -> datetime:
    """'2025-03-01 09:15:00' in Hanoi -> the aware UTC instant."""
    local = datetime.strptime(text.strip(), BANK_TIME_FORMAT)
    return local.replace(tzinfo=LOCAL_TZ).astimezone(UTC)


class _BankTime(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return parse_bank_time(text)
        except ValueError:
            raise ValidationError(f"expected 'YYYY-MM-DD HH:MM:SS', got {text!r}") from None


def _load_json(body: bytes) -> dict:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise BadNotification("body is not JSON") from None
    if not isinstance(data, dict):
        raise BadNotification("body must be a JSON object")
    return data


def _validated(schema: Schema, data: dict) -> dict:
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise BadNotification("; ".join(f"{k}: {v}" for k, v in exc.messages.items())) from None


# ---- SePay -------------------------------------------------------------------------------

class SepaySchema(Schema):
    class Meta:
        unknown = INCLUDE

    id = fields.Integer(required=True, strict=True)
    gateway = fields.String(load_default="")
    transactionDate = _BankTime(required=True)
    accountNumber = fields.String(required=True, validate=validate.Length(min=1, max=40))
    code = fields.String(allow_none=True, load_default=None)
    content = fields.String(allow_none=True, load_default="")
    transferType = fields.String(required=True, validate=validate.OneOf(("in", "out")))
    transferAmount = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    accumulated = fields.Integer(allow_none=True, load_default=None)
    subAccount = fields.String(allow_none=True, load_default=None)
    referenceCode = fields.String(allow_none=True, load_default="")
    description = fields.String(allow_none=True, load_default="")


def sepay_authenticate(headers, body: bytes, cfg, now: float | None = None) -> None:
    """Authenticate a SePay webhook the way this deployment chose (`SEPAY_WEBHOOK_AUTH`):

    - `apikey`: `Authorization: Apikey <SEPAY_API_KEY>`;
    - `hmac`: SePay's signed mode: `X-SePay-Timestamp: <unix seconds>` and `X-SePay-Signature:
      sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" under SEPAY_WEBHOOK_SECRET>`; a
      timestamp further than BANK_WEBHOOK_MAX_AGE_S from now is refused (a replay), as
      SePay's documentation advises (5 minutes) and as Casso's signatures are checked.
    """
    if cfg["SEPAY_WEBHOOK_AUTH"] == "hmac":
        _sepay_signed(headers, body, cfg["SEPAY_WEBHOOK_SECRET"], cfg["BANK_WEBHOOK_MAX_AGE_S"], now)
        return
    api_key = cfg["SEPAY_API_KEY"]
    if not api_key:
        raise NotAuthentic("SEPAY_API_KEY is not configured")
    scheme, _, given = (headers.get("Authorization") or "").strip().partition(" ")
    if scheme.lower() != "apikey" or not hmac.compare_digest(given.strip().encode(), api_key.encode()):
        raise NotAuthentic("bad API key")


def sepay_signature(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _sepay_signed(headers, body: bytes, secret: str, max_age_s: int, now: float | None) -> None:
    if not secret:
        raise NotAuthentic("SEPAY_WEBHOOK_SECRET is not configured")
    timestamp = (headers.get("X-SePay-Timestamp") or "").strip()
    scheme, _, given = (headers.get("X-SePay-Signature") or "").strip().rpartition("=")
    if not timestamp.isdigit() or len(timestamp) > 12 or scheme not in ("", "sha256") or not given:
        raise NotAuthentic("missing signature")
    if not hmac.compare_digest(sepay_signature(secret, timestamp, body), given.lower()):
        raise NotAuthentic("bad signature")
    if abs((now if now is not None else time.time()) - int(timestamp)) > max_age_s:
        raise NotAuthentic("stale notification")


def parse_sepay(body: bytes) -> BankNotice:
    data = _validated(SepaySchema(), _load_json(body))
    # SePay puts the reference it recognised in `code` and the full text in `content`;
    # `description` is the raw bank SMS/statement line. Look for the reference in all of them.
    text = " ".join(part for part in (data.get("code"), data.get("content"), data.get("description")) if part)
    return BankNotice(
        provider="sepay", txn_id=str(data["id"]), incoming=data["transferType"] == "in",
        amount_vnd=data["transferAmount"], account_no=(data.get("accountNumber") or "").strip(),
        description=text, bank=data.get("gateway") or "", bank_reference=data.get("referenceCode") or "",
        transacted_at=data["transactionDate"], raw=data | {"transactionDate": str(data["transactionDate"])},
    )


# ---- Casso (webhook v2) ----------------------------------------------------------------------

class CassoTransactionSchema(Schema):
    class Meta:
        unknown = INCLUDE

    id = fields.Integer(required=True, strict=True)
    reference = fields.String(allow_none=True, load_default="")
    description = fields.String(allow_none=True, load_default="")
    amount = fields.Integer(required=True, strict=True)
    runningBalance = fields.Integer(allow_none=True, load_default=None)
    transactionDateTime = _BankTime(required=True)
    accountNumber = fields.String(required=True, validate=validate.Length(min=1, max=40))
    bankName = fields.String(allow_none=True, load_default="")


def casso_canonical(data, ascii_only: bool = False, escape_slashes: bool = False) -> str:
    """The body as Casso signs it: keys sorted at every level, no spaces. Casso's own server
    keeps non-ASCII as is; its published Python sample escapes it (`\\uXXXX`) and its PHP
    sample (json_encode) also escapes `/` as `\\/`."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=ascii_only)
    return text.replace("/", "\\/") if escape_slashes else text


def casso_signature(key: str, timestamp: str, data, ascii_only: bool = False, escape_slashes: bool = False) -> str:
    message = f"{timestamp}.{casso_canonical(data, ascii_only, escape_slashes)}".encode()
    return hmac.new(key.encode(), message, hashlib.sha512).hexdigest()


# Every way a Casso sample may have serialised the body it signed.
_CASSO_FORMS = ((False, False), (True, False), (True, True), (False, True))


def casso_authenticate(header: str | None, body: bytes, key: str, max_age_s: int, now: float | None = None) -> dict:
    """Verify `X-Casso-Signature: t=<ms>,v1=<hex>` and the timestamp's age; return the parsed body."""
    if not key:
        raise NotAuthentic("CASSO_CHECKSUM_KEY is not configured")
    parts = dict(item.strip().partition("=")[::2] for item in (header or "").split(",") if "=" in item)
    timestamp, given = parts.get("t", ""), parts.get("v1", "")
    if not timestamp.isdigit() or not given:
        raise NotAuthentic("missing signature")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise NotAuthentic("body is not JSON; cannot verify the signature") from None
    given = given.lower()
    if not any([hmac.compare_digest(casso_signature(key, timestamp, data, *form), given) for form in _CASSO_FORMS]):
        raise NotAuthentic("bad signature")
    age_s = (now if now is not None else time.time()) - int(timestamp) / 1000
    if abs(age_s) > max_age_s:
        raise NotAuthentic("stale notification")
    if not isinstance(data, dict):
        raise BadNotification("body must be a JSON object")
    return data


def parse_casso(data: dict) -> list[BankNotice]:
    if data.get("error", 0) != 0:
        raise BadNotification(f"Casso reported error {data.get('error')!r}")
    items = data.get("data")
    items = items if isinstance(items, list) else [items]
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise BadNotification("data must be a transaction object")
        txn = _validated(CassoTransactionSchema(), item)
        if txn["amount"] == 0:
            raise BadNotification("amount must not be zero")
        out.append(BankNotice(
            provider="casso", txn_id=str(txn["id"]), incoming=txn["amount"] > 0, amount_vnd=abs(txn["amount"]),
            account_no=(txn.get("accountNumber") or "").strip(), description=txn.get("description") or "",
            bank=txn.get("bankName") or "", bank_reference=txn.get("reference") or "",
            transacted_at=txn["transactionDateTime"], raw=item,
        ))
    return out
