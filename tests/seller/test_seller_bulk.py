"""Bulk listings: CSV/XLSX export, CSV import with a line-numbered preview and all-or-nothing apply."""
from __future__ import annotations

import csv
import io
import re

import sqlalchemy as sa
from openpyxl import load_workbook

from tests import factories
from marketplace.catalog.models import Product


def _import(client, text: str | bytes):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return client.post("/seller/products/import", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), "san-pham.csv")})


def _listing(db):
    db.session.expire_all()
    return db.session.execute(sa.select(Product.id, Product.name, Product.price_vnd, Product.stock, Product.status)
                              .order_by(Product.id)).all()


def test_export_csv_has_a_bom_and_round_trips_through_import(seller_client, seller, db):
    tea = factories.product("Trà hoa vàng, loại 1", prod=seller.producer, price_vnd=350_000, stock=7,
                            description='Hộp "quà tặng"\nnhiều dòng')
    factories.product("Không phải của tôi")  # another producer's listing is not exported
    response = seller_client.get("/seller/products/export.csv")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["id", "name", "category", "unit", "price_vnd", "stock", "status", "description", "ocop_stars",
                       "certificate_status", "stock_seen"]
    assert rows[1] == [str(tea.id), "Trà hoa vàng, loại 1", "food", "hộp 500 g", "350000", "7", "active",
                       'Hộp "quà tặng"\nnhiều dòng', "4", "verified", "7"]
    assert len(rows) == 2

    before = _listing(db)
    preview = _import(seller_client, response.data)
    assert preview.status_code == 200
    key = re.search(r'name="key" value="([^"]+)"', preview.get_data(as_text=True)).group(1)
    assert seller_client.post("/seller/products/import/apply", data={"key": key}).status_code == 302
    assert _listing(db) == before


def test_export_xlsx(seller_client, seller, db):
    factories.product("Miến dong Bình Liêu", prod=seller.producer, price_vnd=85_000)
    response = seller_client.get("/seller/products/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet[1]][:6] == ["id", "name", "category", "unit", "price_vnd", "stock"]
    assert [c.value for c in sheet[2]][1:6] == ["Miến dong Bình Liêu", "food", "hộp 500 g", 85000, 10]


def test_import_creates_and_updates_many_listings_after_a_preview(seller_client, seller, db):
    factories.category("Đồ uống", "Drinks")
    old = factories.product("Rượu mơ", prod=seller.producer, price_vnd=200_000, stock=3)
    text = ("id;name;category;unit;price_vnd;stock;status;description;stock_seen\n"
            f"{old.id};Rượu mơ Yên Tử;drinks;chai 500 ml;210.000;30;active;Ngâm 1 năm;3\n"
            ";Chè Đường Hoa;drinks;gói 200 g;120000;50;;;\n"
            ";Chè Đường Hoa;drinks;gói 500 g;260000;20;active;;\n")
    preview = _import(seller_client, text)
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Tất cả các dòng hợp lệ: 2 sản phẩm mới, 1 cập nhật." in body
    assert _listing(db) == [(old.id, "Rượu mơ", 200_000, 3, "active")]  # nothing written by the preview

    key = re.search(r'name="key" value="([^"]+)"', body).group(1)
    assert seller_client.post("/seller/products/import/apply", data={"key": key}).status_code == 302
    rows = _listing(db)
    assert rows[0] == (old.id, "Rượu mơ Yên Tử", 210_000, 30, "active")
    assert [r[1:] for r in rows[1:]] == [("Chè Đường Hoa", 120_000, 50, "draft"), ("Chè Đường Hoa", 260_000, 20, "active")]
    slugs = db.session.scalars(sa.select(Product.slug).order_by(Product.id)).all()
    assert slugs[1:] == ["che-duong-hoa", "che-duong-hoa-2"]
    # The previewed file is used once.
    assert seller_client.post("/seller/products/import/apply", data={"key": key}).status_code == 404


def test_import_errors_are_reported_with_line_numbers_and_nothing_is_written(seller_client, seller, other_seller, db):
    mine = factories.product("Nấm linh chi", prod=seller.producer, stock=5)
    theirs = factories.product("Sá sùng", prod=other_seller.producer, stock=9)
    text = ("id,name,category,unit,price_vnd,stock,status,description\n"
            ",Mật ong rừng,food,chai 500 ml,250000,10,active,\n"          # line 2: fine
            f"{theirs.id},Sá sùng của tôi,food,hộp,1000000,1,active,\n"     # line 3: another producer's id
            ',"Trà\nhai dòng",food,hộp,12.5,-1,sold,\n'                     # lines 4-5: one record on two lines
            f"{mine.id},Nấm linh chi,khong-co,hộp,90000,5,active,\n"        # line 6: unknown category
            f"{mine.id},Nấm linh chi,food,hộp,90000,5,active,\n")           # line 7: the same id twice
    response = _import(seller_client, text)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Không có sản phẩm mã %d trong gian hàng của bạn" % theirs.id in body
    assert "dòng 4 · price_vnd:" in body and "dòng 4 · stock:" in body and "dòng 4 · status:" in body
    assert "dòng 6 · category:" in body and "Không có nhóm sản phẩm “khong-co”" in body
    assert "dòng 7 · id:" in body and "đã có ở dòng 6" in body
    assert "dòng 2 ·" not in body
    assert 'name="key"' not in body  # no way to apply a file with errors
    assert db.session.scalar(sa.select(sa.func.count(Product.id))) == 2
    db.session.refresh(theirs)
    assert (theirs.name, theirs.stock) == ("Sá sùng", 9)


def test_apply_is_all_or_nothing_when_listings_changed_since_the_preview(app, seller_client, seller, db):
    gone = factories.product("Hải sâm", prod=seller.producer)
    text = ("id,name,category,unit,price_vnd,stock,stock_seen\n"
            ",Tôm he,food,kg,450000,5,\n"
            f"{gone.id},Hải sâm,food,kg,900000,2,{gone.stock}\n")
    body = _import(seller_client, text).get_data(as_text=True)
    key = re.search(r'name="key" value="([^"]+)"', body).group(1)
    # The listing moves to another producer between preview and apply: the file is now wrong.
    gone.producer_id = factories.producer().id
    db.session.commit()
    response = seller_client.post("/seller/products/import/apply", data={"key": key})
    assert response.status_code == 422
    assert "dòng 3 · id:" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Product.id))) == 1  # "Tôm he" was not created


def test_bad_files_are_refused_clearly(app, seller_client, seller, db):
    assert "Thiếu cột: price_vnd, stock" in _import(seller_client, "name,category,unit\nA,food,x\n").get_data(
        as_text=True)
    assert "Tệp phải mã hoá UTF-8" in _import(seller_client, "name,category\nTrà".encode("utf-16")).get_data(
        as_text=True)
    assert "Cột không xác định: colour" in _import(
        seller_client, "name,category,unit,price_vnd,stock,colour\n").get_data(as_text=True)
    empty = seller_client.post("/seller/products/import", content_type="multipart/form-data", data={})
    assert empty.status_code == 422 and "Tệp rỗng" in empty.get_data(as_text=True)


def test_an_import_key_of_another_producer_is_not_found(client, seller, other_seller, db):
    factories.category()
    factories.login_as(client, other_seller.user)
    body = _import(client, "name,category,unit,price_vnd,stock\nTôm,food,kg,1000,1\n").get_data(as_text=True)
    key = re.search(r'name="key" value="([^"]+)"', body).group(1)
    factories.login_as(client, seller.user)
    assert client.post("/seller/products/import/apply", data={"key": key}).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(Product.id))) == 0
