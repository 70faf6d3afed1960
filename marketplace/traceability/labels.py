"""Printable label sheets (A4 PDF, reportlab): the signed Digital Link's QR, product, stars, lot, best-before.

Every label of a sheet carries the same lot, so the QR is drawn once as a PDF form
(XObject) and placed on each label: a sheet of a thousand labels stays small and fast.
Text is Vietnamese with English, each from the message catalogue in its own locale.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass
from collections.abc import Mapping

import segno
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from ..errors import ValidationFailed
from .passports import certificate_status

MAX_LABELS = 5000
FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"


@dataclass(frozen=True)
class Layout:
    columns: int
    rows: int
    margin_x: float  # points from the sheet's left edge to the first label
    margin_y: float

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def size(self) -> tuple[float, float]:
        width, height = A4
        return (width - 2 * self.margin_x) / self.columns, (height - 2 * self.margin_y) / self.rows


# The two common A4 sticker sheets: 24 labels of 70 x 37 mm and 40 labels of 52.5 x 29.7 mm.
LAYOUTS = {"3x8": Layout(3, 8, 0, 0), "4x10": Layout(4, 10, 0, 0)}


def parse_request(args: Mapping) -> tuple[Layout, int]:
    """`layout` (3x8 default, or 4x10) and `count` (default: one sheet) from query arguments."""
    name = args.get("layout") or "3x8"
    errors = {}
    if name not in LAYOUTS:
        errors["layout"] = [_("Layout must be one of: %(names)s.", names=", ".join(LAYOUTS))]
        layout = LAYOUTS["3x8"]
    else:
        layout = LAYOUTS[name]
    raw = args.get("count")
    count = layout.per_page
    if raw not in (None, ""):
        try:
            count = int(str(raw))
        except ValueError:
            count = 0
        if not 1 <= count <= MAX_LABELS:
            errors["count"] = [_("Number of labels must be between %(low)d and %(high)d.", low=1, high=MAX_LABELS)]
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=errors)
    return layout, count


def _register_fonts() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    folder = (current_app.config.get("LABEL_FONT_DIR") or os.environ.get("LABEL_FONT_DIR")
              or "/usr/share/fonts/truetype/dejavu")
    try:
        pdfmetrics.registerFont(TTFont(FONT, os.path.join(folder, "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, os.path.join(folder, "DejaVuSans-Bold.ttf")))
    except Exception as exc:  # reportlab raises TTFError, or IOError wrapped in it
        raise RuntimeError(f"Label font DejaVu Sans not found in {folder}: install fonts-dejavu-core "
                           "(make install) or set LABEL_FONT_DIR") from exc


def _both(message) -> str:
    """A message (a function translating it) in Vietnamese, then English."""
    with force_locale("vi"):
        vi = message()
    with force_locale("en"):
        en = message()
    return vi if vi == en else f"{vi} / {en}"


def _draw_qr_form(canvas: Canvas, url: str, side: float) -> None:
    """The QR as a reusable form of side `side`: one rectangle per run of dark modules."""
    qr = segno.make(url, error="m", micro=False)
    matrix = [list(row) for row in qr.matrix_iter(scale=1, border=0)]
    module = side / len(matrix)
    canvas.beginForm("qr")
    path = canvas.beginPath()
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                path.rect(start * module, side - (y + 1) * module, (x - start) * module, module)
            else:
                x += 1
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.endForm()


def render(lot, url: str, layout: Layout, count: int) -> bytes:
    _register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(f"{lot.product.name} · {lot.code}")
    width, height = layout.size
    pad = 2 * mm
    qr_side = min(height - 2 * pad, width * 0.5)
    _draw_qr_form(canvas, url, qr_side)
    stars, _status = certificate_status(lot.product)
    text_x = pad + qr_side + 1.5 * mm
    text_width = width - text_x - pad
    size = 7 if layout.columns <= 3 else 5.5
    name_lines = simpleSplit(lot.product.name, FONT_BOLD, size + 1, text_width)[:2]
    lines = [(FONT, size, "OCOP " + "★" * stars)] if stars else []
    lines += [(FONT, size - 0.5, _both(lambda: _("Lot")) + ":"), (FONT_BOLD, size, lot.code),
              (FONT, size - 0.5, _both(lambda: _("Best before")) + ":"),
              (FONT_BOLD, size, lot.best_before.strftime("%d/%m/%Y"))]
    scan = simpleSplit(_both(lambda: _("Scan to trace")), FONT, size - 1, text_width)[:2]

    _H = A4[1]
    for index in range(count):
        slot = index % layout.per_page
        if index and slot == 0:
            canvas.showPage()
        col, row = slot % layout.columns, slot // layout.columns
        left = layout.margin_x + col * width
        top = _H - layout.margin_y - row * height
        canvas.saveState()
        canvas.translate(left + pad, top - pad - qr_side)
        canvas.doForm("qr")
        canvas.restoreState()
        y = top - pad - size
        for line in name_lines:
            canvas.setFont(FONT_BOLD, size + 1)
            canvas.drawString(left + text_x, y, line)
            y -= (size + 1) * 1.15
        for font, font_size, text in lines:
            for part in simpleSplit(text, font, font_size, text_width)[:2]:
                canvas.setFont(font, font_size)
                canvas.drawString(left + text_x, y, part)
                y -= font_size * 1.2
        canvas.setFont(FONT, size - 1)
        y = top - height + pad + (len(scan) - 1) * (size - 1) * 1.15
        for part in scan:
            canvas.drawString(left + text_x, y, part)
            y -= (size - 1) * 1.15
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
