"""What one checkout costs the database, pinned so it cannot creep up.

A checkout is one transaction: read the products, write the order, its parts, lines,
history and VietQR payment attempt, reserve each product's stock with a conditional
UPDATE, bump the catalogue version (product pages show the stock left), commit, all in
the one transaction; the confirmation email is in the outbox with the order.
No SELECT ... FOR UPDATE, no read-back of what was just written, and the search
index is only touched when a product sells out.
"""
from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa

from tests import factories as f
from tests.factories import checkout, checkout_body, stock_of
from marketplace.accounts.services import issue_token
from marketplace.catalog.listing import BrowseParams, browse
from marketplace.extensions import db
from marketplace.orders.models import Order
from marketplace.payments.models import PaymentAttempt

IGNORED = ("BEGIN", "COMMIT", "ROLLBACK")


@pytest.fixture(autouse=True)
def _production_limits(hold_limits):
    """Count what a checkout costs with the limits on unpaid orders on, as deployed."""


def _shape(statements: list[str]) -> Counter:
    """(verb, table) of each statement: ('INSERT', 'order_lines'), ('UPDATE', 'products'), …;
    a WITH statement is named by its first CTE: ('WITH', 'new_order')."""
    shapes = Counter()
    for text in statements:
        words = text.replace("(", " ").replace('"', "").split()
        verb = words[0].upper()
        if verb in IGNORED:
            continue
        if verb == "WITH":
            table = words[1]
        elif verb == "SELECT":
            table = words[words.index("FROM") + 1] if "FROM" in words else "?"
        elif verb == "INSERT":
            table = words[2]
        else:  # UPDATE table / DELETE FROM table
            table = words[2] if verb == "DELETE" else words[1]
        shapes[(verb, table)] += 1
    return shapes


def _order_rows() -> dict:
    if db.engine.dialect.name == "postgresql":
        # The order, both parts, every line, the first history rows and the VietQR attempt,
        # in one statement of data-modifying CTEs (marketplace/checkout/rows.py).
        return {("WITH", "new_order"): 1}
    return {
        ("INSERT", "orders"): 1,
        ("INSERT", "order_parts"): 1,       # both parts in one statement
        ("INSERT", "order_lines"): 1,       # every line in one statement
        ("INSERT", "order_events"): 1,      # the order's and each part's first history row
        ("INSERT", "payment_attempts"): 1,  # the VietQR attempt, in the same transaction
    }


def _writes_of_a_two_producer_order() -> dict:
    return {
        ("SELECT", "orders"): 1,            # the contact's and client's unpaid orders (checkout/limits.py)
        **_order_rows(),
        ("UPDATE", "products"): 2,          # one conditional UPDATE ... RETURNING per product
        ("INSERT", "outgoing_mail"): 1,     # the confirmation, in the outbox with the order
        # MAIL_DELIVERY=inline (the tests' setting): sent after the commit, then marked sent
        ("UPDATE", "outgoing_mail"): 1,
    }


def _two_producer_basket() -> dict:
    honey = f.product("Mật ong", price_vnd=150_000, stock=10, prod=f.producer("HTX Ba Chẽ"))
    tea = f.product("Trà hoa vàng", price_vnd=200_000, stock=10, prod=f.producer("HTX Đầm Hà"))
    return {"honey": honey, "tea": tea, "ids": (honey.id, tea.id)}


def test_a_guest_checkout_reads_the_products_once_and_writes_in_one_statement_per_table(db, client,
                                                                                      query_counter):
    basket = _two_producer_basket()
    honey, tea = basket["ids"]
    with query_counter() as q:
        response = checkout(client, [(honey, 1), (tea, 2)])
    assert response.status_code == 201, response.json
    assert _shape(q.statements) == Counter({("SELECT", "products"): 1, **_writes_of_a_two_producer_order()})
    # …and the answer, built without reading anything back, is the whole order.
    order = response.json["order"]
    assert [len(p["items"]) for p in order["parts"]] == [1, 1]
    assert [p["history"][0]["status"] for p in order["parts"]] == ["pending", "pending"]
    assert order["history"][0]["status"] == "pending_payment"
    assert response.json["payment"]["vietqr"]["reference"] == order["payment"]["reference"]
    assert (stock_of(basket["honey"]), stock_of(basket["tea"])) == (9, 8)
    attempt = db.session.scalar(sa.select(PaymentAttempt))
    assert attempt.status == "pending" and attempt.amount_vnd == order["total_vnd"]
    assert attempt.order_id == db.session.scalar(sa.select(Order.id).where(Order.code == order["code"]))


def test_a_signed_in_checkout_adds_only_the_token_lookup(db, client, query_counter):
    honey, tea = _two_producer_basket()["ids"]
    token = issue_token(f.user(), "app")
    with query_counter() as q:
        response = client.post("/api/v1/checkout", headers={"Authorization": f"Bearer {token}"},
                               json=checkout_body([(honey, 1), (tea, 2)]))
    assert response.status_code == 201, response.json
    assert response.json["order"]["history"][0]["status"] == "pending_payment"
    # the user, joined to its live token in one query
    assert _shape(q.statements) == Counter({("SELECT", "users"): 1, ("SELECT", "products"): 1,
                                            **_writes_of_a_two_producer_order()})


def test_short_stock_is_refused_after_one_read_with_nothing_written(db, client, query_counter):
    basket = _two_producer_basket()
    honey, tea = basket["ids"]
    with query_counter() as q:
        response = checkout(client, [(honey, 1), (tea, 11)])
    assert response.status_code == 409
    assert response.json["error"]["product_id"] == tea and response.json["error"]["available"] == 10
    assert _shape(q.statements) == Counter({("SELECT", "products"): 1})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0
    assert (stock_of(basket["honey"]), stock_of(basket["tea"])) == (10, 10)


def _found_in_stock(q: str) -> list[int]:
    return [p.id for p in browse(BrowseParams(q=q, in_stock=True)).items]


def test_the_search_index_follows_a_product_that_sells_out(db, client):
    # (The statement counts above show it is left alone otherwise: following a change
    # would re-read the product after the commit.)
    basket = _two_producer_basket()
    honey, tea = basket["ids"]
    assert _found_in_stock("mat ong") == [honey] and _found_in_stock("tra hoa vang") == [tea]
    assert checkout(client, [(honey, 3), (tea, 10)]).status_code == 201
    assert _found_in_stock("mat ong") == [honey]
    assert _found_in_stock("tra hoa vang") == []
    assert [p.id for p in browse(BrowseParams(q="tra hoa vang", in_stock=False)).items] == [tea]
