"""Signed-out visitors are sent to log in for order pages that are not theirs to open."""
from __future__ import annotations

from tests import factories as f
from tests.factories import checkout


def test_my_orders_needs_a_login(db, client):
    response = client.get("/orders")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_someone_elses_order_page_asks_a_visitor_to_log_in(db, client, app):
    f.login_as(client, f.user())
    code = checkout(client, [(f.product(stock=3), 1)]).json["order"]["code"]
    visitor = app.test_client()
    response = visitor.get(f"/orders/{code}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert visitor.post(f"/orders/{code}/cancel").status_code == 404
