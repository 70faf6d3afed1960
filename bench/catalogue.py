"""A national-scale catalogue for the benchmarks, grown from the seed catalogue.

The country has about 16,000 OCOP products from 8,500 producers. `grow_catalogue(n)`
loads the seed (localities, OCOP groups, 432 products of Quảng Ninh) and adds copies of
its producers and products, with new slugs, tax codes and certificates, until there are
`n` products, about 1.9 per producer as nationally. Bulk inserts: 16,000 products take
seconds. Deterministic (fixed random seed).

    .venv/bin/python bench/catalogue.py --products 16000   # into $DATABASE_URL
"""
from __future__ import annotations

import argparse
import random
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

PRODUCTS_PER_PRODUCER = 16_000 / 8_500
VARIANTS = ("đặc biệt", "loại 1", "truyền thống", "hảo hạng", "gia truyền", "hữu cơ", "cao cấp", "xuất khẩu",
            "quà biếu", "túi lưới", "hộp gỗ", "mùa mới")


def grow_catalogue(target: int, progress=None) -> int:
    """Add products (and producers) until the catalogue has `target`; returns how many were added."""
    from marketplace.catalog.models import Certificate, Producer, Product
    from marketplace.catalog.seed import load_seed
    from marketplace.extensions import db
    from marketplace.timeutil import local_today, utcnow

    load_seed()
    session = db.session
    have = session.scalar(sa.select(sa.func.count(Product.id)))
    if have >= target:
        return 0
    rng = random.Random(16000)
    products = session.execute(sa.select(Product.__table__)).mappings().all()
    producers = session.execute(sa.select(Producer.__table__)).mappings().all()
    certificates = {row["product_id"]: row for row in
                    session.execute(sa.select(Certificate.__table__)).mappings().all()}
    by_producer: dict[int, list] = {}
    for row in products:
        by_producer.setdefault(row["producer_id"], []).append(row)
    next_product = session.scalar(sa.select(sa.func.max(Product.id))) + 1
    next_producer = session.scalar(sa.select(sa.func.max(Producer.id))) + 1
    next_certificate = (session.scalar(sa.select(sa.func.max(Certificate.id))) or 0) + 1
    today, now = local_today(), utcnow()
    new_producers, new_products, new_certificates = [], [], []
    copy = 0
    while have + len(new_products) < target:
        copy += 1
        template = rng.choice(producers)
        producer_id = next_producer
        next_producer += 1
        new_producers.append({**template, "id": producer_id, "slug": f"{template['slug']}-{copy}",
                              "name": f"{template['name']} {copy}",
                              "tax_code": f"{8000000000 + producer_id}", "created_at": now, "updated_at": now,
                              "sample": True})  # generated copies, never the public record
        sources = by_producer.get(template["id"]) or [rng.choice(products)]
        count = max(1, round(rng.gauss(PRODUCTS_PER_PRODUCER, 0.8)))
        for n in range(count):
            source = sources[n % len(sources)]
            variant = VARIANTS[(copy + n) % len(VARIANTS)]
            product_id = next_product
            next_product += 1
            new_products.append({**source, "id": product_id, "producer_id": producer_id,
                                 "slug": f"{source['slug']}-{copy}-{n}", "name": f"{source['name']} {variant}",
                                 "price_vnd": max(10_000, source["price_vnd"] + rng.randrange(-20, 21) * 1000),
                                 "stock": rng.choice((0, 5, 20, 50, 120, 400)),
                                 "sold_count": rng.randrange(0, 500), "created_at": now - timedelta(minutes=product_id),
                                 "updated_at": now, "sample": True, "source": None})
            cert = certificates.get(source["id"])
            if cert is not None:
                issued = today - timedelta(days=rng.randrange(30, 900))
                new_certificates.append({**cert, "id": next_certificate, "product_id": product_id,
                                         "certificate_no": f"BENCH-{next_certificate:06d}", "issued_on": issued,
                                         "expires_on": Certificate.default_expiry(issued),
                                         "created_at": now, "updated_at": now})
                next_certificate += 1
            if have + len(new_products) >= target:
                break
    batch = 2000
    steps = [(Producer.__table__, new_producers), (Product.__table__, new_products),
             (Certificate.__table__, new_certificates)]
    for table, rows in steps:
        for start in range(0, len(rows), batch):
            session.execute(table.insert(), rows[start:start + batch])
            if progress:
                progress(min(batch, len(rows) - start))
    if session.get_bind().dialect.name == "postgresql":
        for table in ("producers", "products", "certificates"):
            session.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"(SELECT max(id) FROM {table}))"))
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))
    from marketplace.cache import bump_version

    bump_version()
    return len(new_products)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=16_000)
    args = parser.parse_args()
    from marketplace import create_app

    app = create_app()
    with app.app_context():
        added = grow_catalogue(args.products)
    print(f"added {added} products")


if __name__ == "__main__":
    main()
