"""`flask seed --file`: loading other catalogue files, and refusing bad ones whole.

Each test starts from an empty database and writes small CSV files to a temporary folder;
the reference data (localities, OCOP groups) comes from seeds/ as in production.
"""
from __future__ import annotations

import csv

import pytest
import sqlalchemy as sa

from marketplace.catalog.models import Category, Certificate, Locality, Producer, Product
from marketplace.catalog.seed import CATALOGUE_COLUMNS
from marketplace.extensions import db
from marketplace.timeutil import add_months

ROW = {
    "product_slug": "cha-muc-thu-nghiem", "product_name": "Chả mực thử nghiệm", "category": "thuc-pham-che-bien",
    "description": "Chả mực giã tay.", "unit": "hộp 500 g", "price_vnd": "220000", "stock": "40", "stars": "4",
    "certificate_no": "QN-T-0001", "certificate_level": "province", "issued_on": "2025-03-10",
    "expires_on": "2028-03-10", "verified": "true", "producer_slug": "htx-thu-nghiem",
    "producer_name": "HTX Thử nghiệm", "producer_kind": "cooperative", "producer_tax_code": "5701234567",
    "producer_locality": "bai-chay", "producer_address": "Tổ 1, phường Bãi Cháy, tỉnh Quảng Ninh",
    "producer_phone": "0912 345 678", "producer_email": "", "producer_description": "",
}


def write_csv(path, rows, columns=CATALOGUE_COLUMNS):
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def run_seed(app, path):
    return app.test_cli_runner().invoke(args=["seed", "--file", str(path)])


def counts(app) -> dict[str, int]:
    with app.app_context():
        return {m.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(m))
                for m in (Locality, Category, Producer, Product, Certificate)}


def test_another_catalogue_loads_with_defaults_and_only_once(app, tmp_path):
    rows = [
        ROW,
        {**ROW, "product_slug": "", "product_name": "Rượu ba kích thử nghiệm", "category": "ruou", "stars": "5",
         "certificate_no": "TW-T-0001", "certificate_level": "", "expires_on": "", "verified": "", "price_vnd": "1000"},
        {**ROW, "product_slug": "khan-tho-cam", "product_name": "Khăn thổ cẩm", "category": "vai-may-mac",
         "certificate_no": "QN-T-0002", "producer_slug": "", "producer_name": "Hộ kinh doanh Lý Thị Mai",
         "producer_kind": "household", "producer_tax_code": "8012345678-001", "producer_locality": "binh-lieu",
         "producer_phone": "+84 203 3821 234"},
    ]
    path = write_csv(tmp_path / "extra.csv", rows)

    first = run_seed(app, path)
    second = run_seed(app, path)

    assert first.exit_code == 0, first.output
    assert "đã tạo 3 sản phẩm (0 sản phẩm mẫu), 2 cơ sở sản xuất" in first.output
    assert second.exit_code == 0 and "không có gì phải làm" in second.output
    assert counts(app) == {"localities": 54, "categories": 27, "producers": 2, "products": 3, "certificates": 3}
    with app.app_context():
        wine = db.session.scalar(sa.select(Product).where(Product.slug == "ruou-ba-kich-thu-nghiem"))
        assert wine.status == "active" and wine.price_vnd == 1000 and wine.producer.approved
        cert = wine.certificate
        assert (cert.level, cert.verified) == ("national", True)
        assert cert.expires_on == add_months(cert.issued_on, 36)
        household = db.session.scalar(sa.select(Producer).where(Producer.tax_code == "8012345678-001"))
        assert (household.slug, household.kind, household.phone) == (
            "ho-kinh-doanh-ly-thi-mai", "household", "02033821234")
        assert household.locality.name == "Bình Liêu"


