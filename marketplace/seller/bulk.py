"""Bulk listings: export to CSV (UTF-8 with BOM, opens in Excel) and XLSX; import a CSV.

Import is two steps: `preview_import` checks every row and reports errors with the
file's line numbers while writing nothing; `apply_import` re-checks the same file
and writes all rows in one transaction, or none when any row is wrong.
The columns of the export and the import are the same; the read-only ones
(`ocop_stars`, `certificate_status`) are ignored on import. `stock_seen` is the stock when
the file was exported: an import changes a listing's stock only if it still is that figure
(checkouts may have reserved units since; see seller/stock.py), and never writes a `stock`
left as exported.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext
from openpyxl import Workbook
from openpyxl.styles import Font

from .. import audit
from ..accounts.models import User
from ..catalog.models import Category, Product
from ..errors import ValidationFailed
from ..extensions import db
from ..spreadsheet import csv_writer, read_cell
from ..catalog.rules import clean_product_fields
from .listings import assign_fields, unique_slug
from .stock import StaleStock

COLUMNS = ("id", "name", "category", "unit", "price_vnd", "stock", "status", "description")
READ_ONLY = ("ocop_stars", "certificate_status")
STOCK_SEEN = "stock_seen"  # read-only too, but the import compares it (seller/stock.py)
REQUIRED = ("name", "category", "unit", "price_vnd", "stock")
MAX_ROWS = 5000


def export_rows(producer_id: int) -> list[list]:
    products = db.session.scalars(sa.select(Product).where(Product.producer_id == producer_id)
                                  .order_by(Product.id)).unique()
    rows = []
    for p in products:
        cert = p.certificate
        rows.append([p.id, p.name, p.category.slug, p.unit, p.price_vnd, p.stock, p.status, p.description,
                     p.ocop_stars if p.ocop_stars is not None else "", cert.status if cert else "", p.stock])
    return rows


def export_csv(producer_id: int) -> bytes:
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(COLUMNS + READ_ONLY + (STOCK_SEEN,))
    writer.writerows(export_rows(producer_id))
    return out.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8


def export_xlsx(producer_id: int) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "products"
    sheet.append(list(COLUMNS + READ_ONLY + (STOCK_SEEN,)))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in export_rows(producer_id):
        sheet.append(row)
        for cell in sheet[sheet.max_row]:  # openpyxl writes any text starting with "=" as a formula
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    for column, width in zip("ABCDEFGHIJK", (8, 40, 22, 16, 12, 8, 10, 60, 10, 16, 10)):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@dataclass
class ImportRow:
    line: int
    values: dict
    action: str = "create"  # create | update
    product_id: int | None = None
    stock_seen: int | None = None
    errors: dict = field(default_factory=dict)


@dataclass
class ImportPreview:
    rows: list[ImportRow]
    file_errors: list[str]

    @property
    def ok(self) -> bool:
        return not self.file_errors and not any(row.errors for row in self.rows)

    @property
    def error_count(self) -> int:
        return len(self.file_errors) + sum(1 for row in self.rows if row.errors)

    @property
    def creates(self) -> int:
        return sum(1 for row in self.rows if row.action == "create")

    @property
    def updates(self) -> int:
        return sum(1 for row in self.rows if row.action == "update")

    def error_fields(self) -> dict[str, list[str]]:
        """Errors as `fields` for the API envelope: "line 3" -> messages."""
        fields = {"file": list(self.file_errors)} if self.file_errors else {}
        for row in self.rows:
            if row.errors:
                fields[f"line {row.line}"] = [f"{name}: {msg}" for name, msgs in row.errors.items() for msg in msgs]
        return fields


def _decode(data: bytes) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def preview_import(producer_id: int, data: bytes) -> ImportPreview:
    """Check every row of a CSV against the producer's listings. Writes nothing."""
    text = _decode(data)
    if text is None:
        return ImportPreview([], [gettext("The file must be UTF-8 encoded (Excel: save as “CSV UTF-8”)")])
    if not text.strip():
        return ImportPreview([], [gettext("The file is empty")])
    first_line = text.splitlines()[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader)]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [h for h in header if h and h not in COLUMNS + READ_ONLY + (STOCK_SEEN,)]
    file_errors = []
    if missing:
        file_errors.append(gettext("Missing columns: %(columns)s", columns=", ".join(missing)))
    if unknown:
        file_errors.append(gettext("Unknown columns: %(columns)s", columns=", ".join(unknown)))
    if len(set(header)) != len(header):
        file_errors.append(gettext("Duplicate column names"))
    if file_errors:
        return ImportPreview([], file_errors)

    category_ids = dict(db.session.execute(sa.select(Category.slug, Category.id)).all())
    own_stock = dict(db.session.execute(sa.select(Product.id, Product.stock)
                                        .where(Product.producer_id == producer_id)).all())
    own_ids = set(own_stock)
    rows: list[ImportRow] = []
    seen_ids: dict[int, int] = {}
    line = reader.line_num
    for record in reader:
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if len(rows) >= MAX_ROWS:
            return ImportPreview(rows, [gettext("At most %(n)s rows per import", n=MAX_ROWS)])
        values = {name: (read_cell(record[i].strip()) if i < len(record) else "") for i, name in enumerate(header)
                  if name in COLUMNS}
        row = ImportRow(line=start, values=values)
        if len(record) > len(header):
            row.errors["_"] = [gettext("The row has more cells than the header")]
        raw_id = values.get("id", "")
        if raw_id:
            try:
                product_id = int(raw_id)
            except ValueError:
                product_id = None
            if product_id is None or product_id not in own_ids:
                row.errors["id"] = [gettext("No listing with id %(id)s in your shop", id=raw_id)]
            elif product_id in seen_ids:
                row.errors["id"] = [gettext("id %(id)s already appears on line %(line)s", id=raw_id,
                                            line=seen_ids[product_id])]
            else:
                seen_ids[product_id] = start
                row.action, row.product_id = "update", product_id
        fields = {k: v for k, v in values.items() if k != "id"}
        if not fields.get("status"):
            fields.pop("status", None) if row.action == "update" else fields.update(status="draft")
        cleaned, errors = clean_product_fields(fields, partial=row.action == "update", category_ids=category_ids)
        row.values = cleaned
        row.errors.update(errors)
        if row.action == "update" and "stock" in cleaned:
            _check_stock_seen(row, record[header.index(STOCK_SEEN)] if STOCK_SEEN in header
                              and header.index(STOCK_SEEN) < len(record) else "", own_stock[row.product_id])
        rows.append(row)
    if not rows:
        return ImportPreview([], [gettext("The file has no data rows")])
    return ImportPreview(rows, [])


