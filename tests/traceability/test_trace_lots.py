"""Lots: a producer records, lists, reads and edits the lots of its own products, and the GTIN."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

import factories
from trace_helpers import lot_body, make_lot
from marketplace.catalog.models import Product
from marketplace.timeutil import local_today
from marketplace.traceability.gtin import check_digit, normalise_gtin
from marketplace.traceability.models import Lot


# --------------------------------------------------------------------------- GTIN

@pytest.mark.parametrize("raw,gtin14", [
    ("8934567890120", "08934567890120"),     # GTIN-13, Vietnam's 893 prefix
    ("96385074", "00000096385074"),          # GTIN-8
    ("036000291452", "00036000291452"),      # GTIN-12 (UPC-A)
    ("10012345678902", "10012345678902"),    # GTIN-14
    ("893 4567 89012 0", "08934567890120"),  # spaces as printed under a barcode
])
def test_valid_gtins_are_kept_as_gtin14(raw, gtin14):
    assert normalise_gtin(raw) == gtin14


@pytest.mark.parametrize("raw", ["8934567890127", "96385075", "036000291453", "10012345678901",
                                 "893456789012", "12345", "893456789012a", "", "٨٩٣٤٥٦٧٨٩٠١٢٨"])
def test_invalid_gtins_are_refused(raw):
    with pytest.raises(ValueError):
        normalise_gtin(raw)


def test_check_digit_follows_gs1_weights():
    assert check_digit("893456789012") == 0
    assert check_digit("629104150021") == 3


def test_seller_sets_the_gtin_and_a_wrong_check_digit_is_a_field_error(seller_client, honey, db):
    bad = seller_client.put(f"/api/v1/seller/products/{honey.id}/gtin", json={"gtin": "8934567890127"})
    assert bad.status_code == 422
    assert bad.get_json()["error"]["fields"]["gtin"] == ["Số kiểm tra của mã GTIN sai: hãy kiểm tra lại dãy số dưới mã vạch."]
    short = seller_client.put(f"/api/v1/seller/products/{honey.id}/gtin?lang=en", json={"gtin": "89345678"})
    assert short.get_json()["error"]["fields"]["gtin"] == ["The GTIN's check digit is wrong: check the number on the barcode."]
    assert seller_client.put(f"/api/v1/seller/products/{honey.id}/gtin?lang=en", json={"gtin": "893456789"}).get_json()[
        "error"]["fields"]["gtin"] == ["A GTIN has 8, 12, 13 or 14 digits."]
    good = seller_client.put(f"/api/v1/seller/products/{honey.id}/gtin", json={"gtin": "8934567890120"})
    assert good.status_code == 200, good.get_json()
    assert good.get_json() == {"product_id": honey.id, "gtin": "08934567890120"}
    db.session.expire_all()
    assert db.session.get(Product, honey.id).gtin == "08934567890120"


def test_two_products_cannot_share_a_gtin(seller_client, seller, honey):
    other = factories.product("Mật ong hoa bạc hà", prod=seller.producer)
    assert seller_client.put(f"/api/v1/seller/products/{honey.id}/gtin", json={"gtin": "8934567890120"}).status_code == 200
    again = seller_client.put(f"/api/v1/seller/products/{other.id}/gtin", json={"gtin": "08934567890120"})
    assert again.status_code == 422
    assert "gtin" in again.get_json()["error"]["fields"]


# --------------------------------------------------------------------------- lots (API)

def test_producer_records_and_reads_a_lot(seller_client, honey, db):
    response = seller_client.post(f"/api/v1/seller/products/{honey.id}/lots", json=lot_body())
    assert response.status_code == 201, response.get_json()
    lot = response.get_json()
    assert lot["code"] == "BC-2026-01"
    assert lot["quantity"] == 500
    assert lot["origin"] == {"ward_code": "ba-che", "name": "Ba Chẽ"}
    assert lot["process"] == ["Thu hoạch mật từ rừng keo", "Lọc và đóng lọ"]
    assert lot["inputs"] == ["Mật ong rừng"]
    assert lot["scans"] == {"count": 0, "first_at": None}
    assert lot["recalled"] is False
    assert f"/p/{honey.slug}/10/BC-2026-01?s=" in lot["digital_link"]

    listing = seller_client.get(f"/api/v1/seller/products/{honey.id}/lots").get_json()
    assert listing["total"] == 1 and [item["id"] for item in listing["items"]] == [lot["id"]]
    assert seller_client.get(f"/api/v1/seller/lots/{lot['id']}").get_json()["code"] == "BC-2026-01"


def test_lot_list_runs_a_fixed_number_of_queries(seller_client, honey, query_counter):
    for n in range(5):
        make_lot(honey, code=f"L{n}")
    with query_counter() as few:
        assert len(seller_client.get(f"/api/v1/seller/products/{honey.id}/lots").get_json()["items"]) == 5
    for n in range(5, 15):
        make_lot(honey, code=f"L{n}")
    with query_counter() as many:
        assert len(seller_client.get(f"/api/v1/seller/products/{honey.id}/lots").get_json()["items"]) == 15
    assert many.count == few.count


def test_patch_changes_only_the_fields_given(seller_client, honey):
    lot = make_lot(honey)
    response = seller_client.patch(f"/api/v1/seller/lots/{lot.id}", json={"quantity": 450, "inputs": ["Mật ong", "Sáp"]})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["quantity"], body["inputs"], body["code"]) == (450, ["Mật ong", "Sáp"], "BC-2026-01")
    assert body["process"] == ["Thu hoạch mật từ rừng keo", "Lọc và đóng lọ"]


@pytest.mark.parametrize("change,field", [
    ({"code": ""}, "code"),
    ({"code": "lô 1"}, "code"),
    ({"code": "X" * 21}, "code"),
    ({"quantity": 0}, "quantity"),
    ({"quantity": "nhiều"}, "quantity"),
    ({"quantity": 1.5}, "quantity"),
    ({"produced_on": "31/02/2026"}, "produced_on"),
    ({"produced_on": (local_today() + timedelta(days=3)).isoformat()}, "produced_on"),
    ({"best_before": (local_today() - timedelta(days=30)).isoformat()}, "best_before"),
    ({"origin": {"ward_code": "khong-co"}}, "origin"),
    ({"origin": 7}, "origin"),
    ({"process": "one text, not a list"}, "process"),
    ({"process": [1, 2]}, "process"),
    ({"inputs": ["x" * 201]}, "inputs"),
])
def test_bad_lot_input_is_a_field_error_and_saves_nothing(seller_client, honey, db, change, field):
    response = seller_client.post(f"/api/v1/seller/products/{honey.id}/lots", json=lot_body(**change))
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert db.session.scalar(sa.select(sa.func.count(Lot.id))) == 0


def test_a_lot_code_is_unique_per_product(seller_client, seller, honey):
    make_lot(honey)
    again = seller_client.post(f"/api/v1/seller/products/{honey.id}/lots", json=lot_body())
    assert again.status_code == 422
    assert "code" in again.get_json()["error"]["fields"]
    other = factories.product("Mật ong hoa rừng", prod=seller.producer)
    assert seller_client.post(f"/api/v1/seller/products/{other.id}/lots", json=lot_body()).status_code == 201


# --------------------------------------------------------------------------- authorisation

def test_a_producer_manages_only_its_own_lots(client, other_seller, honey, db):
    lot = make_lot(honey)
    factories.login_as(client, other_seller.user)
    assert client.get(f"/api/v1/seller/products/{honey.id}/lots").status_code == 404
    assert client.post(f"/api/v1/seller/products/{honey.id}/lots", json=lot_body("X1")).status_code == 404
    assert client.get(f"/api/v1/seller/lots/{lot.id}").status_code == 404
    assert client.patch(f"/api/v1/seller/lots/{lot.id}", json={"quantity": 1}).status_code == 404
    assert client.put(f"/api/v1/seller/products/{honey.id}/gtin", json={"gtin": "8934567890120"}).status_code == 404
    assert client.get(f"/api/v1/seller/lots/{lot.id}/labels.pdf").status_code == 404
    assert client.post(f"/api/v1/seller/lots/{lot.id}/recall", json={"reason": "x"}).status_code == 404
    assert client.get(f"/seller/lots/{lot.id}").status_code == 404
    assert client.get(f"/seller/products/{honey.id}/lots").status_code == 404
    db.session.expire_all()
    lot = db.session.get(Lot, lot.id)
    assert (lot.quantity, lot.recalled) == (500, False)
    assert db.session.scalar(sa.select(sa.func.count(Lot.id))) == 1


def test_shoppers_and_anonymous_cannot_reach_the_seller_lot_api(client, honey):
    lot = make_lot(honey)
    assert client.get(f"/api/v1/seller/lots/{lot.id}").status_code == 401
    factories.login_as(client, factories.user("shopper"))
    assert client.get(f"/api/v1/seller/lots/{lot.id}").status_code == 403


# --------------------------------------------------------------------------- portal pages

def test_producer_records_a_lot_in_the_portal(seller_client, honey, db):
    page = seller_client.get(f"/seller/products/{honey.id}/lots")
    assert page.status_code == 200
    assert "Ba Chẽ" in page.get_data(as_text=True)  # the origin choices come from the province's localities
    form = lot_body()
    form.update(origin_ward_code="ba-che", process="Thu hoạch\nĐóng lọ", inputs="Mật ong")
    form.pop("origin")
    response = seller_client.post(f"/seller/products/{honey.id}/lots", data=form)
    assert response.status_code == 302
    db.session.expire_all()
    lot = db.session.scalars(sa.select(Lot)).one()
    assert (lot.code, lot.process, lot.origin.slug) == ("BC-2026-01", ["Thu hoạch", "Đóng lọ"], "ba-che")
    edit = seller_client.get(response.headers["Location"])
    assert edit.status_code == 200 and "BC-2026-01" in edit.get_data(as_text=True)


def test_portal_shows_field_errors(seller_client, honey, db):
    form = lot_body(quantity="0")
    form.pop("origin")
    form["process"] = form["inputs"] = ""
    response = seller_client.post(f"/seller/products/{honey.id}/lots", data=form)
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(Lot.id))) == 0


def test_portal_gtin_form_reports_a_wrong_check_digit(seller_client, honey, db):
    response = seller_client.post(f"/seller/products/{honey.id}/gtin", data={"gtin": "8934567890127"},
                                  follow_redirects=True)
    assert "Số kiểm tra của mã GTIN sai" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Product, honey.id).gtin is None
