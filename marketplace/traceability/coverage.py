"""The province's coverage indicator: share of active products with a current lot passport."""
from __future__ import annotations

import sqlalchemy as sa

from ..catalog.models import Category, Locality, Producer, Product
from ..extensions import db
from ..timeutil import local_today
from .models import Lot

def coverage() -> dict:
    """Share of active products with a current lot passport (a lot neither recalled nor past its
    best-before), for the province, by locality (the producer's region) and by product group
    (top-level category). Two queries."""
    today = local_today()
    current = sa.exists().where(Lot.product_id == Product.id, Lot.recalled_at.is_(None), Lot.best_before >= today)
    group_id = sa.func.coalesce(Category.parent_id, Category.id)
    rows = db.session.execute(
        sa.select(Locality.region_slug, Locality.region, group_id, sa.func.count(Product.id),
                  sa.func.sum(sa.case((current, 1), else_=0)))
        .join(Producer, Producer.id == Product.producer_id).join(Locality, Locality.id == Producer.locality_id)
        .join(Category, Category.id == Product.category_id).where(Product.status == "active")
        .group_by(Locality.region_slug, Locality.region, group_id)).all()
    groups = {gid: (slug, vi, en) for gid, slug, vi, en in db.session.execute(
        sa.select(Category.id, Category.slug, Category.name_vi, Category.name_en).where(Category.parent_id.is_(None)))}
    by_region: dict[str, dict] = {}
    by_group: dict[str, dict] = {}
    total = {"products": 0, "with_passport": 0}
    for region_slug, region, gid, products, covered in rows:
        covered = int(covered or 0)
        slug, vi, en = groups.get(gid, (str(gid), str(gid), str(gid)))
        for bucket, key, base in ((by_region, region_slug, {"slug": region_slug, "name": region}),
                                  (by_group, slug, {"slug": slug, "name_vi": vi, "name_en": en})):
            row = bucket.setdefault(key, {**base, "products": 0, "with_passport": 0})
            row["products"] += products
            row["with_passport"] += covered
        total["products"] += products
        total["with_passport"] += covered

    def share(row: dict) -> dict:
        row["share_percent"] = round(100 * row["with_passport"] / row["products"], 1) if row["products"] else None
        return row

    def ordered(bucket: dict) -> list[dict]:
        return sorted((share(row) for row in bucket.values()), key=lambda r: (-(r["share_percent"] or 0), r["slug"]))

    return {"as_of": today.isoformat(), "definition": "active products with a lot that is neither recalled nor "
                                                      "past its best-before",
            "total": share(total), "by_locality": ordered(by_region), "by_group": ordered(by_group)}
