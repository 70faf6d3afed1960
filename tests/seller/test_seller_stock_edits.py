"""A seller's stock edit never erases units reserved by checkouts meanwhile.

Every edit is conditional on the figure the seller saw (the form's hidden `stock_seen`, the
API's If-Match ETag, the CSV export's `stock_seen` column): when a checkout reserved units
between the seller's read and save, nothing is written and the seller sees the new figure;
a figure left as it was is never written, so editing a price keeps the reservations. A later
expiry gives the reserved units back to the right total."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from marketplace.catalog.models import Product
from marketplace.orders import services as order_services
from marketplace.orders.models import Order
from marketplace.seller import edit, listings
from marketplace.seller.stock import StaleStock
from marketplace.timeutil import utcnow

CONTACT = {"full_name": "Nguyễn Thị Lan", "phone": "0912 345 678", "email": "lan@example.vn"}
ADDRESS = {"line1": "Số 12, phố Cao Thắng", "ward": "Phường Hạ Long", "province": "Quảng Ninh"}


def _stock(db, product) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(Product.stock).where(Product.id == product.id))


def _price(db, product) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(Product.price_vnd).where(Product.id == product.id))


def _shopper_reserves(app, product, quantity: int) -> str:
    """A guest checks out `quantity` units (stock reserved, order unpaid)."""
    response = app.test_client().post("/api/v1/checkout", json={
        "contact": CONTACT, "shipping_address": ADDRESS, "payment_method": "vietqr",
        "items": [{"product_id": product.id, "quantity": quantity}]})
    assert response.status_code == 201, response.json
    return response.json["order"]["code"]


def _expire(db, code: str) -> None:
    db.session.execute(sa.update(Order).where(Order.code == code)
                       .values(payment_due_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    order_id = db.session.scalar(sa.select(Order.id).where(Order.code == code))
    assert order_services.expire_unpaid([order_id]) == 1


@pytest.fixture
def tea(seller, db):
    return factories.product("Trà hoa vàng", prod=seller.producer, price_vnd=350_000, stock=10)


def _form_fields(page: str) -> dict:
    fields = dict(re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', page))
    assert "stock_seen" in fields, "the form carries the figure it shows"
    return fields


def _edit_form(tea, **changes) -> dict:
    return {"name": tea.name, "unit": tea.unit, "price_vnd": str(tea.price_vnd), "status": tea.status,
            "category_id": tea.category_id, "description": tea.description or "", **changes}


# --- the web form -------------------------------------------------------------------------

def test_a_reservation_between_opening_and_saving_the_form_is_kept(app, seller_client, tea, db):
    shown = _form_fields(seller_client.get(f"/seller/products/{tea.id}").get_data(as_text=True))
    assert shown["stock_seen"] == "10"
    code = _shopper_reserves(app, tea, 2)  # while the seller edits the price

    saved = seller_client.post(f"/seller/products/{tea.id}", data=_edit_form(
        tea, price_vnd="360000", stock="10", stock_seen=shown["stock_seen"]))
    assert saved.status_code == 302
    assert _stock(db, tea) == 8  # the price changed; the reservation is still there
    assert _price(db, tea) == 360_000

    _expire(db, code)
    assert _stock(db, tea) == 10  # the units come back once, to the right total


def test_a_new_stock_figure_typed_over_a_stale_one_is_refused_and_the_new_figure_shown(
        app, seller_client, tea, db):
    shown = _form_fields(seller_client.get(f"/seller/products/{tea.id}").get_data(as_text=True))
    _shopper_reserves(app, tea, 3)

    response = seller_client.post(f"/seller/products/{tea.id}", data=_edit_form(
        tea, price_vnd="360000", stock="25", stock_seen=shown["stock_seen"]))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "hiện là 7" in page
    again = _form_fields(page)
    assert (again["stock"], again["stock_seen"]) == ("7", "7")  # the form now shows the new figure
    assert _stock(db, tea) == 7 and _price(db, tea) == 350_000  # nothing written

    assert seller_client.post(f"/seller/products/{tea.id}", data=_edit_form(
        tea, stock="25", stock_seen=again["stock_seen"])).status_code == 302
    assert _stock(db, tea) == 25


def test_the_write_itself_is_conditional(app, seller, tea, db):
    """Between the check of what the seller saw and the UPDATE, a checkout may still reserve:
    the UPDATE's own condition refuses then."""
    loaded = listings.get_product(seller.producer.id, tea.id)
    assert loaded.stock == 10
    _shopper_reserves(app, tea, 4)
    with pytest.raises(StaleStock) as refused:
        edit.patch_product(loaded, seller.user, {"stock": 30}, stock_seen=10)
    assert refused.value.current == 6
    db.session.rollback()
    assert _stock(db, tea) == 6


