"""A recall reaches exactly the buyers of the lot (by email, through the outbox, received by a
real SMTP server on loopback), the passport shows it at once, and the admin sees who was told."""
from __future__ import annotations

import factories
from smtp_inbox import smtp  # noqa: F401 - the fixture
from trace_helpers import make_lot, order_of

SHIP = {"status": "shipped", "carrier": "ghn", "tracking_number": "GHN12345678"}


def _ship(client, order, lot):
    part, line = order.parts[0], order.parts[0].lines[0]
    response = client.patch(f"/api/v1/seller/order-parts/{part.id}", json={
        **SHIP, "lots": [{"line_id": line.id, "lots": [{"lot_id": lot.id, "quantity": line.quantity}]}]})
    assert response.status_code == 200, response.get_json()


def test_an_admin_recall_emails_exactly_the_buyers_and_the_admin_sees_who_was_told(client, db, smtp, seller, honey):
    bad, good = make_lot(honey, code="BAD-1"), make_lot(honey, code="GOOD-1")
    buyers = [factories.user("shopper", email=f"khach{n}@example.vn") for n in range(3)]
    orders = [order_of(buyer, honey, quantity=2) for buyer in buyers]
    factories.login_as(client, seller.user)
    for order, lot in zip(orders, (bad, bad, good)):
        _ship(client, order, lot)
    client.post("/logout")
    smtp.messages.clear()  # the shipping notices

    admin = factories.user("admin", email="thanhtra@ocop.vn")
    factories.login_as(client, admin)
    assert client.post(f"/admin/lots/{bad.id}/recall", data={"reason": "Phát hiện nấm mốc"}).status_code == 302

    told = sorted(address for rcpts, _m in smtp.messages for address in rcpts)
    assert told == ["khach0@example.vn", "khach1@example.vn"]
    [message] = smtp.to("khach0@example.vn")
    assert "BAD-1" in message["Subject"] and "Phát hiện nấm mốc" in smtp.text(message)

    passport = client.get(f"/lots/{bad.id}").get_data(as_text=True)
    assert 'data-warning="recalled"' in passport and "Phát hiện nấm mốc" in passport
    assert 'data-warning="recalled"' not in client.get(f"/lots/{good.id}").get_data(as_text=True)

    page = client.get("/admin/recalls")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'data-lot="{bad.id}"' in html and f'data-lot="{good.id}"' not in html
    assert "khach0@example.vn, khach1@example.vn" in html and "khach2@example.vn" not in html
    assert "thanhtra@ocop.vn" in html


def test_the_recalls_page_is_for_admins_only(client, db, seller):
    factories.login_as(client, seller.user)
    assert client.get("/admin/recalls").status_code == 403


def test_a_producer_recalls_only_its_own_lots(client, db, seller, other_seller, honey):
    lot = make_lot(honey)
    factories.login_as(client, other_seller.user)
    assert client.post(f"/seller/lots/{lot.id}/recall", data={"reason": "x"}).status_code == 404
    assert client.post(f"/api/v1/seller/lots/{lot.id}/recall", json={"reason": "x"}).status_code == 404
    assert client.post(f"/admin/lots/{lot.id}/recall", data={"reason": "x"}).status_code == 403
    db.session.refresh(lot)
    assert not lot.recalled


def test_the_recalls_page_takes_a_constant_number_of_queries(client, db, honey, query_counter):
    admin = factories.user("admin")
    factories.login_as(client, admin)
    from marketplace.traceability.recalls import recall

    def recall_lots(n):
        for i in range(n):
            recall(make_lot(honey, code=f"R-{n}-{i}"), admin, "Kiểm tra")

    recall_lots(1)
    with query_counter() as few:
        assert client.get("/admin/recalls").status_code == 200
    recall_lots(5)
    with query_counter() as many:
        assert client.get("/admin/recalls").status_code == 200
    assert many.count == few.count
