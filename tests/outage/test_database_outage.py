"""While the database cannot be reached every request answers 503 (never 500): the API with
the error envelope and Retry-After, pages with a page of their own, /readyz as not ready,
and the payment providers' notifications with a non-2xx so that they are delivered again.
When it is back the same app serves again (no restart) and nothing was lost or half-written."""
from __future__ import annotations

import json
import threading
import time
from collections import Counter

import pytest
import sqlalchemy as sa

from tests import factories
from tests.factories import checkout_body
from tests.payments.helpers import bank_now, casso_body, casso_signature_header, sepay_body, stripe_event, \
    stripe_signature_header

from .conftest import counts

UNAVAILABLE = {"error": {"code": "service_unavailable",
                         "message": "Dịch vụ tạm thời gián đoạn. Vui lòng thử lại sau giây lát."}}


def product(within, stock: int = 10, price_vnd: int = 120_000) -> int:
    with within():
        return factories.product(stock=stock, price_vnd=price_vnd).id


def assert_unavailable(response) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)[:500]
    assert response.headers["Retry-After"] == "5"
    assert response.json == UNAVAILABLE


def test_the_api_answers_503_with_the_envelope_and_serves_again_when_the_database_is_back(database, api, within):
    item = product(within, stock=5)
    assert api.get("/api/v1/products").status_code == 200  # the pool holds a live connection

    database.cut()
    assert_unavailable(api.get("/api/v1/products"))
    assert_unavailable(api.get(f"/api/v1/products/{item}"))
    assert_unavailable(api.post("/api/v1/checkout", json=checkout_body([(item, 2)])))
    english = api.get("/api/v1/products?lang=en")
    assert english.status_code == 503
    assert english.json["error"]["message"] == "The service is briefly unavailable. Please try again in a moment."

    database.restore()  # the same app: its pool replaces the dead connections by itself
    assert api.get("/api/v1/products").json["total"] == 1
    placed = api.post("/api/v1/checkout", json=checkout_body([(item, 2)]))
    assert placed.status_code == 201, placed.json
    with within() as db:
        figures = counts(db)
    assert (figures["orders"], figures["units"], figures["stock"], figures["orders_without_lines"]) == (1, 2, 3, 0)


def test_pages_show_a_page_of_their_own_in_vietnamese_or_english(database, api, within):
    product(within)
    database.cut()
    page = api.get("/products")
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert page.headers["Retry-After"] == "5"
    html = page.get_data(as_text=True)
    assert "Sẽ trở lại ngay" in html and "Cửa hàng tạm thời gián đoạn" in html
    assert 'href="/products?"' in html  # "try again" reloads the page asked for
    assert 'href="/products?lang=en" hreflang="en" lang="en">English</a>' in html

    english = api.get("/products?lang=en").get_data(as_text=True)
    assert "Back in a moment" in english and "briefly unavailable while one of its services restarts" in english
    assert 'hreflang="vi" lang="vi">Tiếng Việt</a>' in english
    assert api.get("/").status_code == 503

    database.restore()
    assert api.get("/products").status_code == 200


def test_a_signed_in_shopper_gets_the_same_page(database, api, within):
    with within():
        shopper = factories.user()
        factories.login_as(api, shopper)
    database.cut()
    page = api.get("/orders")
    assert page.status_code == 503 and "Sẽ trở lại ngay" in page.get_data(as_text=True)
    database.restore()
    assert api.get("/orders").status_code == 200


def test_readyz_says_not_ready_while_healthz_stays_up(database, api):
    assert api.get("/readyz").json["checks"]["database"] == {"ok": True}
    database.cut()
    ready = api.get("/readyz")
    assert ready.status_code == 503 and ready.json["status"] == "unavailable"
    assert ready.json["checks"]["database"]["ok"] is False
    assert api.get("/healthz").status_code == 200  # the process is alive: no restart wanted
    database.restore()
    assert api.get("/readyz").json["checks"]["database"] == {"ok": True}


