"""Authorisation matrix: every protected route, tried by everyone who must not act on it.

The routes come from the application's own URL map, so a new route cannot escape: it
must be listed below either as a protected route (with what each intruder gets) or
as a public one (with the reason). Every protected route and method is requested as
anonymous, as another shopper, as another producer's seller and as an admin, against
the objects of producer A and shopper A (see authz_world.py); the test asserts the
status, and that nothing changed: every table and the uploads folder are compared
with the state before the request.

The world is built once for the module; a request that changed something fails its
test and the world is rebuilt for the next one.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Callable

import pytest

from tests.conftest import empty_tables
from tests.hardening.authz_world import ADDRESS_LINE, build_world, differences, photo_bytes, signed_in, snapshot

INTRUDERS = ("anonymous", "other_shopper", "other_seller", "admin")
RIGHTFUL = "rightful"  # this role may do it: not tried here (its own tests cover it)


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    path: Callable  # World -> URL
    expect: dict  # role -> status, or RIGHTFUL
    form: Callable | None = None  # World -> form fields (web) / None
    json: Callable | None = None  # World -> JSON body (API) / None
    leaks: bool = False  # a listing of the requester's own scope: must show none of A's objects
    files: bool = False  # send a photo as multipart "images"


def _expect(anonymous, other_shopper, other_seller, admin) -> dict:
    return {"anonymous": anonymous, "other_shopper": other_shopper, "other_seller": other_seller, "admin": admin}


# Web pages send anonymous visitors to the sign-in page (302); the API answers 401.
ADMIN_WEB_READ = _expect(302, 403, 403, 200)
ADMIN_WEB_WRITE = _expect(302, 403, 403, RIGHTFUL)
ADMIN_API_READ = _expect(401, 403, 403, 200)
ADMIN_API_WRITE = _expect(401, 403, 403, RIGHTFUL)
# A producer's object: another producer's seller does not find it; admins are not sellers.
SELLER_WEB_OBJECT = _expect(302, 403, 404, 403)
SELLER_API_OBJECT = _expect(401, 403, 404, 403)
# The seller's own scope (lists, new objects): another seller works in its own scope.
SELLER_WEB_SCOPE_READ = _expect(302, 403, 200, 403)
SELLER_WEB_SCOPE_WRITE = _expect(302, 403, RIGHTFUL, 403)
SELLER_API_SCOPE_READ = _expect(401, 403, 200, 403)
SELLER_API_SCOPE_WRITE = _expect(401, 403, RIGHTFUL, 403)
# Shopper A's order (paid, producer A only): admins see it and may cancel it.
ORDER_WEB_READ = _expect(302, 404, 404, 200)
ORDER_API_READ = _expect(404, 404, 404, 200)
# Shopper A's address: only A's own address book holds it.
ADDRESS_API = _expect(401, 404, 404, 404)
ADDRESS_WEB = _expect(302, 404, 404, 404)
ORDER_WRITE = _expect(404, 404, 404, RIGHTFUL)
ORDER_PAYMENT_PAGE = _expect(404, 404, 404, 200)

# Exports are audited (a row in audit_log): an admin's export is a rightful write.
ADMIN_API_EXPORT = _expect(401, 403, 403, RIGHTFUL)
# Cart routes act on the requester's own cart: A's item is not in it (removing it is a no-op).
CART_ITEM_CHANGE = _expect(404, 404, 404, 404)
CART_ITEM_REMOVE = _expect(200, 200, 200, 200)


def order_code(w):
    return w.a.order_code


def product_id(w):
    return w.a.product_id


def part_id(w):
    return w.a.part_id


PERIOD = "2025-03"
PRODUCT_FORM = {"name": "Trà đổi tên", "price_vnd": "1000", "stock": "1", "unit": "hộp", "status": "active"}
LOT_FORM = {"code": "TRA-02", "produced_on": "2026-02-01", "best_before": "2027-02-01", "quantity": "10"}
INVOICE_FORM = {"series": "C26TAA", "number": "1", "lookup_code": "HIJACK", "issued_on": "2026-03-01"}
CONNECTION = {"provider": "viettel", "username": "u", "password": "p", "supplier_tax_code": "0100112437",
              "template_code": "1/001", "series": "C26TAA"}
CERT_FORM = {"stars": "5", "certificate_no": "QN-9999", "level": "national", "issued_on": "2025-02-01"}

ROUTES: list[Route] = [
    # --- admin portal (web) ---------------------------------------------------------------
    Route("admin.index", "GET", lambda w: "/admin/", ADMIN_WEB_READ),
    Route("admin.audit", "GET", lambda w: "/admin/audit", ADMIN_WEB_READ),
    Route("admin.mail", "GET", lambda w: "/admin/mail", ADMIN_WEB_READ),
    Route("admin.resend_mail", "POST", lambda w: "/admin/mail/1/resend", ADMIN_WEB_WRITE, form=lambda w: {}),
    Route("admin.certificates", "GET", lambda w: "/admin/certificates", ADMIN_WEB_READ),
    Route("admin.stars", "GET", lambda w: "/admin/certificates/stars", ADMIN_WEB_READ),
    Route("admin.register_import", "GET", lambda w: "/admin/certificates/register", ADMIN_WEB_READ),
    Route("admin.register_import", "POST", lambda w: "/admin/certificates/register", ADMIN_WEB_WRITE,
          form=lambda w: {}),
    Route("admin.certificate_scan", "GET", lambda w: f"/admin/certificates/{w.a.certificate_id}/scan",
          ADMIN_WEB_READ),
    Route("admin.verify_certificate", "POST", lambda w: f"/admin/certificates/{w.a.certificate_id}/verify",
          ADMIN_WEB_WRITE, form=lambda w: {}),
    Route("admin.reject_certificate", "POST", lambda w: f"/admin/certificates/{w.a.certificate_id}/reject",
          ADMIN_WEB_WRITE, form=lambda w: {"reason": "Giả mạo"}),
    Route("admin.producers", "GET", lambda w: "/admin/producers", ADMIN_WEB_READ),
    Route("admin.users", "GET", lambda w: "/admin/users", ADMIN_WEB_READ),
    Route("admin.sign_out_user", "POST", lambda w: f"/admin/users/{w.a.shopper_id}/sign-out-everywhere",
          ADMIN_WEB_WRITE, form=lambda w: {}),
    Route("admin.approve_producer", "POST", lambda w: f"/admin/producers/{w.a.producer_id}/approve",
          ADMIN_WEB_WRITE, form=lambda w: {}),
    Route("admin.suspend_producer", "POST", lambda w: f"/admin/producers/{w.a.producer_id}/suspend",
          ADMIN_WEB_WRITE, form=lambda w: {"reason": "Vi phạm"}),
    Route("admin.reinstate_producer", "POST", lambda w: f"/admin/producers/{w.a.producer_id}/reinstate",
          ADMIN_WEB_WRITE, form=lambda w: {}),
    Route("payments.reconciliation", "GET", lambda w: "/admin/payments/reconciliation", ADMIN_WEB_READ),
    Route("payments.refund_paid", "POST", lambda w: f"/admin/payments/refunds/{w.refund_id}/paid",
          ADMIN_WEB_WRITE, form=lambda w: {"note": "đã trả"}),
    Route("payments.assign_transfer", "POST", lambda w: f"/admin/payments/transfers/{w.transfer_id}/assign",
          ADMIN_WEB_WRITE, form=lambda w: {"order_code": order_code(w)}),
    Route("payments.transfer_refunded", "POST", lambda w: f"/admin/payments/transfers/{w.transfer_id}/refunded",
          ADMIN_WEB_WRITE, form=lambda w: {"note": "trả lại"}),
    Route("stats.exports", "GET", lambda w: "/admin/stats/exports", ADMIN_WEB_READ),
    Route("stats.sales", "GET", lambda w: "/admin/stats/sales", ADMIN_WEB_READ),
    Route("stats.share_page", "GET", lambda w: "/admin/stats/share", ADMIN_WEB_READ),
    Route("stats.save_channels", "POST", lambda w: "/admin/stats/share/channels", ADMIN_WEB_WRITE,
          form=lambda w: {"period": PERIOD}),
    Route("stats.save_retail_total", "POST", lambda w: "/admin/stats/share/retail", ADMIN_WEB_WRITE,
          form=lambda w: {"period": PERIOD, "total_vnd": "1000"}),
    # --- admin API ------------------------------------------------------------------------
    Route("admin_api.list_producers", "GET", lambda w: "/api/v1/admin/producers", ADMIN_API_READ),
    Route("admin_api.approve_producer", "POST", lambda w: f"/api/v1/admin/producers/{w.a.producer_id}/approve",
          ADMIN_API_WRITE, json=lambda w: {}),
    Route("admin_api.suspend_producer", "POST", lambda w: f"/api/v1/admin/producers/{w.a.producer_id}/suspend",
          ADMIN_API_WRITE, json=lambda w: {"reason": "Vi phạm"}),
    Route("admin_api.reinstate_producer", "POST",
          lambda w: f"/api/v1/admin/producers/{w.a.producer_id}/reinstate", ADMIN_API_WRITE, json=lambda w: {}),
    Route("admin_api.set_certification", "POST",
          lambda w: f"/api/v1/admin/products/{product_id(w)}/certification", ADMIN_API_WRITE,
          json=lambda w: {"verified": True}),
    Route("admin_api.sales_statistics", "GET", lambda w: "/api/v1/admin/stats/sales", ADMIN_API_READ),
    Route("admin_api.ecommerce_share_indicator", "GET", lambda w: "/api/v1/admin/stats/ecommerce-share",
          ADMIN_API_READ),
    Route("admin_api.put_retail_total", "PUT", lambda w: f"/api/v1/admin/retail-totals/{PERIOD}",
          ADMIN_API_WRITE, json=lambda w: {"total_vnd": 1000}),
    Route("admin_api.put_channel_sales", "PUT", lambda w: f"/api/v1/admin/ecommerce-channels/{PERIOD}",
          ADMIN_API_WRITE, json=lambda w: {"channels": []}),
    Route("admin_api.export_sales_csv", "GET", lambda w: "/api/v1/admin/exports/sales.csv", ADMIN_API_EXPORT),
    Route("admin_api.export_sales_xlsx", "GET", lambda w: "/api/v1/admin/exports/sales.xlsx", ADMIN_API_EXPORT),
    Route("Payments.transfers", "GET", lambda w: "/api/v1/payments/transfers", ADMIN_API_READ),
    Route("Payments.assign_transfer", "POST", lambda w: f"/api/v1/payments/transfers/{w.transfer_id}/assign",
          ADMIN_API_WRITE, json=lambda w: {"order_code": order_code(w)}),
    Route("Payments.transfer_refunded", "POST",
          lambda w: f"/api/v1/payments/transfers/{w.transfer_id}/refunded", ADMIN_API_WRITE,
          json=lambda w: {"note": "trả lại"}),
    Route("Payments.due_refunds", "GET", lambda w: "/api/v1/payments/refunds", ADMIN_API_READ),
    Route("Payments.refund_paid", "POST", lambda w: f"/api/v1/payments/refunds/{w.refund_id}/paid",
          ADMIN_API_WRITE, json=lambda w: {"note": "đã trả"}),
    # --- shopper A's order ------------------------------------------------------------------
    Route("orders.index", "GET", lambda w: "/orders", _expect(302, 200, 200, 200), leaks=True),
    Route("orders.detail", "GET", lambda w: f"/orders/{order_code(w)}", ORDER_WEB_READ),
    Route("orders.cancel", "POST", lambda w: f"/orders/{order_code(w)}/cancel", ORDER_WRITE,
          form=lambda w: {"reason": "đổi ý"}),
    # Only the shopper who placed the order may put its products back in their cart.
    Route("orders.buy_again", "POST", lambda w: f"/orders/{order_code(w)}/buy-again", _expect(302, 404, 404, 404),
          form=lambda w: {}),
    Route("orders_api.Orders", "GET", lambda w: "/api/v1/orders", _expect(401, 200, 200, 200), leaks=True),
    Route("orders_api.OrderDetail", "GET", lambda w: f"/api/v1/orders/{order_code(w)}", ORDER_API_READ),
    Route("orders_api.cancel", "POST", lambda w: f"/api/v1/orders/{order_code(w)}/cancel", ORDER_WRITE,
          json=lambda w: {"reason": "đổi ý"}),
    Route("payments.order_payment", "GET", lambda w: f"/payments/orders/{order_code(w)}", ORDER_PAYMENT_PAGE),
    Route("payments.restart_card_payment", "POST", lambda w: f"/payments/orders/{order_code(w)}/card",
          ORDER_WRITE, form=lambda w: {}),
    Route("devtools.simulate_transfer", "POST",
          lambda w: f"/dev/payments/orders/{order_code(w)}/simulate-transfer", ORDER_WRITE, form=lambda w: {}),
    Route("payments.stripe_success", "GET", lambda w: f"/payments/stripe/success?order={order_code(w)}",
          ORDER_PAYMENT_PAGE),
    Route("payments.stripe_cancel", "GET", lambda w: f"/payments/stripe/cancel?order={order_code(w)}",
          ORDER_PAYMENT_PAGE),
    Route("Payments.order_payment", "GET", lambda w: f"/api/v1/payments/orders/{order_code(w)}",
          ORDER_API_READ),
    Route("Accounts.me", "GET", lambda w: "/api/v1/me", _expect(401, 200, 200, 200), leaks=True),
    # --- shopper A's address book: nobody else, not even an admin, finds an entry ------------
    Route("Addresses.list_addresses", "GET", lambda w: "/api/v1/me/addresses", _expect(401, 200, 200, 200),
          leaks=True),
    Route("Addresses.create_address", "POST", lambda w: "/api/v1/me/addresses",
          _expect(401, RIGHTFUL, RIGHTFUL, RIGHTFUL), json=lambda w: {"line1": "x"}),
    Route("Addresses.get_address", "GET", lambda w: f"/api/v1/me/addresses/{w.address_id}", ADDRESS_API),
    Route("Addresses.update_address", "PATCH", lambda w: f"/api/v1/me/addresses/{w.address_id}", ADDRESS_API,
          json=lambda w: {"line1": "Số 1, đường Trộm", "is_default": True}),
    Route("Addresses.delete_address", "DELETE", lambda w: f"/api/v1/me/addresses/{w.address_id}", ADDRESS_API),
    Route("accounts.address_book", "GET", lambda w: "/account/addresses", _expect(302, 200, 200, 200), leaks=True),
    Route("accounts.address_book", "POST", lambda w: "/account/addresses", _expect(302, RIGHTFUL, RIGHTFUL, RIGHTFUL),
          form=lambda w: {"line1": "x"}),
    Route("accounts.address_edit", "GET", lambda w: f"/account/addresses/{w.address_id}/edit", ADDRESS_WEB),
    Route("accounts.address_edit", "POST", lambda w: f"/account/addresses/{w.address_id}/edit", ADDRESS_WEB,
          form=lambda w: {"full_name": "Kẻ trộm", "phone": "0912345678", "line1": "Số 1, đường Trộm",
                          "province_code": "22", "ward_code": "7090"}),
    Route("accounts.address_delete", "POST", lambda w: f"/account/addresses/{w.address_id}/delete", ADDRESS_WEB,
          form=lambda w: {}),
    Route("accounts.address_default", "POST", lambda w: f"/account/addresses/{w.address_id}/default",
          ADDRESS_WEB, form=lambda w: {}),
    # --- shopper A's cart: each request acts on the requester's own cart --------------------
    Route("cart_api.CartItem", "PATCH", lambda w: f"/api/v1/cart/items/{product_id(w)}", CART_ITEM_CHANGE,
          json=lambda w: {"quantity": 5}),
    Route("cart_api.CartItem", "DELETE", lambda w: f"/api/v1/cart/items/{product_id(w)}", CART_ITEM_REMOVE),
    # --- private files ------------------------------------------------------------------------
    Route("media.file", "GET", lambda w: f"/media/{w.scan_path}", _expect(404, 404, 404, 404)),
    # --- producer A's portal (web) -------------------------------------------------------------
    Route("seller.dashboard", "GET", lambda w: "/seller/", SELLER_WEB_SCOPE_READ, leaks=True),
    Route("seller.members", "GET", lambda w: "/seller/members", SELLER_WEB_SCOPE_READ, leaks=True),
    Route("seller.members", "POST", lambda w: "/seller/members", SELLER_WEB_SCOPE_WRITE,
          form=lambda w: {"email": "moi@example.vn"}),
    Route("seller.orders", "GET", lambda w: "/seller/orders", SELLER_WEB_SCOPE_READ, leaks=True),
    Route("seller.products", "GET", lambda w: "/seller/products", SELLER_WEB_SCOPE_READ, leaks=True),
    Route("seller.product_new", "GET", lambda w: "/seller/products/new", SELLER_WEB_SCOPE_READ),
    Route("seller.product_new", "POST", lambda w: "/seller/products/new", SELLER_WEB_SCOPE_WRITE,
          form=lambda w: PRODUCT_FORM),
    Route("seller.products_export_csv", "GET", lambda w: "/seller/products/export.csv", SELLER_WEB_SCOPE_READ,
          leaks=True),
    Route("seller.products_export_xlsx", "GET", lambda w: "/seller/products/export.xlsx",
          SELLER_WEB_SCOPE_READ),
    Route("seller.products_import", "GET", lambda w: "/seller/products/import", SELLER_WEB_SCOPE_READ),
    Route("seller.products_import", "POST", lambda w: "/seller/products/import", SELLER_WEB_SCOPE_WRITE,
          form=lambda w: {}),
    Route("seller.products_import_apply", "POST", lambda w: "/seller/products/import/apply",
          SELLER_WEB_SCOPE_WRITE, form=lambda w: {}),
    Route("seller.sales", "GET", lambda w: "/seller/sales", SELLER_WEB_SCOPE_READ, leaks=True),
    Route("seller.sales_csv", "GET", lambda w: "/seller/sales.csv", SELLER_WEB_SCOPE_READ, leaks=True),
    Route("seller.tokens", "GET", lambda w: "/seller/tokens", SELLER_WEB_SCOPE_READ, leaks=True),
    Route("seller.tokens", "POST", lambda w: "/seller/tokens", SELLER_WEB_SCOPE_WRITE,
          form=lambda w: {"name": "kho mới"}),
    Route("seller.product_edit", "GET", lambda w: f"/seller/products/{product_id(w)}", SELLER_WEB_OBJECT),
    Route("seller.product_edit", "POST", lambda w: f"/seller/products/{product_id(w)}", SELLER_WEB_OBJECT,
          form=lambda w: PRODUCT_FORM),
    Route("seller.product_archive", "POST", lambda w: f"/seller/products/{product_id(w)}/archive",
          SELLER_WEB_OBJECT, form=lambda w: {}),
    Route("seller.certificate", "GET", lambda w: f"/seller/products/{product_id(w)}/certificate",
          SELLER_WEB_OBJECT),
    Route("seller.certificate", "POST", lambda w: f"/seller/products/{product_id(w)}/certificate",
          SELLER_WEB_OBJECT, form=lambda w: CERT_FORM),
    Route("seller.certificate_scan", "GET", lambda w: f"/seller/products/{product_id(w)}/certificate/scan",
          SELLER_WEB_OBJECT),
    Route("seller.image_upload", "POST", lambda w: f"/seller/products/{product_id(w)}/images",
          SELLER_WEB_OBJECT, form=lambda w: {}, files=True),
    Route("seller.image_delete", "POST",
          lambda w: f"/seller/products/{product_id(w)}/images/{w.image_id}/delete", SELLER_WEB_OBJECT,
          form=lambda w: {}),
    Route("seller.image_move", "POST", lambda w: f"/seller/products/{product_id(w)}/images/{w.image_id}/move",
          SELLER_WEB_OBJECT, form=lambda w: {"direction": "down"}),
    Route("seller.order_part", "GET", lambda w: f"/seller/orders/{part_id(w)}", SELLER_WEB_OBJECT),
    Route("seller.order_part_move", "POST", lambda w: f"/seller/orders/{part_id(w)}/status", SELLER_WEB_OBJECT,
          form=lambda w: {"status": "confirmed"}),
    Route("seller.packing_slip", "GET", lambda w: f"/seller/orders/{part_id(w)}/packing-slip",
          SELLER_WEB_OBJECT),
    Route("seller.token_revoke", "POST", lambda w: f"/seller/tokens/{w.a.token_id}/revoke", SELLER_WEB_OBJECT,
          form=lambda w: {}),
    # --- producer A's portal (API) -------------------------------------------------------------
    Route("Seller.list_products", "GET", lambda w: "/api/v1/seller/products", SELLER_API_SCOPE_READ,
          leaks=True),
    Route("Seller.create_product", "POST", lambda w: "/api/v1/seller/products", SELLER_API_SCOPE_WRITE,
          json=lambda w: {"name": "Trà mới", "price_vnd": 1000, "stock": 1, "unit": "hộp"}),
    Route("Seller.list_order_parts", "GET", lambda w: "/api/v1/seller/orders", SELLER_API_SCOPE_READ,
          leaks=True),
    Route("Seller.get_product", "GET", lambda w: f"/api/v1/seller/products/{product_id(w)}", SELLER_API_OBJECT),
    Route("Seller.patch_product", "PATCH", lambda w: f"/api/v1/seller/products/{product_id(w)}",
          SELLER_API_OBJECT, json=lambda w: {"price_vnd": 1000}),
    Route("Seller.archive_product", "DELETE", lambda w: f"/api/v1/seller/products/{product_id(w)}",
          SELLER_API_OBJECT),
    Route("Seller.upload_images", "POST", lambda w: f"/api/v1/seller/products/{product_id(w)}/images",
          SELLER_API_OBJECT, files=True),
    Route("Seller.delete_image", "DELETE",
          lambda w: f"/api/v1/seller/products/{product_id(w)}/images/{w.image_id}", SELLER_API_OBJECT),
    Route("Seller.get_order_part", "GET", lambda w: f"/api/v1/seller/order-parts/{part_id(w)}",
          SELLER_API_OBJECT),
    Route("Seller.move_order_part", "PATCH", lambda w: f"/api/v1/seller/order-parts/{part_id(w)}",
          SELLER_API_OBJECT, json=lambda w: {"status": "confirmed"}),
    # --- producer A's lots (traceability) --------------------------------------------------------
    Route("traceability.seller_lots", "GET", lambda w: f"/seller/products/{product_id(w)}/lots", SELLER_WEB_OBJECT),
    Route("traceability.seller_lots", "POST", lambda w: f"/seller/products/{product_id(w)}/lots",
          SELLER_WEB_OBJECT, form=lambda w: LOT_FORM),
    Route("traceability.seller_gtin", "POST", lambda w: f"/seller/products/{product_id(w)}/gtin",
          SELLER_WEB_OBJECT, form=lambda w: {"gtin": "8934567890120"}),
    Route("traceability.seller_lot", "GET", lambda w: f"/seller/lots/{w.lot_id}", SELLER_WEB_OBJECT),
    Route("traceability.seller_lot", "POST", lambda w: f"/seller/lots/{w.lot_id}", SELLER_WEB_OBJECT,
          form=lambda w: LOT_FORM),
    Route("traceability.seller_recall", "POST", lambda w: f"/seller/lots/{w.lot_id}/recall", SELLER_WEB_OBJECT,
          form=lambda w: {"reason": "Nhiễm khuẩn"}),
    Route("traceability.seller_labels", "GET", lambda w: f"/seller/lots/{w.lot_id}/labels.pdf", SELLER_WEB_OBJECT),
    Route("traceability.admin_recall", "POST", lambda w: f"/admin/lots/{w.lot_id}/recall", ADMIN_WEB_WRITE,
          form=lambda w: {"reason": "Nhiễm khuẩn"}),
    Route("Traceability.list_lots", "GET", lambda w: f"/api/v1/seller/products/{product_id(w)}/lots",
          SELLER_API_OBJECT),
    Route("Traceability.create_lot", "POST", lambda w: f"/api/v1/seller/products/{product_id(w)}/lots",
          SELLER_API_OBJECT, json=lambda w: LOT_FORM),
    Route("Traceability.put_gtin", "PUT", lambda w: f"/api/v1/seller/products/{product_id(w)}/gtin",
          SELLER_API_OBJECT, json=lambda w: {"gtin": "8934567890120"}),
    Route("Traceability.get_lot", "GET", lambda w: f"/api/v1/seller/lots/{w.lot_id}", SELLER_API_OBJECT),
    Route("Traceability.patch_lot", "PATCH", lambda w: f"/api/v1/seller/lots/{w.lot_id}", SELLER_API_OBJECT,
          json=lambda w: {"quantity": 5}),
    Route("Traceability.seller_recall", "POST", lambda w: f"/api/v1/seller/lots/{w.lot_id}/recall",
          SELLER_API_OBJECT, json=lambda w: {"reason": "Nhiễm khuẩn"}),
    Route("Traceability.labels_pdf", "GET", lambda w: f"/api/v1/seller/lots/{w.lot_id}/labels.pdf",
          SELLER_API_OBJECT),
    Route("Traceability.put_part_lots", "PUT", lambda w: f"/api/v1/seller/order-parts/{part_id(w)}/lots",
          SELLER_API_OBJECT, json=lambda w: {"lines": []}),
    Route("Traceability.admin_recall", "POST", lambda w: f"/api/v1/admin/lots/{w.lot_id}/recall", ADMIN_API_WRITE,
          json=lambda w: {"reason": "Nhiễm khuẩn"}),
    Route("traceability.seller_add_file", "POST", lambda w: f"/seller/lots/{w.lot_id}/files", SELLER_WEB_OBJECT,
          form=lambda w: {"kind": "photo", "title": "x"}),
    Route("traceability.seller_remove_file", "POST", lambda w: f"/seller/lots/{w.lot_id}/files/{w.lot_file_id}/delete",
          SELLER_WEB_OBJECT),
    Route("Traceability.upload_lot_file", "POST", lambda w: f"/api/v1/seller/lots/{w.lot_id}/files",
          SELLER_API_OBJECT, form=lambda w: {"kind": "photo", "title": "x"}),
    Route("Traceability.delete_lot_file", "DELETE", lambda w: f"/api/v1/seller/lots/{w.lot_id}/files/{w.lot_file_id}",
          SELLER_API_OBJECT),
    # --- the admin's traceability pages ----------------------------------------------------------
    Route("trace_admin.recalls", "GET", lambda w: "/admin/recalls", ADMIN_WEB_READ),
    Route("trace_admin.fake_reports", "GET", lambda w: "/admin/fake-reports", ADMIN_WEB_READ),
    Route("trace_admin.resolve_fake_report", "POST", lambda w: "/admin/fake-reports/1/resolve", ADMIN_WEB_WRITE),
    Route("stats.traceability", "GET", lambda w: "/admin/stats/traceability", ADMIN_WEB_READ),
    # --- invoicing: producer A's part's invoice, a producer's month, the admins' VAT rates -------
    Route("invoicing.part_xml", "GET", lambda w: f"/seller/orders/{part_id(w)}/invoice.xml", SELLER_WEB_OBJECT),
    Route("invoicing.adjustment_xml", "GET", lambda w: f"/seller/orders/{part_id(w)}/invoice-adjustment.xml",
          SELLER_WEB_OBJECT),
    Route("invoicing.record", "POST", lambda w: f"/seller/orders/{part_id(w)}/invoice", SELLER_WEB_OBJECT,
          form=lambda w: INVOICE_FORM),
    Route("invoicing.seller_invoices", "GET", lambda w: "/seller/invoices", SELLER_WEB_SCOPE_READ),
    Route("invoicing_admin.vat_rates", "GET", lambda w: "/admin/vat-rates", ADMIN_WEB_READ),
    Route("invoicing_admin.vat_rates", "POST", lambda w: "/admin/vat-rates", ADMIN_WEB_WRITE,
          form=lambda w: {"category_slug": "du-lich", "valid_from": "2026-01-01", "rate": "10", "source": "x"}),
    Route("Invoicing.get_invoice", "GET", lambda w: f"/api/v1/seller/order-parts/{part_id(w)}/invoice",
          SELLER_API_OBJECT),
    Route("Invoicing.put_invoice", "PUT", lambda w: f"/api/v1/seller/order-parts/{part_id(w)}/invoice",
          SELLER_API_OBJECT, json=lambda w: INVOICE_FORM),
    Route("Invoicing.invoice_xml", "GET", lambda w: f"/api/v1/seller/order-parts/{part_id(w)}/invoice.xml",
          SELLER_API_OBJECT),
    Route("Invoicing.adjustment_xml", "GET",
          lambda w: f"/api/v1/seller/order-parts/{part_id(w)}/invoice-adjustment.xml", SELLER_API_OBJECT),
    Route("Invoicing.month_zip", "GET", lambda w: f"/api/v1/seller/invoices.zip?month={PERIOD}",
          SELLER_API_SCOPE_READ),
    Route("Invoicing.month_xml", "GET", lambda w: f"/api/v1/seller/invoices.xml?period={PERIOD}",
          SELLER_API_SCOPE_READ),
    # A producer's e-invoice provider connection is its own scope; issuing acts on A's part.
    Route("invoicing.save_connection", "POST", lambda w: "/seller/invoices/connection", SELLER_WEB_SCOPE_WRITE,
          form=lambda w: CONNECTION),
    Route("invoicing.test_connection", "POST", lambda w: "/seller/invoices/connection/test",
          SELLER_WEB_SCOPE_WRITE),
    Route("invoicing.delete_connection", "POST", lambda w: "/seller/invoices/connection/delete",
          SELLER_WEB_SCOPE_WRITE),
    Route("invoicing.issue_part", "POST", lambda w: f"/seller/orders/{part_id(w)}/invoice/issue",
          SELLER_WEB_OBJECT),
    Route("invoicing.adjust_part", "POST", lambda w: f"/seller/orders/{part_id(w)}/invoice/adjust",
          SELLER_WEB_OBJECT),
    Route("Invoicing.get_connection", "GET", lambda w: "/api/v1/seller/invoice-connection",
          SELLER_API_SCOPE_READ),
    Route("Invoicing.put_connection", "PUT", lambda w: "/api/v1/seller/invoice-connection",
          SELLER_API_SCOPE_WRITE, json=lambda w: CONNECTION),
    Route("Invoicing.delete_connection", "DELETE", lambda w: "/api/v1/seller/invoice-connection",
          SELLER_API_SCOPE_WRITE),
    Route("Invoicing.test_connection", "POST", lambda w: "/api/v1/seller/invoice-connection/test",
          SELLER_API_SCOPE_WRITE),
    Route("Invoicing.issue_invoice", "POST", lambda w: f"/api/v1/seller/order-parts/{part_id(w)}/invoice/issue",
          SELLER_API_OBJECT),
    Route("Invoicing.adjust_invoice", "POST", lambda w: f"/api/v1/seller/order-parts/{part_id(w)}/invoice/adjust",
          SELLER_API_OBJECT),
    Route("Invoicing.list_vat_rates", "GET", lambda w: "/api/v1/admin/vat-rates", ADMIN_API_READ),
    Route("Invoicing.put_vat_rate", "PUT", lambda w: "/api/v1/admin/vat-rates", ADMIN_API_WRITE,
          json=lambda w: {"category_slug": "du-lich", "valid_from": "2026-01-01", "rate": "10", "source": "x"}),
]

# Routes that act on no one's object, each with the reason it is open (or guarded otherwise).
PUBLIC: dict[tuple[str, str], str] = {}


def _public(reason: str, *keys: str) -> None:
    for key in keys:
        endpoint, method = key.split(" ")
        PUBLIC[(endpoint, method)] = reason


_public("the public shop", "catalog.home GET", "catalog.products GET", "catalog.product GET",
        "catalog.producer GET", "Catalogue.list_categories GET", "Catalogue.list_producers GET",
        "Catalogue.get_producer GET", "Catalogue.list_products GET", "Catalogue.get_product GET",
        "Search.Suggest GET", "open_data.ocop_sales_open_data GET")
_public("the operator's particulars and the shop's policies (Decree 52/2013/NĐ-CP)", "catalog.about GET",
        "catalog.policy GET")
_public("static files, public product photos (private/ keys are in the matrix)", "static GET", "favicon GET",
        "bootstrap.static GET")
_public("health probes", "health.healthz GET", "health.readyz GET", "Health.healthz GET", "Health.readyz GET")
_public("API documentation", "api_docs.index GET", "api_docs.asset GET", "api-docs.openapi_json GET")
_public("signing in, up and out: the requester's own session or password", "accounts.login GET",
        "accounts.login POST", "accounts.register GET", "accounts.register POST", "accounts.logout POST",
        "Accounts.csrf_token GET", "Accounts.login POST", "Accounts.logout POST", "Accounts.register POST",
        "Tokens.create_token POST", "accounts.password_reset GET", "accounts.password_reset POST",
        "accounts.password_reset_confirm GET", "accounts.password_reset_confirm POST",
        "Accounts.password_reset POST", "Accounts.password_reset_confirm POST")
_public("the requester's own cart and checkout (session or signed-in cart)", "cart.show GET", "cart.add POST", "cart.confirm_add GET",
        "cart.remove POST", "cart.update POST", "cart_api.CartView GET", "cart_api.CartItems POST",
        "checkout.checkout GET", "checkout.checkout POST", "checkout_api.checkout POST")
_public("capability: whoever holds the order code and the phone number (tests/orders)", "orders.track GET",
        "orders.track POST", "orders_api.track GET")
_public("capability: the payment reference; the QR holds only payment instructions", "payments.qr_image GET")
_public("capability: a signed, expiring invitation (tests/seller)", "seller.invitation GET",
        "seller.invitation POST")
_public("the public lot passport, and the Digital Link resolver (it counts the scans of genuine labels: "
        "tests/traceability)", "traceability.passport GET", "Traceability.passport GET",
        "traceability.resolve_gtin GET", "traceability.resolve_slug GET")
_public("the country's administrative divisions, for the address pickers", "Addresses.list_provinces GET",
        "Addresses.list_wards GET")
_public("anyone may report a suspected fake from a passport (rate limited: tests/traceability)",
        "traceability.report_fake GET", "traceability.report_fake POST")
_public("open data: aggregate traceability coverage, no one's object", "open_data.traceability_coverage_open_data GET")
_public("anyone may ask to hear when a sold-out product returns; unsubscribing needs the signed token from "
        "that email (tests/seller/test_stock_alerts.py)", "alerts.subscribe GET", "alerts.subscribe POST",
        "alerts.unsubscribe GET", "alerts.unsubscribe POST")
_public("anyone may apply to sell", "seller.join GET", "seller.join POST")
_public("the signed-in requester's own account: profile, password, sessions (tests/hardening/test_sessions.py, "
        "tests/accounts)", "accounts.account GET", "accounts.password POST", "accounts.sign_out_everywhere POST",
        "accounts.profile POST", "Accounts.update_me PATCH", "Accounts.revoke_other_sessions POST")
_public("provider webhooks: signed by the provider, never by a user (tests/payments)",
        "payment_webhooks.sepay POST", "payment_webhooks.casso POST", "payment_webhooks.stripe_webhook POST")

CASES = [(route, role) for route in ROUTES for role in INTRUDERS if route.expect[role] != RIGHTFUL]


def app_routes(app) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_route_is_classified(app):
    """A new route fails here until it joins the matrix or is listed as public with a reason."""
    matrix = {(r.endpoint, r.method) for r in ROUTES}
    routes = app_routes(app)
    assert not matrix & set(PUBLIC), "a route is both in the matrix and public"
    unclassified = routes - matrix - set(PUBLIC)
    assert not unclassified, f"classify these routes in test_authz_matrix.py: {sorted(unclassified)}"
    stale = (matrix | set(PUBLIC)) - routes
    assert not stale, f"these routes no longer exist: {sorted(stale)}"


def test_every_intruder_is_tried_on_every_protected_route():
    for route in ROUTES:
        assert set(route.expect) == set(INTRUDERS), route.endpoint
    tried = {(r.endpoint, r.method) for r, _ in CASES}
    assert tried == {(r.endpoint, r.method) for r in ROUTES}


@pytest.fixture(autouse=True)
def _clean_tables():
    """Overrides conftest's per-test cleanup: the world is shared by this module's tests."""
    yield


class Holder:
    world = None
    baseline: dict | None = None


@pytest.fixture(scope="module")
def world(app):
    holder = Holder()

    def rebuild():
        empty_tables(app)
        with app.test_request_context():
            holder.world = build_world()
            holder.baseline = snapshot(app.config["UPLOAD_DIR"])

    holder.rebuild = rebuild
    rebuild()
    yield holder
    empty_tables(app)


def _request(app, route: Route, role: str, w):
    client = signed_in(app, w.user_id(role))
    kwargs = {}
    if route.json is not None:
        kwargs["json"] = route.json(w)
    if route.form is not None or route.files:
        data = dict(route.form(w)) if route.form is not None else {}
        if route.files:
            data["images"] = (io.BytesIO(photo_bytes()), "anh.jpg")
        kwargs["data"] = data
    return client.open(route.path(w), method=route.method, **kwargs)


@pytest.mark.parametrize("route,role", CASES, ids=[f"{r.method} {r.endpoint} as {role}" for r, role in CASES])
def test_intruder_is_refused_and_changes_nothing(app, world, route, role):
    w = world.world
    with app.test_request_context():
        path = route.path(w)
        response = _request(app, route, role, w)
        after = snapshot(app.config["UPLOAD_DIR"])
    changed = differences(world.baseline, after)
    if changed:
        world.rebuild()
    expected = route.expect[role]
    assert response.status_code == expected, (
        f"{route.method} {path} as {role}: {response.status_code}, expected {expected}\n"
        f"{response.get_data(as_text=True)[:400]}")
    if expected == 302:
        assert "/login" in response.headers["Location"]
    assert not changed, f"{route.method} {path} as {role} changed: {changed}"
    if route.leaks:
        body = response.get_data(as_text=True)
        for marker in (w.a.order_code, w.a.product_name, w.a.shopper_email, ADDRESS_LINE):
            assert marker not in body, f"{route.method} {path} as {role} shows {marker!r}"


OWNER_READS = [
    ("owner_shopper", "orders.detail"), ("owner_shopper", "orders_api.OrderDetail"),
    ("owner_shopper", "payments.order_payment"), ("owner_shopper", "Payments.order_payment"),
    ("owner_seller", "seller.product_edit"), ("owner_seller", "seller.certificate_scan"),
    ("owner_seller", "seller.order_part"), ("owner_seller", "seller.packing_slip"),
    ("owner_seller", "Seller.get_product"), ("owner_seller", "Seller.get_order_part"),
    ("owner_seller", "traceability.seller_lot"), ("owner_seller", "Traceability.get_lot"),
]


@pytest.mark.parametrize("role,endpoint", OWNER_READS)
def test_owner_reaches_the_same_objects(app, world, role, endpoint):
    """The control: the objects the intruders were refused exist, and their owner gets them."""
    route = next(r for r in ROUTES if r.endpoint == endpoint and r.method == "GET")
    with app.test_request_context():
        response = _request(app, route, role, world.world)
    assert response.status_code == 200, response.get_data(as_text=True)[:400]
