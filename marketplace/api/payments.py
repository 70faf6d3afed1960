"""Payments API: an order's payment (how to pay, status, receipts) and, for admins,
reconciliation of bank transfers and bank-transfer refunds."""
from __future__ import annotations

from flask import request
from flask_login import current_user
from marshmallow import Schema, fields, validate

from ..orders.access import find_order
from ..payments import matching, refunds, services
from ..payments.schemas import VietQRSchema
from .common import ApiBlueprint, link_to, LocalDateTime, PaginationQuerySchema, Vnd, page_body, page_schema

URL_PREFIX = "/payments"

blp = ApiBlueprint("Payments", __name__, description="An order's payment (status, how to pay, receipts) and, "
                                                     "for admins, reconciliation of bank transfers and refunds.")


class ReceiptSchema(Schema):
    kind = fields.String(metadata={"description": "payment | refund"})
    method = fields.String()
    amount_vnd = Vnd()
    at = fields.String()
    reference = fields.String()


class ProviderErrorSchema(Schema):
    code = fields.String()
    message = fields.String()


class PaymentInfoSchema(Schema):
    method = fields.String()
    status = fields.String(metadata={"description": "unpaid | paid | partially_refunded | refunded"})
    order_status = fields.String()
    amount_vnd = Vnd()
    paid_vnd = Vnd()
    refunded_vnd = Vnd()
    paid_at = fields.String(allow_none=True)
    due_at = fields.String(allow_none=True)
    page_url = fields.String(metadata={"description": "the order's payment page (with the guest access token)"})
    checkout_url = fields.String(metadata={"description": "stripe, while unpaid: the hosted Checkout page"})
    expires_at = fields.String(metadata={"description": "while unpaid: when this way of paying closes"})
    vietqr = fields.Nested(VietQRSchema, metadata={"description": "vietqr, while unpaid: QR payload, account, "
                                                                  "amount and reference"})
    error = fields.Nested(ProviderErrorSchema, metadata={"description": "the provider could not be reached; "
                                                                       "retry from page_url"})
    receipts = fields.List(fields.Nested(ReceiptSchema))


class TransferSchema(Schema):
    id = fields.Integer()
    provider = fields.String()
    provider_txn_id = fields.String()
    bank = fields.String()
    account_no = fields.String()
    amount_vnd = Vnd()
    description = fields.String()
    bank_reference = fields.String()
    transacted_at = LocalDateTime(metadata={"description": "the bank's transaction time"})
    status = fields.String(metadata={"description": "partial | unmatched | overpaid (open); matched | assigned | "
                                                    "refunded_outside"})
    order_code = fields.Function(lambda t: t.order.code if t.order else None)
    note = fields.String()


class AssignSchema(Schema):
    order_code = fields.String(required=True, validate=validate.Length(min=1, max=20))
    note = fields.String(load_default="", validate=validate.Length(max=500))


class NoteSchema(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=500))


class RefundSchema(Schema):
    id = fields.Integer()
    order_code = fields.Function(lambda r: r.order.code)
    part_id = fields.Integer(allow_none=True)
    amount_vnd = Vnd()
    method = fields.String()
    status = fields.String()
    reason = fields.String()
    refunded_at = LocalDateTime(allow_none=True)


class RefundListSchema(Schema):
    items = fields.List(fields.Nested(RefundSchema))


@blp.route("/orders/<code>", methods=["GET"], endpoint="order_payment")
@blp.response(200, PaymentInfoSchema)
@blp.errors(404)
def order_payment(code):
    """An order's payment: how to pay while unpaid, status, receipts.

    For the order's owner or an admin, or with `?t=` (the access token in the
    order's payment page link, for guest checkouts)."""
    order, _parts = find_order(code, current_user, token=request.args.get("t"), whole=True)
    return services.payment_info(order)


@blp.route("/transfers", methods=["GET"], endpoint="transfers")
@blp.auth_required("admin")
@blp.arguments(PaginationQuerySchema(), location="query")
@blp.response(200, page_schema(TransferSchema))
@blp.links(200, AssignTransfer=link_to("POST", "/payments/transfers/{transfer_id}/assign",
                                       transfer_id="$response.body#/items/0/id"),
           TransferRefunded=link_to("POST", "/payments/transfers/{transfer_id}/refunded",
                                    transfer_id="$response.body#/items/0/id"))
@blp.errors(422)
def transfers(args):
    """Bank transfers waiting for reconciliation (partial, unmatched, overpaid)"""
    items, total = matching.open_transfers(page=args["page"], per_page=args["per_page"])
    return page_body(items, total, args["page"], args["per_page"])


@blp.route("/transfers/<int:transfer_id>/assign", methods=["POST"], endpoint="assign_transfer")
@blp.auth_required("admin")
@blp.arguments(AssignSchema())
@blp.response(200, TransferSchema)
@blp.errors(404, 409, 422)
def assign_transfer(body, transfer_id):
    """Book an unmatched or partial transfer to an order waiting for payment."""
    return matching.assign_transfer(transfer_id, body["order_code"], current_user, body["note"])


@blp.route("/transfers/<int:transfer_id>/refunded", methods=["POST"], endpoint="transfer_refunded")
@blp.auth_required("admin")
@blp.arguments(NoteSchema())
@blp.response(200, TransferSchema)
@blp.errors(404, 409, 422)
def transfer_refunded(body, transfer_id):
    """Record that a transfer was paid back outside the system."""
    return matching.mark_transfer_refunded(transfer_id, current_user, body["note"])


@blp.route("/refunds", methods=["GET"], endpoint="due_refunds")
@blp.auth_required("admin")
@blp.response(200, RefundListSchema)
@blp.links(200, RefundPaid=link_to("POST", "/payments/refunds/{refund_id}/paid", refund_id="$response.body#/items/0/id"))
def due_refunds():
    """Bank-transfer refunds waiting to be paid back by an admin."""
    return {"items": refunds.due_refunds()}


@blp.route("/refunds/<int:refund_id>/paid", methods=["POST"], endpoint="refund_paid")
@blp.auth_required("admin")
@blp.arguments(NoteSchema())
@blp.response(200, RefundSchema)
@blp.errors(404, 409, 422)
def refund_paid(body, refund_id):
    """Record that a due refund was paid back to the shopper."""
    return refunds.mark_refund_paid(refund_id, current_user, body["note"])
