"""Scoping: every seller route, web and API, given another producer's ids is a 404 and changes nothing."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from tests import factories
from marketplace.accounts.models import ApiToken
from marketplace.accounts.services import issue_token
from marketplace.audit import AuditEntry
from marketplace.catalog.models import Certificate, Product, ProductImage
from marketplace.orders.models import OrderEvent, OrderPart
from marketplace.payments.models import Refund
from marketplace.seller import photos
from marketplace.traceability.files import add_lot_file
from marketplace.traceability.lots import create_lot
from marketplace.traceability.models import Lot, LotFile
from seller_samples import image_bytes

# (method, url template, body kind). {product}/{image} are the OTHER producer's ids.
ROUTES = [
    ("GET", "/seller/products/{product}", None),
    ("POST", "/seller/products/{product}", "form"),
    ("POST", "/seller/products/{product}/archive", None),
    ("POST", "/seller/products/{product}/images", "upload"),
    ("POST", "/seller/products/{product}/images/{image}/delete", None),
    ("POST", "/seller/products/{product}/images/{image}/move", "move"),
    ("GET", "/seller/products/{product}/certificate", None),
    ("POST", "/seller/products/{product}/certificate", "claim"),
    ("GET", "/seller/products/{product}/certificate/scan", None),
    ("POST", "/seller/tokens/{token}/revoke", None),
    ("GET", "/seller/orders/{part}", None),
    ("POST", "/seller/orders/{part}/status", "cancel"),
    ("GET", "/seller/orders/{part}/packing-slip", None),
    ("GET", "/api/v1/seller/products/{product}", None),
    ("PATCH", "/api/v1/seller/products/{product}", "json"),
    ("DELETE", "/api/v1/seller/products/{product}", None),
    ("POST", "/api/v1/seller/products/{product}/images", "upload"),
    ("DELETE", "/api/v1/seller/products/{product}/images/{image}", None),
    ("GET", "/api/v1/seller/order-parts/{part}", None),
    ("PATCH", "/api/v1/seller/order-parts/{part}", "json_cancel"),
    # traceability: {lot} is a lot of the other producer's product
    ("GET", "/seller/products/{product}/lots", None),
    ("POST", "/seller/products/{product}/lots", "lot_form"),
    ("POST", "/seller/products/{product}/gtin", "gtin_form"),
    ("GET", "/seller/lots/{lot}", None),
    ("POST", "/seller/lots/{lot}", "lot_form"),
    ("POST", "/seller/lots/{lot}/recall", "reason_form"),
    ("GET", "/seller/lots/{lot}/labels.pdf", None),
    ("GET", "/api/v1/seller/products/{product}/lots", None),
    ("POST", "/api/v1/seller/products/{product}/lots", "lot_json"),
    ("PUT", "/api/v1/seller/products/{product}/gtin", "gtin_json"),
    ("GET", "/api/v1/seller/lots/{lot}", None),
    ("PATCH", "/api/v1/seller/lots/{lot}", "lot_json"),
    ("POST", "/api/v1/seller/lots/{lot}/recall", "reason_json"),
    ("GET", "/api/v1/seller/lots/{lot}/labels.pdf", None),
    ("PUT", "/api/v1/seller/order-parts/{part}/lots", "lines_json"),
    ("POST", "/seller/lots/{lot}/files", "lot_upload"),
    ("POST", "/seller/lots/{lot}/files/{file}/delete", None),
    ("POST", "/api/v1/seller/lots/{lot}/files", "lot_upload"),
    ("DELETE", "/api/v1/seller/lots/{lot}/files/{file}", None),
    # invoicing: the other producer's part's invoice request, XML and issued invoice
    ("GET", "/seller/orders/{part}/invoice.xml", None),
    ("GET", "/seller/orders/{part}/invoice-adjustment.xml", None),
    ("POST", "/seller/orders/{part}/invoice", "invoice_form"),
    ("GET", "/api/v1/seller/order-parts/{part}/invoice", None),
    ("PUT", "/api/v1/seller/order-parts/{part}/invoice", "invoice_json"),
    ("GET", "/api/v1/seller/order-parts/{part}/invoice.xml", None),
    ("GET", "/api/v1/seller/order-parts/{part}/invoice-adjustment.xml", None),
    ("POST", "/seller/orders/{part}/invoice/issue", None),
    ("POST", "/api/v1/seller/order-parts/{part}/invoice/issue", None),
    ("POST", "/seller/orders/{part}/invoice/adjust", None),
    ("POST", "/api/v1/seller/order-parts/{part}/invoice/adjust", None),
]
INVOICE = {"series": "C26TAA", "number": "1", "lookup_code": "HIJACK", "issued_on": "2026-03-01"}
LOT = {"code": "HIJACK", "produced_on": "2026-01-01", "best_before": "2027-01-01", "quantity": "1"}


def _body(kind, product):
    if kind == "form":
        return {"data": {"name": "Hijacked", "unit": "x", "price_vnd": "1000", "stock": "0", "status": "draft",
                         "category_id": product.category_id}}
    if kind == "upload":
        return {"data": {"images": [(io.BytesIO(image_bytes()), "x.jpg")]}, "content_type": "multipart/form-data"}
    if kind == "lot_upload":
        return {"data": {"kind": "photo", "file": (io.BytesIO(image_bytes()), "x.jpg")},
                "content_type": "multipart/form-data"}
    if kind == "move":
        return {"data": {"direction": "down"}}
    if kind == "claim":
        return {"data": {"stars": "5", "certificate_no": "HIJACK", "level": "national", "issued_on": "2024-01-01"}}
    if kind == "cancel":
        return {"data": {"status": "cancelled", "reason": "hijack"}}
    if kind == "json_cancel":
        return {"json": {"status": "cancelled", "reason": "hijack"}}
    if kind in ("lot_form", "gtin_form", "reason_form"):
        return {"data": {"lot_form": LOT, "gtin_form": {"gtin": "8934567890120"},
                         "reason_form": {"reason": "hijack"}}[kind]}
    if kind in ("lot_json", "gtin_json", "reason_json", "lines_json"):
        return {"json": {"lot_json": LOT, "gtin_json": {"gtin": "8934567890120"}, "reason_json": {"reason": "hijack"},
                         "lines_json": {"lines": []}}[kind]}
    if kind == "invoice_form":
        return {"data": INVOICE}
    if kind == "invoice_json":
        return {"json": INVOICE}
    if kind == "json":
        return {"json": {"name": "Hijacked", "stock": 0, "certification": {
            "stars": 5, "certificate_no": "HIJACK", "level": "national", "issued_on": "2024-01-01"}}}
    return {}


def _state(db):
    db.session.expire_all()
    products = db.session.execute(sa.select(Product.id, Product.name, Product.stock, Product.status,
                                            Product.price_vnd).order_by(Product.id)).all()
    images = db.session.execute(sa.select(ProductImage.id, ProductImage.position, ProductImage.path)
                                .order_by(ProductImage.id)).all()
    certs = db.session.execute(sa.select(Certificate.id, Certificate.certificate_no, Certificate.verified,
                                         Certificate.scan_path)).all()
    audits = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))
    tokens = db.session.execute(sa.select(ApiToken.id, ApiToken.revoked_at)).all()
    parts = db.session.execute(sa.select(OrderPart.id, OrderPart.status, OrderPart.carrier)).all()
    stock = db.session.execute(sa.select(Product.id, Product.stock).order_by(Product.id)).all()
    events = db.session.scalar(sa.select(sa.func.count(OrderEvent.id)))
    refunds = db.session.scalar(sa.select(sa.func.count(Refund.id)))
    lots = db.session.execute(sa.select(Lot.id, Lot.code, Lot.quantity, Lot.recalled_at).order_by(Lot.id)).all()
    gtins = db.session.execute(sa.select(Product.id, Product.gtin).order_by(Product.id)).all()
    files = db.session.execute(sa.select(LotFile.id, LotFile.key).order_by(LotFile.id)).all()
    return products, images, certs, audits, tokens, parts, events, refunds, stock, lots, gtins, files


@pytest.fixture
def victim(app, db, other_seller):
    """Another producer's listing, with two photos, a verified certificate and a scan."""
    product = factories.product("Chả mực Hạ Long", prod=other_seller.producer, stars=4)
    with app.test_request_context():
        photos.add_images(product, other_seller.user, [("a.jpg", image_bytes(size=(120, 90))),
                                                       ("b.jpg", image_bytes(size=(120, 90)))])
        product.certificate.scan_path = "private/certificates/x/scan.pdf"
        db.session.commit()
    issue_token(other_seller.user, "kho")
    # …and a paid order of it (a part of the other producer).
    factories.paid_order([(product, 2)])
    with app.test_request_context():  # …and a lot of it (traceability)
        lot = create_lot(other_seller.producer.id, product.id, other_seller.user, {
            "code": "CM-01", "produced_on": "2026-01-05", "best_before": "2027-01-05", "quantity": 10})
        add_lot_file(lot, other_seller.user, "photo", image_bytes(size=(120, 90)))
    return product