def post_sepay(api, body):
    return api.post("/payments/sepay/webhook", data=json.dumps(body), content_type="application/json",
                    headers={"Authorization": "Apikey sepay-test-key-123"})


def post_casso(api, body):
    return api.post("/payments/casso/webhook", data=json.dumps(body), content_type="application/json",
                    headers={"X-Casso-Signature": casso_signature_header(body)})


def post_stripe(api, event):
    payload = json.dumps(event)
    return api.post("/payments/stripe/webhook", data=payload, content_type="application/json",
                    headers={"Stripe-Signature": stripe_signature_header(payload)})


def test_notifications_are_refused_while_the_database_is_away_and_apply_once_when_delivered_again(
        database, api, within):
    item = product(within, price_vnd=150_000)
    first, second = (api.post("/api/v1/checkout", json=checkout_body([(item, 1)])).json["order"] for _ in range(2))
    sepay = sepay_body(first["payment"]["reference"], first["total_vnd"], txn_id=880001, when=bank_now())
    casso = casso_body(second["payment"]["reference"], second["total_vnd"], txn_id=990001, when=bank_now())
    event = stripe_event("customer.created", {"id": "cus_outage", "object": "customer"})

    database.cut()
    refused = [post_sepay(api, sepay), post_casso(api, casso), post_stripe(api, event)]
    assert [r.status_code for r in refused] == [503, 503, 503]  # the providers deliver again later
    assert all(r.json["success"] is False and r.json["error"]["code"] == "service_unavailable" for r in refused)
    assert all(r.headers["Retry-After"] == "5" for r in refused)

    database.restore()
    assert post_sepay(api, sepay).json["outcome"] == "matched"
    assert post_sepay(api, sepay).json["outcome"] == "duplicate"  # delivered twice: applied once
    assert post_casso(api, casso).json["outcome"] == "matched"
    assert post_casso(api, casso).json["outcome"] == "duplicate"
    assert post_stripe(api, event).json["outcome"] == "ignored"
    assert post_stripe(api, event).json["outcome"] == "duplicate"
    with within() as db:
        figures = counts(db)
        statuses = db.session.execute(sa.text("SELECT payment_status FROM orders")).scalars().all()
    assert statuses == ["paid", "paid"]
    assert (figures["ledger_entries"], figures["ledger"]) == (2, first["total_vnd"] + second["total_vnd"])


