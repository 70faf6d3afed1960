"""Links to each carrier's own public tracking page, and where an order shows them."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests import factories as f
from tests.factories import checkout, reload
from marketplace.orders import services

from marketplace.orders.carriers import CARRIERS, carrier_name, tracking_url


@pytest.mark.parametrize(("carrier", "number", "url"), [
    ("ghn", "GHN5DKX9R2", "https://donhang.ghn.vn/?order_code=GHN5DKX9R2"),
    ("ghtk", "S1234567.BO.123", "https://i.ghtk.vn/S1234567.BO.123"),
    ("jt", "860012345678", "https://jtexpress.vn/vi/tracking?type=track&billcode=860012345678"),  # no phone known
    ("vnpost", "EB123456789VN", "https://www.vnpost.vn/vi-vn/dinh-vi/buu-pham?key=EB123456789VN"),
    ("viettelpost", "1780123456",
     "https://viettelpost.com.vn/tra-cuu-hanh-trinh-don/?billcode=1780123456"),
])
def test_each_common_carrier_links_to_its_public_tracking_page(carrier, number, url):
    assert tracking_url(carrier, number) == url


def test_jt_links_carry_the_last_four_digits_of_the_receivers_phone():
    # J&T Express Vietnam's public tracking shows a parcel's journey only with these four digits.
    assert tracking_url("jt", "860012345678", "+84 912 345 678") == (
        "https://jtexpress.vn/vi/tracking?type=track&billcode=860012345678&cellphone=5678")
    assert tracking_url("jt", "860012345678", "12") == (
        "https://jtexpress.vn/vi/tracking?type=track&billcode=860012345678")


def test_other_carriers_never_receive_the_phone():
    for code in ("ghn", "ghtk", "vnpost", "viettelpost"):
        assert "5678" not in tracking_url(code, "ABC123", "0912345678")


def test_the_tracking_number_is_quoted_into_the_link():
    assert tracking_url("ghtk", "S1/2?x=1") == "https://i.ghtk.vn/S1%2F2%3Fx%3D1"
    assert tracking_url("viettelpost", "17&x=1") == "https://viettelpost.com.vn/tra-cuu-hanh-trinh-don/?billcode=17%26x%3D1"


def test_no_link_without_a_number_or_for_another_carrier():
    assert tracking_url("ghn", None) is None and tracking_url("ghn", "") is None
    assert tracking_url("other", "ABC123") is None
    assert tracking_url("pigeon", "ABC123") is None and tracking_url(None, "ABC123") is None


def test_the_five_common_vietnamese_carriers_are_offered_by_name():
    assert {"ghn", "viettelpost", "vnpost", "ghtk", "jt"} <= set(CARRIERS)
    assert carrier_name("vnpost") == "VNPost (Bưu điện Việt Nam)"
    assert carrier_name("jt") == "J&T Express"
    assert carrier_name("unknown-code") == "unknown-code" and carrier_name(None) is None


def test_an_order_shipped_by_jt_links_with_the_receivers_digits_in_the_api_and_on_the_page(db, client, app):
    item = f.product("Trà hoa vàng", stock=5)
    code = checkout(client, [(item, 1)]).json["order"]["code"]
    order = services.get_order(code)
    services.mark_order_paid(order, datetime(2026, 4, 10, 1, 30, tzinfo=timezone.utc))
    part = reload(order).parts[0]
    services.update_part_status(part, "confirmed", "admin")
    services.update_part_status(part, "shipped", "admin", carrier="jt", tracking_number="860012345678")
    expected = "https://jtexpress.vn/vi/tracking?type=track&billcode=860012345678&cellphone=5678"

    tracked = app.test_client().get(f"/api/v1/track/{code}?phone=0912345678").json
    assert tracked["parts"][0]["tracking"]["url"] == expected

    page = client.get(f"/orders/{code}").get_data(as_text=True)
    assert expected.replace("&", "&amp;") in page
