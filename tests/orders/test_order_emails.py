"""Order emails, received by a real SMTP server on loopback (aiosmtpd)."""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa

from tests import factories as f
from tests.factories import checkout, place_order, reload
from marketplace.mail.models import OutgoingMail
from marketplace.orders import services
from smtp_inbox import free_port, smtp  # noqa: F401 - the fixture

PAID_AT = datetime(2026, 4, 10, 1, 30, tzinfo=timezone.utc)


def test_the_whole_journey_sends_the_right_emails(db, client, smtp):
    coop = f.producer("HTX Mật ong Ba Chẽ", email="mat-ong@htx.vn")
    other = f.producer("HTX Trà hoa vàng")  # no address of its own: its sellers are told
    seller = f.user("seller", email="ban-tra@htx.vn", producer_id=other.id)
    honey = f.product("Mật ong rừng", price_vnd=180_000, stock=5, prod=coop)
    tea = f.product("Trà hoa vàng", price_vnd=350_000, stock=5, prod=other)

    response = checkout(client, [(honey, 2), (tea, 1)])
    code = response.json["order"]["code"]
    reference = response.json["order"]["payment"]["reference"]

    [placed] = smtp.to("lan@example.vn")
    assert code in placed["Subject"]
    body = smtp.text(placed)
    assert "Mật ong rừng" in body and "× 2" in body and "360.000\u00a0₫" in body
    assert "Tổng cộng" in body and "Total" not in body  # the order was placed in Vietnamese
    assert reference in body

    order = services.get_order(code)
    services.mark_order_paid(order, PAID_AT)
    paid = smtp.to("lan@example.vn")[1]
    assert "đã thanh toán" in paid["Subject"]
    [to_coop] = smtp.to("mat-ong@htx.vn")
    assert "Mật ong rừng" in smtp.text(to_coop) and "Trà hoa vàng" not in smtp.text(to_coop)
    assert "Phường Hạ Long" in smtp.text(to_coop)  # the producer needs the address to ship
    [to_seller] = smtp.to(seller.email)
    assert "Trà hoa vàng" in smtp.text(to_seller)

    part = next(p for p in reload(order).parts if p.producer_id == coop.id)
    services.update_part_status(part, "confirmed", "seller")
    services.update_part_status(part, "shipped", "seller", carrier="viettelpost", tracking_number="1780123456")
    shipped = smtp.to("lan@example.vn")[2]
    assert "1780123456" in smtp.text(shipped)
    assert "viettelpost.com.vn" in smtp.text(shipped)

    services.update_part_status(part, "delivered", "seller")
    delivered = smtp.to("lan@example.vn")[3]
    assert "đã được giao" in smtp.text(delivered) and "delivered" not in smtp.text(delivered)

    other_part = next(p for p in reload(order).parts if p.producer_id == other.id)
    services.cancel_part(other_part, "seller", "Hết hàng")
    cancelled = smtp.to("lan@example.vn")[4]
    assert "Hết hàng" in smtp.text(cancelled)
    assert "Trà hoa vàng" in smtp.text(cancelled)
    assert len(smtp.to("lan@example.vn")) == 5


def test_cancelling_an_unpaid_order_tells_the_shopper(db, smtp):
    order = place_order([(f.product(stock=3), 1)])
    services.cancel_order(order, "shopper", "Đặt nhầm")
    subjects = [m["Subject"] for m in smtp.to("lan@example.vn")]
    assert len(subjects) == 2 and "huỷ" in subjects[1]


def test_no_email_for_a_checkout_that_failed(db, client, smtp):
    item = f.product(stock=1)
    assert checkout(client, [(item, 2)]).status_code == 409
    assert smtp.messages == []


def test_a_dead_mail_server_never_fails_the_order(db, client, app):
    saved = {k: app.config[k] for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_TIMEOUT_S")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT_S=2)  # nobody listens
    try:
        item = f.product(stock=3)
        response = checkout(client, [(item, 1)])
        assert response.status_code == 201
        order = services.get_order(response.json["order"]["code"])
        services.mark_order_paid(order, PAID_AT)
        assert reload(order).status == "paid"
    finally:
        app.config.update(saved)
    # …and the messages wait in the outbox for the next try (tests/test_mail_outbox.py)
    waiting = db.session.scalars(sa.select(OutgoingMail).order_by(OutgoingMail.id)).all()
    assert [(m.status, m.attempts) for m in waiting] == [("pending", 1)] * 2  # placed, paid
    assert order.code in waiting[0].subject
