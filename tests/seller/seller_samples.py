"""Samples for the seller tests: real photos, hostile files, the mail outbox, paid orders."""
from __future__ import annotations

import contextvars
import io
import json

from PIL import Image

from marketplace.extensions import db
from marketplace.orders.models import Order


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


# --- orders: placed through the real checkout, paid by a SePay notification -------------------

SEPAY_KEY = "sepay-key-seller-tests"


def place(items, method="vietqr"):
    """An order waiting for payment, one part per producer, placed through the real checkout and
    dated before any bank time the tests pay at (a transfer older than its order is held)."""
    from datetime import datetime, timezone

    from marketplace.timeutil import utcnow
    from tests.order_factory import place_order

    order = place_order(items, method)
    order.created_at = datetime(utcnow().year - 2, 1, 1, tzinfo=timezone.utc)
    db.session.commit()
    return order


def pay(app, order, txn_id: int, when: str = "2026-03-01 09:15:00"):
    """Pay in full (needs the `sepay` fixture) by bank transfer, as SePay notifies it;
    `when` is the bank's local transaction time, which is the order's payment time."""
    body = {"id": txn_id, "gateway": "Vietcombank", "transactionDate": when,
            "accountNumber": app.config["VIETQR_ACCOUNT_NO"], "code": None,
            "content": f"{order.payment_reference} chuyen tien", "transferType": "in",
            "transferAmount": order.total_vnd, "accumulated": 0, "subAccount": None,
            "referenceCode": f"FT{txn_id}", "description": f"{order.payment_reference} chuyen tien"}
    # A request of its own, in its own context, as the bank's server would make it.
    response = contextvars.Context().run(
        app.test_client().post, "/payments/sepay/webhook", data=json.dumps(body),
        headers={"Authorization": f"Apikey {SEPAY_KEY}"}, content_type="application/json")
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    db.session.expire_all()
    return db.session.get(Order, order.id)
