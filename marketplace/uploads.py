"""Checking uploaded files before anything is stored.

Photos are opened with Pillow (the content decides, never the file name), bounded
in bytes and in pixels (decompression bombs are refused before any pixel is
decoded), turned upright, stripped of EXIF/GPS and every other metadata by
re-encoding, and resized to a web size and a thumbnail (WebP). Certificate scans
may also be PDFs: parsed with pypdf, every object (also those packed in compressed
object streams, with names decoded: `/J#61vaScript` is `/JavaScript`) is looked at,
and a PDF carrying scripts, actions, launch commands, embedded files or forms is
refused; the scans are served as downloads (storage.file_response).

Every refusal is a `ValidationFailed` with a Vietnamese / English message.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ValidationFailed

ACCEPTED_IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
# Keys of active content in a PDF: scripts, actions run on opening or on an event, embedded
# files, rich media and XML forms.
_PDF_ACTIVE_KEYS = frozenset({"/JavaScript", "/JS", "/OpenAction", "/AA", "/Launch", "/EmbeddedFile",
                              "/EmbeddedFiles", "/RichMedia", "/XFA"})
# Action types (/S) that run something, submit or fetch data, or open another file.
_PDF_ACTIVE_ACTIONS = frozenset({"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToE", "/GoToR",
                                 "/RichMediaExecute", "/Rendition", "/Movie", "/Sound"})
_PDF_MAX_OBJECTS = 200_000


@dataclass(frozen=True)
class ProcessedImage:
    web: bytes
    thumb: bytes
    width: int
    height: int
    extension: str = ".webp"
    content_type: str = "image/webp"


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, code="invalid_upload", fields={field: [message]})


def _mb(n_bytes: int) -> str:
    return f"{n_bytes / (1024 * 1024):.0f} MB"


def _looks_like_markup(data: bytes) -> bool:
    head = data[:512].lstrip().lower()
    return head.startswith((b"<?xml", b"<svg", b"<!doctype", b"<html")) or b"<svg" in head


def check_size(data: bytes, limit: int, field: str) -> None:
    if not data:
        raise _fail(field, _("The file is empty"))
    if len(data) > limit:
        raise _fail(field, _("File too large (at most %(size)s)", size=_mb(limit)))


def open_image(data: bytes, field: str = "image") -> Image.Image:
    """Open and fully decode an image, refusing anything that is not a safe raster photo."""
    cfg = current_app.config
    check_size(data, cfg["IMAGE_MAX_BYTES"], field)
    if _looks_like_markup(data):
        raise _fail(field, _("SVG, HTML and XML files are not accepted; use JPEG, PNG or WebP"))
    max_pixels = cfg["IMAGE_MAX_PIXELS"]
    not_image = _("The file is not a valid JPEG, PNG or WebP image")
    bomb = _("Image has too many pixels (at most %(n)d million)", n=max_pixels // 1_000_000)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format not in ACCEPTED_IMAGE_FORMATS:
                raise _fail(field, not_image)
            width, height = probe.size
            # The explicit bound, checked from the header before a single pixel is decoded.
            if width * height > max_pixels or width > 20_000 or height > 20_000:
                raise _fail(field, bomb)
            probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
    except ValidationFailed:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _fail(field, bomb) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise _fail(field, not_image) from None
    if width < 64 or height < 64:
        raise _fail(field, _("Image too small (at least 64×64)"))
    return image


def _encode(image: Image.Image, box: int) -> tuple[bytes, int, int]:
    copy = image.copy()
    copy.thumbnail((box, box), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # A fresh encode writes no EXIF, XMP or ICC text: GPS and camera data are gone.
    copy.save(out, "WEBP", quality=82, method=4)
    return out.getvalue(), copy.width, copy.height


def process_image(data: bytes, field: str = "image", web_size: int | None = None) -> ProcessedImage:
    """Validated photo -> upright, metadata-free web image and thumbnail (WebP)."""
    cfg = current_app.config
    image = open_image(data, field)
    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB")
    web, width, height = _encode(image, web_size or cfg["IMAGE_WEB_SIZE"])
    thumb, _width, _height = _encode(image, cfg["IMAGE_THUMB_SIZE"])
    return ProcessedImage(web=web, thumb=thumb, width=width, height=height)


def check_document(data: bytes, field: str = "scan") -> tuple[bytes, str, str]:
    """A certificate scan: a photo (processed like product photos) or a plain PDF.

    Returns (bytes to store, extension, content type).
    """
    cfg = current_app.config
    check_size(data, cfg["SCAN_MAX_BYTES"], field)
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise _fail(field, _("The PDF is damaged or incomplete."))
        _check_pdf(data, field)
        return data, ".pdf", "application/pdf"
    processed = process_image(data, field, web_size=2400)  # certificate text stays legible
    return processed.web, processed.extension, processed.content_type


def _pdf_objects(reader: PdfReader):
    """Every object of the file: those of the cross-reference tables, those packed in
    compressed object streams (pypdf unpacks them), and the trailer."""
    numbers = [(number, generation) for generation, table in reader.xref.items() for number in table]
    numbers += [(number, 0) for number in reader.xref_objStm]
    if len(numbers) > _PDF_MAX_OBJECTS:
        raise ValueError("too many objects")
    for number, generation in numbers:
        yield reader.get_object(IndirectObject(number, generation, reader))
    yield reader.trailer


def _active(obj) -> bool:
    """Whether a dictionary (or any dictionary nested in it, without following references)
    carries active content; walked with a stack, not recursion."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, DictionaryObject):
            if _PDF_ACTIVE_KEYS.intersection(item.keys()):
                return True
            if item.get("/S") in _PDF_ACTIVE_ACTIONS or item.get("/Subtype") == "/FileAttachment":
                return True
            stack.extend(v for v in item.values() if not isinstance(v, IndirectObject))
        elif isinstance(item, ArrayObject):
            stack.extend(v for v in item if not isinstance(v, IndirectObject))
    return False


def _check_pdf(data: bytes, field: str) -> None:
    damaged = _("The PDF is damaged or incomplete.")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise _fail(field, _("Encrypted PDFs are not accepted."))
        active = any(_active(obj) for obj in _pdf_objects(reader))
    except ValidationFailed:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError,
            UnicodeError):
        raise _fail(field, damaged) from None
    if active:
        raise _fail(field, _("The PDF contains scripts, actions or embedded files and is not accepted."))
