"""Exports match the statistics row for row; open data is aggregate and cacheable."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from marketplace.audit import AuditEntry
from marketplace.stats.sales import GROUPINGS, sales_report
from tests import factories as f
from tests.factories import local, paid_order
from tests.stats.conftest import refund_by_hand


@pytest.fixture
def sales(db):
    food = f.category("Thực phẩm", "Food")
    drinks = f.category("Đồ uống", "Drinks")
    coop = f.producer("HTX Trà hoa vàng Ba Chẽ", kind="cooperative", loc=f.locality("Ba Chẽ", "Ba Chẽ"))
    firm = f.producer("Công ty Chả mực Hạ Long", kind="enterprise", loc=f.locality("Hồng Gai", "Hạ Long", "ward"))
    tea = f.product("Trà hoa vàng", price_vnd=450_000, prod=coop, cat=drinks, stars=5)
    squid = f.product("Chả mực Hạ Long", price_vnd=380_000, prod=firm, cat=food, stars=4)
    buyer = f.user("shopper", email="mai@example.vn")
    f.flat_shipping(coop, firm, fee_vnd=30_000)
    first = paid_order([(tea, 2), (squid, 1)], local(2025, 1, 31, 23, 30), user=buyer)
    f.flat_shipping(coop, firm, fee_vnd=0)
    guest = {"email": "guest@example.vn"}
    paid_order([(squid, 3)], local(2025, 2, 3, 8, 0), contact=guest)
    paid_order([(tea, 1)], local(2025, 3, 9, 20, 0), contact=guest)
    f.expired_order([(tea, 5)])
    refund_by_hand(first, 200_003, local(2025, 3, 1, 0, 30))
    return {"from": "2025-01-01", "to": "2025-03-31"}


def download(client, url: str):
    """An export, read whole inside the request (it streams; the test client would otherwise
    iterate it outside the request's own context)."""
    return client.get(url, buffered=True)


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.data.startswith("\ufeff".encode("utf-8"))  # Excel reads the file as UTF-8
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def _numbers(row, width):
    return [int(v) for v in row[2 * width:2 * width + 7]]


def _expected(report):
    return [[r.value_vnd, r.gross_vnd, r.refunds_vnd, r.orders, r.units, r.buyers, r.producers]
            for r in [*report.rows, report.total]]


@pytest.mark.parametrize("group_by", GROUPINGS)
def test_csv_and_xlsx_exports_match_the_statistics_row_for_row(client, sales, group_by):
    f.login_as(client, f.user("admin"))
    report = sales_report(date(2025, 1, 1), date(2025, 3, 31), group_by)
    query = f"from={sales['from']}&to={sales['to']}&group_by={group_by}"
    rows = _csv(download(client, f"/api/v1/admin/exports/sales.csv?{query}"))
    header, body = rows[0], rows[1:]
    assert header[0] == group_by and len(body) == len(report.rows) + 1
    assert [row[0] for row in body[:-1]] == [str(r.key) for r in report.rows]
    assert [_numbers(row, 1) for row in body] == _expected(report)
    api = client.get(f"/api/v1/admin/stats/sales?{query}").json
    assert [[r["value_vnd"], r["gross_vnd"], r["refunds_vnd"], r["orders"], r["units"], r["buyers"], r["producers"]]
            for r in [*api["rows"], api["total"]]] == _expected(report)

    response = download(client, f"/api/v1/admin/exports/sales.xlsx?{query}")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert [[int(v) for v in row[2:9]] for row in cells[1:]] == _expected(report)
    assert [row[1] for row in cells[1:-1]] == [row[1] for row in body[:-1]]  # the same labels


def test_the_line_export_has_one_row_per_paid_line_with_its_refunds(client, sales, db):
    f.login_as(client, f.user("admin"))
    rows = _csv(download(client, f"/api/v1/admin/exports/sales.csv?from={sales['from']}&to={sales['to']}&level=lines"))
    body = rows[1:]
    assert len(body) == 4  # 2 + 1 + 1 lines; the expired order has none
    first = body[0]
    assert first[0] == "2025-01-31 23:30:00" and first[2] == "Trà hoa vàng" and first[4] == "HTX Trà hoa vàng Ba Chẽ"
    assert first[5] == "Hợp tác xã" and first[6] == "Ba Chẽ" and first[8] == "Đồ uống" and first[9] == "5"
    assert first[10:13] == ["2", "450000", "900000"]
    total = sales_report(date(2025, 1, 1), date(2025, 3, 31)).total
    assert sum(int(r[12]) for r in body) == total.gross_vnd
    assert sum(int(r[13]) for r in body) == total.refunds_vnd  # every refund of the range lands on its line
    assert sum(int(r[14]) for r in body) == total.value_vnd
    # 200,003 x 1,280,000 goods / (1,280,000 + 60,000 shipping) = 191,047 of goods, spread 900,000 : 380,000
    assert [int(r[13]) for r in body[:2]] == [134_330, 56_717] and sum(int(r[13]) for r in body[:2]) == 191_047
    assert db.session.query(AuditEntry).filter_by(action="stats.export").count() == 1


def test_the_line_export_marks_the_lines_of_sample_products(client, db):
    maker = f.producer("HTX Mẫu", sample=True)
    sample = f.product("Mật ong mẫu", price_vnd=100_000, prod=maker, sample=True)
    real = f.product("Ngọc trai Akoya", price_vnd=900_000, stars=5, source="https://thuonghieuquangninh.gov.vn/?p=3978")
    paid_order([(sample, 1), (real, 1)], local(2025, 4, 2, 10, 0))
    f.login_as(client, f.user("admin"))
    rows = _csv(download(client, "/api/v1/admin/exports/sales.csv?from=2025-04-01&to=2025-04-30&level=lines"))
    assert rows[0][-1] == "Dữ liệu mẫu"
    assert {r[2]: r[-1] for r in rows[1:]} == {"Mật ong mẫu": "mẫu", "Ngọc trai Akoya": ""}


def test_the_line_export_as_xlsx_keeps_dates_and_numbers_typed(client, sales):
    f.login_as(client, f.user("admin"))
    response = download(client, f"/api/v1/admin/exports/sales.xlsx?from={sales['from']}&to={sales['to']}&level=lines")
    cells = [list(r) for r in load_workbook(io.BytesIO(response.data), read_only=True).active.iter_rows(values_only=True)]
    assert len(cells) == 5
    assert cells[1][0].strftime("%Y-%m-%d %H:%M") == "2025-01-31 23:30" and cells[1][12] == 900_000


def test_exports_refuse_bad_parameters_and_strangers(client, sales):
    assert client.get("/api/v1/admin/exports/sales.csv").status_code == 401
    f.login_as(client, f.user("seller", producer_id=f.producer().id))
    assert client.get("/api/v1/admin/exports/sales.xlsx").status_code == 403
    assert client.get("/api/v1/admin/stats/sales").status_code == 403
    f.login_as(client, f.user("admin"))
    bad = client.get("/api/v1/admin/exports/sales.csv?from=2025-02-01&to=2025-01-01")
    assert bad.status_code == 422 and bad.json["error"]["fields"]
    assert client.get("/api/v1/admin/exports/sales.csv?group_by=weekday").status_code == 422
    assert client.get("/api/v1/admin/stats/sales?from=yesterday").status_code == 422


def test_the_cli_export_writes_the_same_rows(app, sales, tmp_path):
    out = tmp_path / "sales.csv"
    result = app.test_cli_runner().invoke(args=["stats", "export", "--from", "2025-01-01", "--to", "2025-03-31",
                                                "--group-by", "producer", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 dòng" in result.output
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    report = sales_report(date(2025, 1, 1), date(2025, 3, 31), "producer")
    assert [_numbers(r, 1) for r in rows[1:]] == _expected(report)
    lines = tmp_path / "lines.xlsx"
    result = app.test_cli_runner().invoke(args=["stats", "export", "--from", "2025-01-01", "--to", "2025-03-31",
                                                "--level", "lines", "--format", "xlsx", "-o", str(lines)])
    assert result.exit_code == 0 and "4 dòng" in result.output
    assert len(list(load_workbook(lines, read_only=True).active.iter_rows(values_only=True))) == 5
    bad = app.test_cli_runner().invoke(args=["stats", "export", "--group-by", "weekday", "-o", str(out)])
    assert bad.exit_code != 0 and "nhóm" in bad.output.lower()


def test_the_sales_page_shows_the_table_the_chart_and_export_links(client, sales):
    f.login_as(client, f.user("admin"))
    page = client.get("/admin/stats/sales?from=2025-01-01&to=2025-03-31&group_by=region").get_data(as_text=True)
    assert "Hạ Long" in page and "Ba Chẽ" in page and "<svg" in page
    assert "/api/v1/admin/exports/sales.xlsx?from=2025-01-01&amp;to=2025-03-31&amp;group_by=region" in page
    assert "<script>" not in page


def test_open_data_is_public_aggregate_and_cacheable(client, sales):
    response = client.get("/api/v1/open-data/ocop-sales?year=2025")
    assert response.status_code == 200
    assert "public" in response.headers["Cache-Control"] and response.headers["ETag"]
    body = response.json
    # A handful of orders from two producers: every cell is too small to publish
    # (tests/stats/test_open_data_privacy.py shows what is published and merged).
    assert body["items"] == []
    assert body["monthly_totals"] == [{"month": month, "sales_vnd": 0, "gross_sales_vnd": 0, "refunds_vnd": 0,
                                       "units": 0, "suppressed": True} for month in ("2025-01", "2025-02", "2025-03")]
    target = body["ecommerce_target"]
    assert (target["percent"], target["by_year"]) == (10.0, 2025) and "645/QĐ-TTg" in target["decision"]
    text = response.get_data(as_text=True)
    for private in ("mai@example.vn", "guest@example.vn", "QN0", "Chả mực Hạ Long", "HTX"):
        assert private not in text
    again = client.get("/api/v1/open-data/ocop-sales?year=2025",
                       headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert client.get("/api/v1/open-data/ocop-sales?year=1999").status_code == 422


def test_names_that_excel_would_run_as_formulas_are_written_as_text(client, db):
    evil = f.product("=HYPERLINK(\"http://x\",\"Trà\")", price_vnd=10_000,
                     prod=f.producer("+cmd|' /C calc'!A0"))
    paid_order([(evil, 1)], local(2025, 4, 1, 9, 0))
    f.login_as(client, f.user("admin"))
    rows = _csv(download(client, "/api/v1/admin/exports/sales.csv?from=2025-04-01&to=2025-04-30&level=lines"))
    assert rows[1][2] == "'=HYPERLINK(\"http://x\",\"Trà\")" and rows[1][4] == "'+cmd|' /C calc'!A0"
    grouped = _csv(download(client, "/api/v1/admin/exports/sales.csv?from=2025-04-01&to=2025-04-30&group_by=producer"))
    assert grouped[1][1] == "'+cmd|' /C calc'!A0"
    response = download(client, "/api/v1/admin/exports/sales.xlsx?from=2025-04-01&to=2025-04-30&level=lines")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet["C2"].data_type == "s" and sheet["C2"].value.startswith("'=")


def test_one_producers_statistics_and_exports_through_the_api_page_and_cli(app, client, sales, tmp_path):
    """`producer_id` (an extension of API.md): the same figures as that producer's row, in every form."""
    f.login_as(client, f.user("admin"))
    everyone = sales_report(date(2025, 1, 1), date(2025, 3, 31), "producer")
    firm = next(r for r in everyone.rows if r.label == "Công ty Chả mực Hạ Long")
    query = f"from={sales['from']}&to={sales['to']}&producer_id={firm.key}"
    api = client.get(f"/api/v1/admin/stats/sales?{query}&group_by=month").json
    assert api["producer_id"] == int(firm.key)
    assert (api["total"]["value_vnd"], api["total"]["refunds_vnd"], api["total"]["units"]) == (
        firm.value_vnd, firm.refunds_vnd, firm.units)
    assert sum(r["value_vnd"] for r in api["rows"]) == firm.value_vnd
    grouped = _csv(download(client, f"/api/v1/admin/exports/sales.csv?{query}&group_by=product"))
    assert [r[1] for r in grouped[1:-1]] == ["Chả mực Hạ Long"] and int(grouped[-1][2]) == firm.value_vnd
    lines = _csv(download(client, f"/api/v1/admin/exports/sales.csv?{query}&level=lines"))[1:]
    assert {r[4] for r in lines} == {"Công ty Chả mực Hạ Long"} and len(lines) == 2
    assert sum(int(r[14]) for r in lines) == firm.value_vnd  # its share of the whole-order refund included
    page = client.get(f"/admin/stats/sales?{query}&group_by=month").get_data(as_text=True)
    assert f'<option value="{firm.key}" selected>' in page and f"producer_id={firm.key}" in page
    missing = client.get("/api/v1/admin/stats/sales?from=2025-01-01&producer_id=999999")
    assert missing.status_code == 422 and "producer_id" in missing.json["error"]["fields"]
    assert client.get("/api/v1/admin/exports/sales.csv?level=lines&producer_id=999999").status_code == 422
    out = tmp_path / "firm.csv"
    result = app.test_cli_runner().invoke(args=["stats", "export", "--from", "2025-01-01", "--to", "2025-03-31",
                                                "--producer-id", firm.key, "--level", "lines", "-o", str(out)])
    assert result.exit_code == 0 and "2 dòng" in result.output
