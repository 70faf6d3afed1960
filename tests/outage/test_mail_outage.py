"""The mail server is down: orders and payments go on, their messages wait in the outbox, and
they leave, each once, when the server is back."""
from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from marketplace.mail import outbox
from marketplace.mail.models import OutgoingMail
from marketplace.timeutil import utcnow
from smtp_inbox import free_port, smtp  # noqa: F401 - the fixture
from tests import factories
from tests.factories import checkout_body
from tests.payments.helpers import ACCOUNT_NO, SEPAY_KEY, bank_now, sepay_body


def messages(db) -> list[OutgoingMail]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutgoingMail).order_by(OutgoingMail.id)))


def test_orders_and_payments_go_on_while_the_mail_server_is_down_and_their_messages_leave_later(
        app, client, db, smtp):
    saved = {k: app.config[k] for k in ("MAIL_PORT", "SEPAY_API_KEY", "VIETQR_ACCOUNT_NO", "MAIL_TIMEOUT_S")}
    live_port = app.config["MAIL_PORT"]
    app.config.update(MAIL_PORT=free_port(), MAIL_TIMEOUT_S=2, SEPAY_API_KEY=SEPAY_KEY, VIETQR_ACCOUNT_NO=ACCOUNT_NO)
    try:
        item = factories.product(stock=5, price_vnd=90_000)
        placed = client.post("/api/v1/checkout", json=checkout_body([(item, 1)]))
        assert placed.status_code == 201, placed.json
        order = placed.json["order"]
        paid = client.post("/payments/sepay/webhook", content_type="application/json",
                           data=json.dumps(sepay_body(order["payment"]["reference"], order["total_vnd"], 771,
                                                           when=bank_now())),
                           headers={"Authorization": f"Apikey {SEPAY_KEY}"})
        assert paid.status_code == 200 and paid.json["outcome"] == "matched"
        waiting = messages(db)
        assert len(waiting) >= 2 and smtp.messages == []  # the order's and the payment's messages
        assert all(m.status == "pending" and "ConnectionRefusedError" in m.last_error for m in waiting)

        app.config["MAIL_PORT"] = live_port  # the server is back
        assert outbox.deliver_due(now=utcnow() + timedelta(minutes=2)) == {"sent": len(waiting)}
        assert [m.status for m in messages(db)] == ["sent"] * len(waiting)
        assert sorted(m["Message-ID"] for _to, m in smtp.messages) == sorted(m.message_id for m in waiting)
        assert len(smtp.to("lan@example.vn")) >= 2
        assert outbox.deliver_due(now=utcnow() + timedelta(hours=1)) == {}  # nothing leaves twice
    finally:
        app.config.update(saved)
