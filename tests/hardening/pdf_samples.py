"""Small PDFs written byte by byte, the way an attacker would: plain objects, names with
#xx escapes, and objects hidden in a compressed object stream with a cross-reference stream."""
from __future__ import annotations

import struct
import zlib

PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"


def plain_pdf(catalog_extra: bytes = b"", extra_objects: tuple[bytes, ...] = ()) -> bytes:
    """Objects 1 (catalog), 2 (pages), 3 (page), then `extra_objects` as 4, 5, ...;
    a classic cross-reference table with correct offsets."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>", PAGES, PAGE, *extra_objects]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def object_stream_pdf(catalog_extra: bytes, extra_objects: tuple[bytes, ...] = ()) -> bytes:
    """The same objects, every one packed in one FlateDecode object stream and indexed by a
    cross-reference stream: the file's bytes show no name of any of them."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>", PAGES, PAGE, *extra_objects]
    header, body = [], bytearray()
    for number, obj in enumerate(objects, start=1):
        header.append(b"%d %d" % (number, len(body)))
        body += obj + b"\n"
    head = b" ".join(header) + b"\n"
    packed = zlib.compress(head + bytes(body))
    stream_no, xref_no = len(objects) + 1, len(objects) + 2
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    stream_at = len(out)
    out += b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n" % (
        stream_no, len(objects), len(head), len(packed))
    out += packed + b"\nendstream\nendobj\n"
    xref_at = len(out)
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    rows += [struct.pack(">BIH", 2, stream_no, index) for index in range(len(objects))]
    rows += [struct.pack(">BIH", 1, stream_at, 0), struct.pack(">BIH", 1, xref_at, 0)]
    table = zlib.compress(b"".join(rows))
    out += b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Filter /FlateDecode /Length %d >>\n" % (
        xref_no, xref_no + 1, len(table))
    out += b"stream\n" + table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)