def _stale_line(row: ImportRow, current: int) -> ValidationFailed:
    message = gettext("line %(line)s · stock: the stock is now %(now)s since the export (orders reserved or "
                      "released units); export again", line=row.line, now=current)
    return ValidationFailed(gettext("The file has errors; nothing was written"),
                            code="import_invalid", fields={f"line {row.line}": [message]})


def _check_stock_seen(row: ImportRow, cell: str, current: int) -> None:
    """A new stock figure needs the one it replaces (`stock_seen`, from the export), and that
    figure must still be the stock; a figure left as exported is not written."""
    cell = cell.strip()
    try:
        row.stock_seen = int(cell) if cell else None
    except ValueError:
        row.errors[STOCK_SEEN] = [gettext("Must be a whole number")]
        return
    new = row.values["stock"]
    if row.stock_seen is None:
        if new != current:
            row.errors["stock"] = [gettext("Missing stock_seen (the stock when exported): export the file again")]
    elif new == row.stock_seen:
        del row.values["stock"]  # not edited: leave the stock (and its reservations) alone
    elif current != row.stock_seen:
        row.errors["stock"] = [gettext("The stock changed from %(seen)s to %(now)s since the export (orders reserved or "
                                       "released units): export again", seen=row.stock_seen, now=current)]


def apply_import(producer_id: int, actor: User, data: bytes) -> ImportPreview:
    """Write every row in one transaction, or nothing (ValidationFailed with line numbers)."""
    preview = preview_import(producer_id, data)
    if not preview.ok:
        raise ValidationFailed(gettext("The file has errors; nothing was written"),
                               code="import_invalid", fields=preview.error_fields())
    products = {p.id: p for p in db.session.scalars(sa.select(Product).where(
        Product.id.in_([r.product_id for r in preview.rows if r.product_id]))).unique()}
    try:
        for row in preview.rows:
            if row.action == "update":
                try:
                    assign_fields(products[row.product_id], actor, row.values, stock_seen=row.stock_seen)
                except StaleStock as exc:  # an order reserved units since the preview
                    raise _stale_line(row, exc.current) from None
            else:
                product = Product(slug=unique_slug(Product, row.values["name"], 200), producer_id=producer_id,
                                  **row.values)
                db.session.add(product)
                db.session.flush()  # the next row's unique_slug sees this one
        audit.record(actor, "products.imported", "producer", producer_id,
                     after={"created": preview.creates, "updated": preview.updates})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return preview

