"""Product pages that sell: a swipeable photo strip with thumbnails, and a placeholder of the
product's own OCOP group (not one picture for every product without a photo)."""
from __future__ import annotations

import re

from marketplace.catalog.models import Category, ProductImage
from marketplace.extensions import db as _db
from tests import factories as f


def _group(slug: str, name: str) -> Category:
    group = Category(slug=slug, name_vi=name, name_en=name)
    _db.session.add(group)
    _db.session.commit()
    return group


def test_products_without_photos_show_their_groups_placeholder(db, client):
    food = _group("thuc-pham", "Thực phẩm")
    seafood = Category(slug="thuy-hai-san", name_vi="Thủy hải sản", name_en="Seafood", parent_id=food.id)
    tours = _group("du-lich", "Du lịch")
    _db.session.add(seafood)
    _db.session.commit()
    squid = f.product("Chả mực Hạ Long", cat=seafood)
    tour = f.product("Tour làng chài Cửa Vạn", cat=tours)
    other = f.product("Sản phẩm khác", cat=f.category("Khác", "Other"))

    assert "/static/img/placeholder-thuc-pham.svg" in client.get(f"/products/{squid.slug}").get_data(as_text=True)
    assert "/static/img/placeholder-du-lich.svg" in client.get(f"/products/{tour.slug}").get_data(as_text=True)
    assert "/static/img/placeholder.svg" in client.get(f"/products/{other.slug}").get_data(as_text=True)
    listing = client.get("/products").get_data(as_text=True)
    for name in ("placeholder-thuc-pham.svg", "placeholder-du-lich.svg", "placeholder.svg"):
        assert f"/static/img/{name}" in listing
    for slug in ("thuc-pham", "do-uong", "thao-duoc", "thu-cong-my-nghe", "sinh-vat-canh", "du-lich"):
        assert client.get(f"/static/img/placeholder-{slug}.svg").status_code == 200


def test_the_photos_are_a_strip_with_a_thumbnail_for_each(db, client):
    tea = f.product("Trà hoa vàng")
    for n in range(3):
        _db.session.add(ProductImage(product_id=tea.id, path=f"products/tra-{n}.jpg", thumb_path=f"products/tra-{n}-t.jpg",
                                     width=1200, height=900, position=n, alt=f"Trà hoa vàng, ảnh {n + 1}"))
    _db.session.commit()

    html = client.get(f"/products/{tea.slug}").get_data(as_text=True)
    strip = html[html.index('class="product-gallery"'):html.index("</div>", html.index('class="product-gallery"'))]
    assert re.findall(r'id="photo-(\d)" src="/media/products/tra-\d.jpg"', strip) == ["1", "2", "3"]
    thumbs = re.findall(r'<a href="#photo-(\d)" aria-label="Ảnh \d trên 3">\s*<img src="/media/products/tra-\d-t.jpg"', html)
    assert thumbs == ["1", "2", "3"]
