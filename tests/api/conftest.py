"""A small public catalogue for the API tests."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from marketplace.catalog.models import ProductImage
from marketplace.timeutil import local_today, utcnow
from tests import factories as f


@dataclass
class World:
    food: object
    seafood: object
    drinks: object
    ba_che: object
    bai_chay: object
    hong_gai: object
    coop: object
    company: object
    tea: object  # 5★, Ba Chẽ, drinks, 250k, newest
    cha_muc: object  # 4★, Bãi Cháy, seafood (food), 350k, bestseller
    mien: object  # 3★, Ba Chẽ, food, 60k, out of stock
    sa_sung: object  # claim pending (no public stars), Hồng Gai, seafood, 1.2M
    expired: object  # 4★ certificate expired, Bãi Cháy, food, 90k
    hidden: list  # products that must never be shown


@pytest.fixture
def world(db):
    food = f.category("Thực phẩm", "Food")
    seafood = f.category("Thủy sản chế biến", "Processed seafood", parent=food)
    drinks = f.category("Đồ uống", "Beverages")
    ba_che = f.locality("Ba Chẽ", "Ba Chẽ", "commune")
    bai_chay = f.locality("Bãi Cháy", "Hạ Long", "ward")
    hong_gai = f.locality("Hồng Gai", "Hạ Long", "ward")
    coop = f.producer("HTX Trà hoa vàng Ba Chẽ", kind="cooperative", loc=ba_che)
    company = f.producer("Công ty Chả mực Hạ Long", kind="enterprise", loc=bai_chay)
    fisher = f.producer("Hộ kinh doanh Sá sùng", kind="household", loc=hong_gai)
    unapproved = f.producer("HTX Chưa duyệt", approved=False, loc=ba_che)
    suspended = f.producer("HTX Tạm dừng", loc=ba_che, suspended_at=utcnow(), suspension_reason="kiểm tra")

    base = datetime(2025, 1, 1, tzinfo=timezone.utc)
    tea = f.product("Trà hoa vàng Ba Chẽ", price_vnd=250_000, stars=5, prod=coop, cat=drinks,
                    created_at=base + timedelta(days=5), sold_count=3, description="Trà hoa vàng sấy khô")
    cha_muc = f.product("Chả mực Hạ Long", price_vnd=350_000, stars=4, prod=company, cat=seafood,
                        created_at=base + timedelta(days=4), sold_count=50)
    mien = f.product("Miến dong Bình Liêu", price_vnd=60_000, stars=3, stock=0, prod=coop, cat=food,
                     created_at=base + timedelta(days=3), sold_count=10)
    sa_sung = f.product("Sá sùng Vân Đồn", price_vnd=1_200_000, stars=5, verified=False, prod=fisher, cat=seafood,
                        created_at=base + timedelta(days=2), sold_count=0)
    expired = f.product("Nước mắm Cái Rồng", price_vnd=90_000, stars=4, prod=company, cat=food,
                        expires_on=local_today() - timedelta(days=1), created_at=base + timedelta(days=1),
                        sold_count=7)
    hidden = [
        f.product("Bản nháp", status="draft", prod=coop, cat=food),
        f.product("Đã lưu trữ", status="archived", prod=coop, cat=food),
        f.product("Của cơ sở chưa duyệt", prod=unapproved, cat=food),
        f.product("Của cơ sở tạm dừng", prod=suspended, cat=food),
    ]
    db.session.add_all([
        ProductImage(product_id=tea.id, path="products/tra-2.jpg", position=2, alt="Hộp trà"),
        ProductImage(product_id=tea.id, path="products/tra-1.jpg", position=1, alt="Bông trà"),
    ])
    db.session.commit()
    return World(food, seafood, drinks, ba_che, bai_chay, hong_gai, coop, company, tea, cha_muc, mien, sa_sung,
                 expired, hidden)

