"""Vietnamese parcel carriers and the public tracking page of each."""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Carrier:
    code: str
    name: str
    tracking_url: str  # `{number}` is replaced by the (URL-quoted) tracking number


# GHN, GHTK, J&T and VNPost: the tracking links many public integrations use. Viettel Post:
# the page is theirs, but no parameter that pre-fills the number is confirmed (public code
# uses several); if it is ignored the shopper pastes the number shown next to the link.
CARRIERS: dict[str, Carrier] = {c.code: c for c in (
    Carrier("ghn", "Giao Hàng Nhanh (GHN)", "https://donhang.ghn.vn/?order_code={number}"),
    Carrier("viettelpost", "Viettel Post", "https://viettelpost.com.vn/tra-cuu-hanh-trinh-don/?orderNumber={number}"),
    Carrier("vnpost", "VNPost (Bưu điện Việt Nam)", "https://www.vnpost.vn/vi-vn/dinh-vi/buu-pham?key={number}"),
    Carrier("ghtk", "Giao Hàng Tiết Kiệm (GHTK)", "https://i.ghtk.vn/{number}"),
    Carrier("jt", "J&T Express", "https://jtexpress.vn/vi/tracking?type=track&billcode={number}"),
    Carrier("other", "Khác / Other", ""),
)}

TRACKING_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{3,59}$")


def carrier_name(code: str | None) -> str | None:
    carrier = CARRIERS.get(code or "")
    return carrier.name if carrier else code


def tracking_url(code: str | None, number: str | None) -> str | None:
    carrier = CARRIERS.get(code or "")
    if carrier is None or not carrier.tracking_url or not number:
        return None
    return carrier.tracking_url.format(number=quote(number, safe=""))
