"""Exports of the sales statistics: CSV (UTF-8 with BOM, opens in Excel) and XLSX.

Both stream: rows come from the database in batches (yield_per / server-side cursor)
and leave as chunks, so memory stays flat however many rows there are. XLSX is
written by the small streaming writer in `xlsx.py` (openpyxl, even write-only, was
several times too slow for a million lines) to a temporary file, which is then sent
in chunks and deleted.
"""
from __future__ import annotations

import csv
import io
import os
import tempfile
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from flask_babel import gettext as _

from ..spreadsheet import text_cell
from . import xlsx
from .labels import Labeller
from .sales import DateRange, SalesReport, count_lines, iter_lines

BOM = "\ufeff"
CHUNK_ROWS = 2000
FORMATS = ("csv", "xlsx")
MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass
class Table:
    header: list[str]
    rows: Iterable[list]
    count: Callable[[], int]  # number of data rows (for progress bars; may cost a query)
    datetime_columns: tuple[int, ...] = ()  # 'YYYY-MM-DD HH:MM:SS' text, typed as dates in XLSX


def grouped_table(report: SalesReport) -> Table:
    """The statistics exactly as shown: one row per group, then the grand total."""
    labeller = Labeller(report.group_by)
    header = []
    for name in report.group_by:
        header += [name, labeller.title(name)]
    header += [_("Sales (VND)"), _("Gross sales (VND)"), _("Refunds (VND)"), _("Orders"), _("Units"),
               _("Buyers"), _("Producers")]

    def measures(row):
        return [row.value_vnd, row.gross_vnd, row.refunds_vnd, row.orders, row.units, row.buyers, row.producers]

    def rows():
        for row in report.rows:
            cells = []
            for name, key, label in zip(report.group_by, row.keys, row.labels):
                cells += [text_cell(key), text_cell(labeller.label(name, key, label))]
            yield cells + measures(row)
        yield [_("Total"), ""] + [""] * (2 * len(report.group_by) - 2) + measures(report.total)

    return Table(header, rows(), lambda: len(report.rows) + 1)


def lines_table(rng: DateRange, producer_id: int | None = None) -> Table:
    """One row per paid order line: date, order, product, producer, kind, locality, group, stars,
    quantity, amounts, the refunds made on the line up to the end of the range, and whether the
    product is sample data."""
    labeller = Labeller(("producer_kind",))
    header = [_("Paid at"), _("Order code"), _("Product"), _("Unit"), _("Producer"), _("Producer kind"),
              _("Locality"), _("Region"), _("OCOP group"), _("Stars"), _("Quantity"), _("Unit price (VND)"),
              _("Amount (VND)"), _("Refunds (VND)"), _("Net (VND)"), _("Sample data")]
    kinds = {}
    sample_label = _("sample")  # a line of an illustrative seed product (seeds/SOURCES.md)

    def rows():
        for paid_at, code, product, unit, producer, kind, locality, region, group, stars, *numbers, sample \
                in iter_lines(rng, producer_id=producer_id):
            label = kinds.get(kind) or kinds.setdefault(kind, labeller.label("producer_kind", kind, kind))
            yield [paid_at, code, text_cell(product), text_cell(unit), text_cell(producer), label, locality, region,
                   group, stars or "", *numbers, sample_label if sample else ""]

    return Table(header, rows(), lambda: count_lines(rng, producer_id), datetime_columns=(0,))


def csv_chunks(table: Table, progress: Callable[[int], None] | None = None) -> Iterator[bytes]:
    """CSV bytes in chunks, starting with the UTF-8 BOM Excel needs to read Vietnamese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(table.header)
    pending = 0
    for row in table.rows:
        writer.writerow(row)
        pending += 1
        if pending == CHUNK_ROWS:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            if progress:
                progress(pending)
            pending = 0
    yield buffer.getvalue().encode("utf-8")
    if progress and pending:
        progress(pending)


def write_xlsx(table: Table, target, progress: Callable[[int], None] | None = None) -> None:
    """Write an XLSX workbook, row by row as they come (flat memory)."""
    xlsx.write(target, _("Sales"), table.header, table.rows, table.datetime_columns, progress=progress)


def xlsx_chunks(table: Table, chunk_size: int = 256 * 1024) -> Iterator[bytes]:
    """The XLSX file in chunks; the temporary file is removed when done (or abandoned)."""
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="ocop-export-")
    os.close(handle)
    try:
        write_xlsx(table, path)
        with open(path, "rb") as fh:
            while chunk := fh.read(chunk_size):
                yield chunk
    finally:
        os.remove(path)


def chunks(table: Table, fmt: str) -> Iterator[bytes]:
    return csv_chunks(table) if fmt == "csv" else xlsx_chunks(table)


def filename(rng: DateRange, what: str, fmt: str) -> str:
    return f"ocop-sales-{what}-{rng.date_from:%Y%m%d}-{rng.date_to:%Y%m%d}.{fmt}"
