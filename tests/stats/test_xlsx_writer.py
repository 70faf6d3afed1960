"""The streaming XLSX writer: what it writes, openpyxl reads back with the same values and types."""
from __future__ import annotations

import io
import tracemalloc
import zipfile
from datetime import date, datetime

from openpyxl import load_workbook

from marketplace.stats import xlsx


def test_values_and_types_read_back_with_openpyxl():
    rows = [
        ["2025-01-31 23:30:00", "Trà hoa vàng & mật ong <5★>", 10**15, 0, -380_000, 2.5, None, "",
         datetime(2025, 2, 1, 0, 10, 5), date(2025, 3, 9), True],
        ["2025-12-01 00:00:01", "  khoảng trắng giữ nguyên \t", 1, "'=HYPERLINK(\"x\")", "a\x01b\x1fc", 7, 8, 9,
         None, None, False],
    ]
    header = ["Ngày", "Sản phẩm", "Số tiền", "Hoàn", "Âm", "Thực", "Trống", "Rỗng", "Lúc", "Ngày 2", "Cờ"]
    out = io.BytesIO()
    assert xlsx.write(out, "Doanh số: 2025/01", header, iter(rows), datetime_columns=(0,)) == 2

    book = load_workbook(io.BytesIO(out.getvalue()))
    assert book.sheetnames == ["Doanh số_ 2025_01"]  # characters Excel forbids in sheet names replaced
    sheet = book.active
    assert [c.value for c in sheet[1]] == header and sheet["A1"].font.b
    first = [c.value for c in sheet[2]]
    assert first == [datetime(2025, 1, 31, 23, 30), "Trà hoa vàng & mật ong <5★>", 10**15, 0, -380_000, 2.5, None,
                     None, datetime(2025, 2, 1, 0, 10, 5), datetime(2025, 3, 9), True]
    assert sheet["A2"].is_date and sheet["A2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert sheet["B2"].data_type == "s" and sheet["C2"].data_type == "n" and type(sheet["C2"].value) is int
    second = [c.value for c in sheet[3]]
    assert second[:5] == [datetime(2025, 12, 1, 0, 0, 1), "  khoảng trắng giữ nguyên \t", 1, "'=HYPERLINK(\"x\")",
                          "abc"]  # control characters XML cannot hold are dropped
    assert second[5:] == [7, 8, 9, None, None, False]
    assert sheet.freeze_panes == "A2"
    # read-only mode (how big files are read) sees the same cells
    fast = [list(r) for r in load_workbook(io.BytesIO(out.getvalue()), read_only=True).active.iter_rows(
        values_only=True)]
    assert fast[1] == first and fast[2] == second


def test_an_empty_table_is_a_valid_workbook_with_its_header():
    out = io.BytesIO()
    assert xlsx.write(out, "Sales", ["a", "b"], iter([])) == 0
    assert zipfile.ZipFile(io.BytesIO(out.getvalue())).testzip() is None
    assert [list(r) for r in load_workbook(io.BytesIO(out.getvalue())).active.iter_rows(values_only=True)] == [
        ["a", "b"]]


def test_memory_stays_flat_however_many_rows(tmp_path):
    def rows(n):
        for i in range(n):
            yield ["2025-03-01 10:15:00", f"QN{i:08d}", "Chả mực Hạ Long", i, i * 1000]

    def peak(n):
        tracemalloc.start()
        try:
            xlsx.write(tmp_path / f"{n}.xlsx", "Sales", ["at", "code", "product", "qty", "vnd"], rows(n), (0,))
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(2_000), peak(40_000)
    assert large < 2 * small + 1_000_000, (small, large)  # 20x the rows, not 20x the memory
    assert len(list(load_workbook(tmp_path / "40000.xlsx", read_only=True).active.iter_rows())) == 40_001