@pytest.mark.parametrize("method,template,kind", ROUTES)
def test_another_producers_product_is_not_found_and_unchanged(client, app, db, seller, victim, method, template,
                                                             kind):
    factories.product(prod=seller.producer)  # the signed-in seller has listings of its own
    image = victim.images[0]
    before = _state(db)
    factories.login_as(client, seller.user)
    token = db.session.scalar(sa.select(ApiToken.id))
    part = db.session.scalar(sa.select(OrderPart.id))
    lot = db.session.scalar(sa.select(Lot.id))
    lot_file = db.session.scalar(sa.select(LotFile.id))
    url = template.format(product=victim.id, image=image.id, token=token, part=part, lot=lot, file=lot_file)
    response = client.open(url, method=method, **_body(kind, victim))
    assert response.status_code == 404, (method, url, response.status_code)
    if url.startswith("/api/"):
        assert response.json["error"]["code"] == "not_found"
    assert _state(db) == before


def test_lists_show_only_the_members_own_producer(client, db, seller, victim):
    own = factories.product("Trà hoa vàng", prod=seller.producer)
    factories.login_as(client, seller.user)
    api = client.get("/api/v1/seller/products?status=all").json
    assert [item["id"] for item in api["items"]] == [own.id] and api["total"] == 1
    page = client.get("/seller/products").get_data(as_text=True)
    assert "Trà hoa vàng" in page and "Chả mực Hạ Long" not in page


def test_every_seller_route_with_an_object_id_is_in_the_matrix(app):
    covered = {(method, template.replace("{product}", "<int:product_id>").replace("{image}", "<int:image_id>")
                .replace("{token}", "<int:token_id>").replace("{part}", "<int:part_id>")
                .replace("{lot}", "<int:lot_id>").replace("{file}", "<int:file_id>"))
               for method, template, _ in ROUTES}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/seller/", "/api/v1/seller/")) or "_id>" not in rule.rule:
            continue
        if "<token>" in rule.rule:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, rule.rule) in covered, f"{method} {rule.rule} is not in the scoping matrix"