def test_rows_already_present_are_left_as_sellers_changed_them(app, tmp_path):
    path = write_csv(tmp_path / "one.csv", [ROW])
    assert run_seed(app, path).exit_code == 0
    with app.app_context():
        product = db.session.scalar(sa.select(Product).where(Product.slug == "cha-muc-thu-nghiem"))
        product.price_vnd, product.stock = 199_000, 3
        db.session.commit()

    again = run_seed(app, write_csv(tmp_path / "changed.csv", [{**ROW, "price_vnd": "250000"}]))

    assert again.exit_code == 0, again.output
    with app.app_context():
        product = db.session.scalar(sa.select(Product).where(Product.slug == "cha-muc-thu-nghiem"))
        assert (product.price_vnd, product.stock) == (199_000, 3)


def test_every_malformed_row_is_reported_with_its_line_and_nothing_is_written(app, tmp_path):
    rows = [
        ROW,                                                                         # line 2: fine
        {**ROW, "product_slug": "p3", "certificate_no": "C3", "price_vnd": "12.5"},  # line 3
        {**ROW, "product_slug": "p4", "certificate_no": "C4", "stars": "6"},         # line 4
        {**ROW, "product_slug": "p5", "certificate_no": "C5", "producer_slug": "x", "producer_name": "X",
         "producer_tax_code": "12345", "producer_locality": "ha-noi"},               # line 5
        {**ROW, "product_slug": "p6", "certificate_no": "C6", "producer_slug": "y", "producer_name": "Y",
         "producer_tax_code": "5709999999", "producer_phone": "12345",
         "producer_kind": "company"},                                                # line 6
        {**ROW, "product_slug": "p7", "certificate_no": "C7", "issued_on": "31/02/2025",
         "category": "banh-keo"},                                                    # line 7
        {**ROW, "product_slug": "p8", "certificate_no": "QN-T-0001", "product_name": "",
         "stock": "-1"},                                                             # line 8
        {**ROW, "product_slug": "p9", "certificate_no": "C9", "issued_on": "2025-03-10",
         "expires_on": "2025-01-01", "verified": "maybe"},                           # line 9
        # the seller's bounds (catalog/rules.py): 1,000 to 99,999,999 VND, at most 1,000,000 units
        {**ROW, "product_slug": "p10", "certificate_no": "C10", "price_vnd": "100000000",
         "stock": "1000001"},                                                        # line 10
        {**ROW, "product_slug": "p11", "certificate_no": "C11", "price_vnd": "0",
         "description": "x" * 10_001},                                               # line 11
    ]
    path = write_csv(tmp_path / "bad.csv", rows)

    result = run_seed(app, path)

    assert result.exit_code == 1
    for expected in ("bad.csv line 3: price_vnd", "bad.csv line 4: stars", "bad.csv line 5: producer_tax_code",
                     "bad.csv line 5: producer_locality", "bad.csv line 6: producer_phone",
                     "bad.csv line 6: producer_kind", "bad.csv line 7: issued_on", "bad.csv line 7: category",
                     "bad.csv line 8: product_name", "bad.csv line 8: stock", "bad.csv line 8: certificate_no",
                     "bad.csv line 9: expires_on", "bad.csv line 9: verified", "bad.csv line 10: price_vnd",
                     "bad.csv line 10: stock", "bad.csv line 11: price_vnd", "bad.csv line 11: description"):
        assert expected in result.output, expected
    assert "bad.csv line 2" not in result.output
    assert "không ghi gì" in result.output  # nothing was written
    # not even the reference data loaded in the same run
    assert counts(app) == {"localities": 0, "categories": 0, "producers": 0, "products": 0, "certificates": 0}


def test_line_numbers_count_the_lines_of_quoted_multi_line_descriptions(app, tmp_path):
    rows = [{**ROW, "description": "Dòng một.\nDòng hai.\nDòng ba."},  # lines 2-4
            {**ROW, "product_slug": "p2", "certificate_no": "C2", "stars": "0"}]  # line 5
    result = run_seed(app, write_csv(tmp_path / "multi.csv", rows))
    assert result.exit_code == 1
    assert "multi.csv line 5: stars" in result.output


