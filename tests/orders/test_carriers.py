"""Links to each carrier's own public tracking page, and where an order shows them."""
from __future__ import annotations

import pytest

from marketplace.orders.carriers import CARRIERS, carrier_name, tracking_url


@pytest.mark.parametrize(("carrier", "number", "url"), [
    ("ghn", "GHN5DKX9R2", "https://donhang.ghn.vn/?order_code=GHN5DKX9R2"),
    ("ghtk", "S1234567.BO.123", "https://i.ghtk.vn/S1234567.BO.123"),
    ("jt", "860012345678", "https://jtexpress.vn/vi/tracking?type=track&billcode=860012345678"),
    ("vnpost", "EB123456789VN", "https://www.vnpost.vn/vi-vn/dinh-vi/buu-pham?key=EB123456789VN"),
    ("viettelpost", "1780123456",
     "https://viettelpost.com.vn/tra-cuu-hanh-trinh-don/?orderNumber=1780123456"),
])
def test_each_common_carrier_links_to_its_public_tracking_page(carrier, number, url):
    assert tracking_url(carrier, number) == url


def test_the_tracking_number_is_quoted_into_the_link():
    assert tracking_url("ghtk", "S1/2?x=1") == "https://i.ghtk.vn/S1%2F2%3Fx%3D1"


def test_no_link_without_a_number_or_for_another_carrier():
    assert tracking_url("ghn", None) is None and tracking_url("ghn", "") is None
    assert tracking_url("other", "ABC123") is None
    assert tracking_url("pigeon", "ABC123") is None and tracking_url(None, "ABC123") is None


def test_the_five_common_vietnamese_carriers_are_offered_by_name():
    assert {"ghn", "viettelpost", "vnpost", "ghtk", "jt"} <= set(CARRIERS)
    assert carrier_name("vnpost") == "VNPost (Bưu điện Việt Nam)"
    assert carrier_name("jt") == "J&T Express"
    assert carrier_name("unknown-code") == "unknown-code" and carrier_name(None) is None