# --- the API ----------------------------------------------------------------------------------

def test_the_api_needs_the_etag_it_read_to_change_stock(app, seller_client, tea, db):
    url = f"/api/v1/seller/products/{tea.id}"
    read = seller_client.get(url)
    etag = read.headers["ETag"]
    _shopper_reserves(app, tea, 2)

    stale = seller_client.patch(url, json={"stock": 50}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert stale.json["error"]["code"] == "stale_stock" and stale.json["error"]["stock"] == 8
    assert _stock(db, tea) == 8

    blind = seller_client.patch(url, json={"stock": 50})
    assert blind.status_code == 428 and _stock(db, tea) == 8

    price_only = seller_client.patch(url, json={"price_vnd": 360_000})  # no stock: no precondition
    assert price_only.status_code == 200 and price_only.json["stock"] == 8

    fresh = seller_client.get(url).headers["ETag"]
    assert fresh != etag
    done = seller_client.patch(url, json={"stock": 50}, headers={"If-Match": fresh})
    assert done.status_code == 200 and done.json["stock"] == 50
    assert done.headers["ETag"] not in (etag, fresh)
    assert _stock(db, tea) == 50


# --- the CSV import ------------------------------------------------------------------------------

def _import_and_apply(client, data: bytes):
    preview = client.post("/seller/products/import", content_type="multipart/form-data",
                          data={"file": (io.BytesIO(data), "san-pham.csv")})
    body = preview.get_data(as_text=True)
    key = re.search(r'name="key" value="([^"]+)"', body)
    if key is None:
        return preview
    return client.post("/seller/products/import/apply", data={"key": key.group(1)})


def _edited_export(client, **changes) -> bytes:
    rows = list(csv.reader(io.StringIO(client.get("/seller/products/export.csv").data.decode("utf-8-sig"))))
    header = rows[0]
    for name, value in changes.items():
        rows[1][header.index(name)] = value
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def test_a_csv_import_keeps_reservations_made_since_the_export(app, seller_client, tea, db):
    exported = _edited_export(seller_client, price_vnd="370000")  # stock left as exported (10)
    code = _shopper_reserves(app, tea, 2)
    assert _import_and_apply(seller_client, exported).status_code == 302
    assert _stock(db, tea) == 8 and _price(db, tea) == 370_000
    _expire(db, code)
    assert _stock(db, tea) == 10


def test_a_csv_import_changing_a_stock_that_moved_since_the_export_is_refused(app, seller_client, tea, db):
    exported = _edited_export(seller_client, stock="40", price_vnd="370000")
    _shopper_reserves(app, tea, 2)
    response = _import_and_apply(seller_client, exported)
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Tồn kho đã đổi từ 10 thành 8 từ khi xuất tệp" in text
    assert _stock(db, tea) == 8 and _price(db, tea) == 350_000  # nothing written

    assert _import_and_apply(seller_client, _edited_export(seller_client, stock="40")).status_code == 302
    assert _stock(db, tea) == 40