@pytest.mark.parametrize("columns, message", [
    ([c for c in CATALOGUE_COLUMNS if c != "price_vnd"], "line 1: thiếu cột: price_vnd"),
    ([*CATALOGUE_COLUMNS, "colour"], "line 1: cột không xác định: colour"),
])
def test_a_wrong_header_is_reported_on_line_1(app, tmp_path, columns, message):
    result = run_seed(app, write_csv(tmp_path / "header.csv", [ROW], columns))
    assert result.exit_code == 1
    assert f"header.csv {message}" in result.output
    assert counts(app)["localities"] == 0


def test_conflicts_with_the_database_are_refused_before_writing(app, tmp_path):
    assert run_seed(app, write_csv(tmp_path / "one.csv", [ROW])).exit_code == 0
    before = counts(app)
    rows = [
        {**ROW, "product_slug": "khac", "certificate_no": "QN-T-0001"},  # certificate of another product
        {**ROW, "product_slug": "khac-2", "certificate_no": "QN-T-0009", "producer_tax_code": "5701111118"},
    ]  # line 3: the producer slug belongs to the producer with another tax code

    result = run_seed(app, write_csv(tmp_path / "clash.csv", rows))

    assert result.exit_code == 1
    assert "clash.csv line 2: certificate_no: đã cấp cho sản phẩm 'cha-muc-thu-nghiem'" in result.output
    assert "clash.csv line 3: producer_slug" in result.output
    assert counts(app) == before


def test_a_missing_file_is_an_error(app, tmp_path):
    result = run_seed(app, tmp_path / "absent.csv")
    assert result.exit_code == 1
    assert "absent.csv: không mở được tệp" in result.output


def test_rows_without_a_tax_code_are_matched_by_slug_and_sample_rows_are_flagged(app, tmp_path):
    rows = [
        {**ROW, "producer_tax_code": "", "producer_phone": "", "source": "https://example.org/ocop-2023"},
        {**ROW, "product_slug": "mat-ong-mau", "product_name": "Mật ong mẫu", "certificate_no": "MAU-1",
         "producer_slug": "htx-mau", "producer_name": "HTX Mẫu", "producer_tax_code": "", "producer_phone": "",
         "producer_email": "mau001@example.com", "source": "sample"},
    ]
    path = write_csv(tmp_path / "sourced.csv", rows, [*CATALOGUE_COLUMNS])
    assert run_seed(app, path).exit_code == 0
    again = run_seed(app, path)
    assert again.exit_code == 0 and "không có gì phải làm" in again.output, again.output
    with app.app_context():
        real = db.session.scalar(sa.select(Product).where(Product.slug == "cha-muc-thu-nghiem"))
        sample = db.session.scalar(sa.select(Product).where(Product.slug == "mat-ong-mau"))
        assert (real.sample, real.source, real.producer.sample, real.producer.tax_code) == (
            False, "https://example.org/ocop-2023", False, None)
        assert (sample.sample, sample.source, sample.producer.sample) == (True, None, True)


def test_a_certificate_level_against_the_ocop_rule_is_refused(app, tmp_path):
    rows = [ROW,
            {**ROW, "product_slug": "p2", "certificate_no": "C2", "stars": "5", "certificate_level": "province"},
            {**ROW, "product_slug": "p3", "certificate_no": "C3", "stars": "4", "certificate_level": "national"},
            {**ROW, "product_slug": "p4", "certificate_no": "C4", "source": "sample"}]  # same producer, now sample
    result = run_seed(app, write_csv(tmp_path / "levels.csv", rows, [*CATALOGUE_COLUMNS]))
    assert result.exit_code == 1
    assert "levels.csv line 2" not in result.output
    for expected in ("levels.csv line 3: certificate_level", "levels.csv line 4: certificate_level",
                     "levels.csv line 5: source"):
        assert expected in result.output, expected
