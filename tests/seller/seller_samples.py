"""Samples for the seller tests: real photos, hostile files, the mail outbox."""
from __future__ import annotations

import io

from PIL import Image


def image_bytes(fmt: str = "JPEG", size=(800, 600), color=(200, 120, 40), exif: bool = False) -> bytes:
    image = Image.new("RGB", size, color)
    out = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "PhoneMaker"  # Make
        data[0x0112] = 6  # Orientation: rotate 90° to be upright
        gps = {1: "N", 2: (21.0, 17.0, 0.0), 3: "E", 4: (107.0, 34.0, 0.0)}
        data[0x8825] = gps
        image.save(out, fmt, exif=data)
    else:
        image.save(out, fmt)
    return out.getvalue()


def decompression_bomb() -> bytes:
    """A PNG of 9000×9000 one-bit pixels: a few kB on disk, 81 million pixels decoded."""
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, "PNG", optimize=True)
    return out.getvalue()


SVG_WITH_SCRIPT = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
                   b'<script>alert(document.cookie)</script><rect width="100" height="100"/></svg>')


def outbox(app) -> list:
    """Messages written to the development outbox, oldest first, parsed."""
    from email import message_from_bytes, policy
    from pathlib import Path

    folder = Path(app.config["MAIL_OUTBOX_DIR"])
    files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns) if folder.exists() else []
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in files]


def clear_outbox(app) -> None:
    from pathlib import Path

    for path in Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"):
        path.unlink()


def mail_text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()
