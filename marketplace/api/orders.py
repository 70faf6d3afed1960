"""The shopper's orders, cancellation, and public tracking by code and phone."""
from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user

from ..extensions import limiter
from ..invoicing.presenters import add_invoices, order_with_invoices
from ..orders import line_lots, services
from ..orders.context import guest_order_codes
from ..orders.presenters import order_dict, public_tracking_dict
from ..orders.schemas import CancelArgsSchema, OrderSchema, PublicTrackingSchema, TrackArgsSchema
from .common import ApiBlueprint, link_to, PaginationQuerySchema, page_body, page_schema

blp = ApiBlueprint("orders_api", __name__, description="Orders and tracking")


@blp.route("/orders")
class Orders(MethodView):
    @blp.auth_required()
    @blp.arguments(PaginationQuerySchema(), location="query")
    @blp.response(200, page_schema(OrderSchema))
    @blp.links(200, GetOrder=link_to("GET", "/orders/{code}", code="$response.body#/items/0/code"))
    @blp.errors(422)
    def get(self, args):
        """The signed-in shopper's orders, newest first"""
        orders, total = services.orders_for_user(current_user.id, args["page"], args["per_page"])
        lots = line_lots.for_parts([part for order in orders for part in order.parts])  # one query for the page
        items = [order_dict(o, lots=lots) for o in orders]
        add_invoices(items, orders)
        return page_body(items, total, args["page"], args["per_page"])


@blp.route("/orders/<code>")
class OrderDetail(MethodView):
    @blp.response(200, OrderSchema)
    @blp.errors(404)
    def get(self, code):
        """One order: its shopper (or the guest session that placed it), an admin, or a seller (their part only)"""
        order, parts = services.find_order(code, current_user, guest_codes=guest_order_codes())
        return order_with_invoices(order, parts)


@blp.route("/orders/<code>/cancel", methods=["POST"])
@blp.arguments(CancelArgsSchema())
@blp.response(200, OrderSchema)
@blp.errors(404, 409, 422)
def cancel(data, code):
    """Cancel while unpaid, or paid and not yet shipped (stock released, payment refunded)"""
    services.shopper_cancel(code, current_user, guest_order_codes(), data["reason"])
    order, parts = services.find_order(code, current_user, guest_codes=guest_order_codes())
    return order_with_invoices(order, parts)


@blp.route("/track/<code>")
@limiter.limit("30 per minute")
@blp.arguments(TrackArgsSchema(), location="query")
@blp.response(200, PublicTrackingSchema)
@blp.errors(404, 422, 429)
def track(args, code):
    """Public tracking: statuses and timeline with carrier links; no address or personal data.
    A wrong phone number answers exactly like an unknown code (404)."""
    return public_tracking_dict(services.track(code, args["phone"]))
