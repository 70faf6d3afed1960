"""The payment page for a shopper paying from the phone that shows the QR: the bank by name,
copy buttons, a QR image to save, the countdown and deadline in local time, the way back to
the order, nothing internal, and after payment what happens next."""
from __future__ import annotations

import csv
import re

from marketplace.payments.banks import BANKS_CSV, bank_by_bin
from tests import factories

from .helpers import make_order, post_sepay, sepay_body


def test_the_bank_list_is_data_keyed_by_napas_bin():
    with BANKS_CSV.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    bins = [row["bin"] for row in rows]
    assert len(bins) == len(set(bins)) >= 40 and all(re.fullmatch(r"\d{6}", b) for b in bins)
    assert all(row["short_name"] and row["name"] for row in rows)
    assert bank_by_bin("970436").short_name == "Vietcombank"
    assert bank_by_bin(" 970418 ").short_name == "BIDV"
    assert bank_by_bin("123456") is None and bank_by_bin(None) is None


def test_the_page_names_the_bank_and_copies_every_detail(db, client):
    shopper = factories.user()
    order = make_order(user=shopper)  # the tests' bank is 970436
    factories.login_as(client, shopper)

    html = client.get(f"/payments/orders/{order.code}").get_data(as_text=True)

    assert "Vietcombank" in html and "Ngân hàng TMCP Ngoại thương Việt Nam" in html
    assert "BIN" not in html and "970436" not in html
    copies = re.findall(r'data-copy="([^"]*)"', html)
    assert copies == ["0011004123456", "130000", order.payment_reference]
    assert re.search(rf'<a [^>]*href="[^"]*/payments/qr/{order.payment_reference}.png" '
                     rf'download="VietQR-{order.code}.png"', html)
    assert 'id="payment-countdown"' in html
    due = order.payment_due_at
    from marketplace.timeutil import to_local
    assert f"đến {to_local(due):%d/%m/%Y %H:%M}" in html
    assert f'href="/orders/{order.code}"' in html


def test_after_payment_it_says_what_happens_next_and_shows_no_internal_reference(db, client):
    shopper = factories.user()
    order = make_order(user=shopper)
    assert post_sepay(client, sepay_body(order, 130_000, txn_id=900_001, when="2025-03-01 09:15:00")).status_code == 200
    factories.login_as(client, shopper)

    html = client.get(f"/payments/orders/{order.code}").get_data(as_text=True)

    assert "Đã nhận thanh toán" in html and "Tiếp theo:" in html
    assert "01/03/2025 09:15" in html  # the bank's time, written the local way
    assert "sepay" not in html.lower() and "900001" not in html
    assert "2025-03-01" not in html.split('datetime="')[0]


def test_the_order_page_carries_the_whole_payment_panel_while_unpaid(db, client):
    shopper = factories.user()
    order = make_order(user=shopper)
    factories.login_as(client, shopper)

    html = client.get(f"/orders/{order.code}").get_data(as_text=True)

    # The shopper can pay from the order page itself: bank by name, the three copies, the QR to save.
    assert "Vietcombank" in html and "970436" not in html
    assert re.findall(r'data-copy="([^"]*)"', html) == ["0011004123456", "130000", order.payment_reference]
    assert f'download="VietQR-{order.code}.png"' in html
    assert html.count('id="payment-panel"') == 1 and 'id="payment-countdown"' in html
    assert html.count("js/payments.js") == 1  # polled once: the page reloads when the money lands
    assert "order-first" in html  # on a phone the payment comes before the items
    assert 'id="payment-next"' not in html


def test_the_order_page_says_what_happens_next_once_paid(db, client):
    shopper = factories.user()
    order = make_order(user=shopper)
    assert post_sepay(client, sepay_body(order, 130_000, txn_id=900_002, when="2025-03-01 09:15:00")).status_code == 200
    factories.login_as(client, shopper)

    html = client.get(f"/orders/{order.code}").get_data(as_text=True)

    assert 'id="payment-next"' in html and "Tiếp theo:" in html
    assert 'id="payment-panel"' not in html and "data-copy" not in html and "order-first" not in html
