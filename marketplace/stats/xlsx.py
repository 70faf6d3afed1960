"""A minimal streaming XLSX writer: one worksheet, rows written as they come, flat memory.

openpyxl (even in write-only mode) builds an object per cell and costs minutes for a
million export lines; this writes the worksheet XML straight into a deflated zip entry.
Just what the exports need: text (inline strings, so no shared-string table grows in
memory), integers and floats, and datetimes (Excel serial numbers with a date format),
a bold, frozen header row. Files open in Excel and LibreOffice and read back with openpyxl
(tests/stats check values and types).
"""
from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from typing import Iterable
from xml.sax.saxutils import quoteattr

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
EXCEL_EPOCH_ORDINAL = date(1899, 12, 30).toordinal()  # Excel's day 0 (with its 1900 leap-year quirk)
ROWS_PER_WRITE = 1000
DATETIME_STYLE, HEADER_STYLE = 1, 2
INVALID_SHEET_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})

# Text goes into XML: escape markup characters and drop the control characters XML 1.0 forbids.
_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;",
                       **{c: None for c in range(32) if c not in (9, 10, 13)}})
_NEEDS_ESCAPE = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f]").search


def xml_text(value: str) -> str:
    return value.translate(_TEXT) if _NEEDS_ESCAPE(value) else value

_CONTENT_TYPES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
</Types>"""

_ROOT_RELS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{PKG_REL_NS}">\
<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>"""

_WORKBOOK_RELS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{PKG_REL_NS}">\
<Relationship Id="rId1" Type="{REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>\
<Relationship Id="rId2" Type="{REL_NS}/styles" Target="styles.xml"/></Relationships>"""

_STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{MAIN_NS}">\
<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>\
<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>\
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>\
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>\
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"""

_SHEET_START = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="{MAIN_NS}"><sheetViews><sheetView workbookViewId="0">\
<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetData>"""


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def excel_serial(value: datetime | date) -> float | int:
    """Days since Excel's epoch (naive wall-clock time; Excel has no time zones)."""
    days = value.toordinal() - EXCEL_EPOCH_ORDINAL
    if isinstance(value, datetime):
        return days + (value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6) / 86400
    return days


def _cells(row, datetime_columns) -> str:
    """One row's cells. No cell references: cells follow each other (`<c/>` keeps an empty
    one's place), which the format allows and saves a third of the time."""
    out = []
    for i, value in enumerate(row):
        kind = type(value)
        if kind is str:
            if not value:
                out.append("<c/>")
            elif i in datetime_columns:
                out.append(f'<c s="{DATETIME_STYLE}"><v>{excel_serial(datetime.fromisoformat(value))!r}</v></c>')
            else:
                out.append(f'<c t="inlineStr"><is><t xml:space="preserve">{xml_text(value)}</t></is></c>')
        elif kind is int or kind is float:
            out.append(f"<c><v>{value!r}</v></c>")
        elif value is None:
            out.append("<c/>")
        elif kind is bool:
            out.append(f'<c t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, (datetime, date)):
            out.append(f'<c s="{DATETIME_STYLE}"><v>{excel_serial(value)!r}</v></c>')
        elif isinstance(value, (int, float)):  # Decimal-free numbers of other int/float subclasses
            out.append(f"<c><v>{value!r}</v></c>")
        else:
            out.append(f'<c t="inlineStr"><is><t xml:space="preserve">{xml_text(str(value))}</t></is></c>')
    return "".join(out)


def write(target, sheet_name: str, header: list, rows: Iterable[list], datetime_columns: tuple[int, ...] = (),
          progress=None, compresslevel: int = 1) -> int:
    """Write a workbook of one sheet to `target` (a path or a binary file); returns the data rows written.

    `datetime_columns`: columns whose values are 'YYYY-MM-DD HH:MM:SS' text, written as dates."""
    name = (sheet_name.translate(INVALID_SHEET_CHARS) or "Sheet1")[:31]
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        book.writestr("xl/styles.xml", _STYLES)
        book.writestr("xl/workbook.xml", f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheets>\
<sheet name={quoteattr(name)} sheetId="1" r:id="rId1"/></sheets></workbook>""")
        written = 0
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_START.encode())
            letters = [column_letter(i) for i in range(len(header))]
            head = "".join(f'<c r="{letter}1" t="inlineStr" s="{HEADER_STYLE}"><is><t>{xml_text(str(title))}'
                           f"</t></is></c>" for letter, title in zip(letters, header))
            sheet.write(f'<row r="1">{head}</row>'.encode())
            dt = frozenset(datetime_columns)
            pending: list[str] = []
            for written, row in enumerate(rows, start=1):
                pending.append(f'<row r="{written + 1}">{_cells(row, dt)}</row>')
                if len(pending) == ROWS_PER_WRITE:
                    sheet.write("".join(pending).encode())
                    pending.clear()
                    if progress:
                        progress(ROWS_PER_WRITE)
            sheet.write(("".join(pending) + "</sheetData></worksheet>").encode())
            if progress and pending:
                progress(len(pending))
    return written