def test_checkouts_in_flight_when_the_database_goes_away_are_whole_or_absent(database, outage_app, within):
    """Clients check out without pause while the database goes away for a moment and comes back:
    no answer is a 500, and orders, units in their lines and stock agree exactly afterwards."""
    items = [product(within, stock=400, price_vnd=50_000 + 1000 * i) for i in range(3)]
    with within() as db:
        before = counts(db)
    answers: Counter = Counter()
    stop = threading.Event()
    lock = threading.Lock()

    def shopper(n: int) -> None:
        from tests.conftest import new_client

        client = new_client(outage_app)
        i = 0
        while not stop.is_set():
            i += 1
            response = client.post("/api/v1/checkout",
                                   json=checkout_body([(items[(n + i) % 3], 1), (items[(n + i + 1) % 3], 1)]))
            with lock:
                answers[response.status_code] += 1
            if response.status_code == 503:
                time.sleep(0.05)

    threads = [threading.Thread(target=shopper, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.0)
        database.cut()
        time.sleep(1.0)
        database.restore()
        time.sleep(1.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    database.restore()

    assert set(answers) <= {201, 503}, answers
    assert answers[503] > 0 and answers[201] > 0, answers
    with within() as db:
        after = counts(db)
        line_units = db.session.execute(sa.text(
            "SELECT count(*) FROM order_lines WHERE quantity <> 1")).scalar_one()
    sold = after["units"] - before["units"]
    assert before["stock"] - after["stock"] == sold  # every unit taken from stock is in an order line
    assert after["orders_without_lines"] == 0 and line_units == 0
    assert sold == 2 * after["orders"]
    # Each 201 is an order; a 503 may still have committed (the connection died after COMMIT).
    assert answers[201] <= after["orders"] <= answers[201] + answers[503]


def test_only_an_unreachable_or_busy_database_is_a_503_a_faulty_statement_stays_a_500():
    import sqlite3

    import psycopg

    from marketplace.errors import database_unavailable

    def wrapped(cls, orig):
        return cls("SELECT 1", {}, orig)

    assert database_unavailable(wrapped(sa.exc.OperationalError, sqlite3.OperationalError("unable to open database file")))
    assert database_unavailable(wrapped(sa.exc.OperationalError, sqlite3.OperationalError("database is locked")))
    assert database_unavailable(wrapped(sa.exc.OperationalError, psycopg.OperationalError("connection refused")))
    assert database_unavailable(wrapped(sa.exc.InterfaceError, psycopg.InterfaceError("the connection is closed")))
    assert database_unavailable(sa.exc.TimeoutError("QueuePool limit reached"))
    try:  # a wrapper raised while handling the real cause
        try:
            raise wrapped(sa.exc.OperationalError, psycopg.OperationalError("server closed the connection"))
        except sa.exc.OperationalError as exc:
            raise RuntimeError("while rendering") from exc
    except RuntimeError as exc:
        assert database_unavailable(exc)

    assert not database_unavailable(wrapped(sa.exc.OperationalError, sqlite3.OperationalError("no such table: x")))
    assert not database_unavailable(wrapped(sa.exc.IntegrityError, sqlite3.IntegrityError("UNIQUE constraint failed")))
    assert not database_unavailable(wrapped(sa.exc.ProgrammingError, psycopg.ProgrammingError("syntax error")))
    assert not database_unavailable(ValueError("bad input"))
    assert not database_unavailable(None)


def test_sqlite_a_write_lock_held_elsewhere_makes_writes_503_while_reads_go_on(database, api, within):
    """Another process (a backup, a long script) holds SQLite's write lock longer than the
    busy timeout: the checkout answers 503 and writes nothing; reads are not blocked (WAL)."""
    if database.dialect != "sqlite":
        pytest.skip("SQLite's file lock")
    import sqlite3

    from .conftest import close_connections

    item = product(within, stock=5)
    with database.app.app_context():
        engine = database.app.extensions["sqlalchemy"].engine

    def short_busy_timeout(dbapi_connection, _record):  # 30 s in production; the test has no minute to wait
        dbapi_connection.execute("PRAGMA busy_timeout=100")

    sa.event.listen(engine, "connect", short_busy_timeout)
    close_connections(database.app)
    holder = sqlite3.connect(database.path.directory / "outage.db", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        assert_unavailable(api.post("/api/v1/checkout", json=checkout_body([(item, 1)])))
        assert api.get(f"/api/v1/products/{item}").json["stock"] == 5
        holder.execute("ROLLBACK")
        assert api.post("/api/v1/checkout", json=checkout_body([(item, 1)])).status_code == 201
    finally:
        holder.close()
        sa.event.remove(engine, "connect", short_busy_timeout)
        close_connections(database.app)
    with within() as db:
        assert {k: counts(db)[k] for k in ("orders", "units", "stock")} == {"orders": 1, "units": 1, "stock": 4}


def test_postgresql_a_server_that_does_not_answer_new_connections_is_a_503_within_the_connect_timeout(
        database, api, within):
    """A new connection to a server that drops packets would wait for the kernel's retries
    (minutes) and outlive gunicorn's worker timeout; DATABASE_CONNECT_TIMEOUT_S ends it."""
    if database.dialect != "postgresql":
        pytest.skip("PostgreSQL's connect timeout")
    from .conftest import close_connections

    assert database.app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["connect_timeout"] == 5
    product(within)
    close_connections(database.app)  # a worker that has no connection yet
    database.path.proxy.hang()
    started = time.monotonic()
    assert_unavailable(api.get("/api/v1/products"))
    assert 4 < time.monotonic() - started < 15
    database.restore()
    assert api.get("/api/v1/products").json["total"] == 1
