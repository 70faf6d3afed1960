"""Cells that spreadsheets open as text: the one guard of every CSV the app writes.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel,
LibreOffice and Google Sheets (CSV or formula injection): a product name such as
`=HYPERLINK("http://…")` typed by one seller would run in the office's spreadsheet. Such
text is written with a leading apostrophe, which spreadsheets show as text and hide.
"""
from __future__ import annotations

import csv

FORMULA_STARTS = frozenset("=+-@\t\r")


def text_cell(value):
    """`value` made safe to open: text starting like a formula gets a leading apostrophe."""
    return "'" + value if isinstance(value, str) and value[:1] in FORMULA_STARTS else value


def read_cell(value: str) -> str:
    """The text a cell written by `text_cell` stood for (imports of our own exports)."""
    return value[1:] if value[:2] and value[:1] == "'" and value[1:2] in FORMULA_STARTS else value


class SafeWriter:
    """csv.writer whose every text cell goes through `text_cell`."""

    def __init__(self, out, **options):
        options.setdefault("lineterminator", "\r\n")
        self._writer = csv.writer(out, **options)

    def writerow(self, row):
        return self._writer.writerow([text_cell(cell) for cell in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_writer(out, **options) -> SafeWriter:
    return SafeWriter(out, **options)
