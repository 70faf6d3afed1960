"""Payments API: an order's payment (how to pay, status, receipts) and, for admins,
reconciliation of bank transfers and bank-transfer refunds."""
from __future__ import annotations

from flask import request
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..accounts.auth import role_required
from ..errors import NotFound
from ..payments import services
from ..payments.views import token_allows
from ..timeutil import isoformat_local

URL_PREFIX = "/payments"

blp = Blueprint("api-payments", __name__, description="Payments: status, receipts, reconciliation")


class ReceiptSchema(Schema):
    kind = fields.String(metadata={"description": "payment | refund"})
    method = fields.String()
    amount_vnd = fields.Integer()
    at = fields.String()
    reference = fields.String()


class VietQRSchema(Schema):
    payload = fields.String()
    image_url = fields.String()
    bank_bin = fields.String()
    account_no = fields.String()
    account_name = fields.String()
    amount_vnd = fields.Integer()
    reference = fields.String()
    expires_at = fields.String()


class PaymentInfoSchema(Schema):
    method = fields.String()
    status = fields.String(metadata={"description": "unpaid | paid | partially_refunded | refunded"})
    order_status = fields.String()
    amount_vnd = fields.Integer()
    paid_vnd = fields.Integer()
    refunded_vnd = fields.Integer()
    paid_at = fields.String(allow_none=True)
    due_at = fields.String(allow_none=True)
    checkout_url = fields.String()
    vietqr = fields.Nested(VietQRSchema)
    receipts = fields.List(fields.Nested(ReceiptSchema))


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class TransferSchema(Schema):
    id = fields.Integer()
    provider = fields.String()
    provider_txn_id = fields.String()
    bank = fields.String()
    account_no = fields.String()
    amount_vnd = fields.Integer()
    description = fields.String()
    bank_reference = fields.String()
    transacted_at = fields.Function(lambda t: isoformat_local(t.transacted_at))
    status = fields.String(metadata={"description": "partial | unmatched | overpaid (open); matched | assigned | "
                                                    "refunded_outside"})
    order_code = fields.Function(lambda t: t.order.code if t.order else None)
    note = fields.String()


class TransferPageSchema(Schema):
    items = fields.List(fields.Nested(TransferSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class AssignSchema(Schema):
    order_code = fields.String(required=True, validate=validate.Length(min=1, max=20))
    note = fields.String(load_default="", validate=validate.Length(max=500))


class NoteSchema(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=500))


class RefundSchema(Schema):
    id = fields.Integer()
    order_code = fields.Function(lambda r: r.order.code)
    part_id = fields.Integer(allow_none=True)
    amount_vnd = fields.Integer()
    method = fields.String()
    status = fields.String()
    reason = fields.String()
    refunded_at = fields.Function(lambda r: isoformat_local(r.refunded_at))


class RefundListSchema(Schema):
    items = fields.List(fields.Nested(RefundSchema))


@blp.get("/orders/<code>", endpoint="order_payment")
@blp.response(200, PaymentInfoSchema)
def order_payment(code):
    """An order's payment: how to pay while unpaid, status, receipts.

    For the order's owner or an admin, or with `?t=` (the access token in the
    order's payment page link, for guest checkouts)."""
    order = services.order_by_code(code)
    if order is None or not (services.can_view(order, current_user) or token_allows(order, request.args.get("t"))):
        raise NotFound("Không tìm thấy đơn hàng / Order not found")
    return services.payment_info(order)


@blp.get("/transfers", endpoint="transfers")
@role_required("admin")
@blp.arguments(PageArgs, location="query")
@blp.response(200, TransferPageSchema)
def transfers(args):
    """Bank transfers waiting for reconciliation (partial, unmatched, overpaid)."""
    items, total = services.open_transfers(page=args["page"], per_page=args["per_page"])
    return {"items": items, "total": total, "page": args["page"], "per_page": args["per_page"]}


@blp.post("/transfers/<int:transfer_id>/assign", endpoint="assign_transfer")
@role_required("admin")
@blp.arguments(AssignSchema)
@blp.response(200, TransferSchema)
def assign_transfer(body, transfer_id):
    """Book an unmatched or partial transfer to an order waiting for payment."""
    return services.assign_transfer(transfer_id, body["order_code"], current_user, body["note"])


@blp.post("/transfers/<int:transfer_id>/refunded", endpoint="transfer_refunded")
@role_required("admin")
@blp.arguments(NoteSchema)
@blp.response(200, TransferSchema)
def transfer_refunded(body, transfer_id):
    """Record that a transfer was paid back outside the system."""
    return services.mark_transfer_refunded(transfer_id, current_user, body["note"])


@blp.get("/refunds", endpoint="due_refunds")
@role_required("admin")
@blp.response(200, RefundListSchema)
def due_refunds():
    """Bank-transfer refunds waiting to be paid back by an admin."""
    return {"items": services.due_refunds()}


@blp.post("/refunds/<int:refund_id>/paid", endpoint="refund_paid")
@role_required("admin")
@blp.arguments(NoteSchema)
@blp.response(200, RefundSchema)
def refund_paid(body, refund_id):
    """Record that a due refund was paid back to the shopper."""
    return services.mark_refund_paid(refund_id, current_user, body["note"])
