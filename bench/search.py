"""Search benchmark: a national-scale catalogue, a fixed query mix, latency per backend.

    .venv/bin/python bench/search.py                      # Whoosh (+ SQLite FTS5 reference)
    .venv/bin/python bench/search.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/bench_search

Generates N products (default 20,000; Vietnam has about 16,000 OCOP products) with
Vietnamese names, descriptions, producers and communes, builds each backend's index
from the database, then times `browse()` — the first page (20 products loaded) with
facets, exactly what the shop page and GET /api/v1/products do — for every query of
the mix, several rounds, and prints the median and p95 per backend. SQLite FTS5
(`unicode61 remove_diacritics 2`) answers the same queries (MATCH, bm25 order, count,
three facet GROUP BYs) as a reference. The PostgreSQL database given is emptied, unless
`--keep-data` finds it already holding this many products with its search rows (then it is
only migrated, vacuumed and timed: a 200,000-product build takes minutes).
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

BASES = [
    ("Mật ong rừng", "honey"), ("Mật ong hoa nhãn", "honey"), ("Trà hoa vàng", "tea"), ("Trà xanh", "tea"),
    ("Trà túi lọc hoa vàng", "tea"), ("Chè Đường Hoa", "tea"), ("Chả mực", "seafood"), ("Sá sùng khô", "seafood"),
    ("Nước mắm", "sauce"), ("Mắm tôm", "sauce"), ("Hàu sữa", "seafood"), ("Ngán", "seafood"),
    ("Tôm he", "seafood"), ("Cá thu một nắng", "seafood"), ("Hải sâm", "seafood"), ("Rượu ba kích", "wine"),
    ("Rượu mơ", "wine"), ("Rượu nếp cái hoa vàng", "wine"), ("Ba kích tím", "herb"), ("Sâm cau", "herb"),
    ("Nấm linh chi", "herb"), ("Tinh dầu quế", "oil"), ("Dầu sở", "oil"), ("Miến dong", "food"),
    ("Bánh gai", "food"), ("Bánh đa", "food"), ("Bánh chưng", "food"), ("Gạo nếp cái hoa vàng", "food"),
    ("Khoai sọ", "food"), ("Giò chả", "food"), ("Rau sắng", "food"), ("Lạc rang", "food"),
    ("Khăn thêu", "craft"), ("Nón lá", "craft"), ("Gốm Đông Triều", "craft"), ("Chiếu cói", "craft"),
]
QUALIFIERS = ["thượng hạng", "đặc biệt", "loại 1", "truyền thống", "hữu cơ", "nguyên chất", "sấy khô", "tươi",
              "đóng hộp", "quà tặng", "túi zip", "hộp gỗ", "đặc sản", "gia truyền", "cao cấp", ""]
PLACES = [("Ba Chẽ", "Ba Chẽ"), ("Bãi Cháy", "Hạ Long"), ("Hồng Gai", "Hạ Long"), ("Hoành Bồ", "Hạ Long"),
          ("Vân Đồn", "Vân Đồn"), ("Quan Lạn", "Vân Đồn"), ("Cô Tô", "Cô Tô"), ("Móng Cái 1", "Móng Cái"),
          ("Hải Hòa", "Móng Cái"), ("Đầm Hà", "Đầm Hà"), ("Quảng Hà", "Hải Hà"), ("Tiên Yên", "Tiên Yên"),
          ("Bình Liêu", "Bình Liêu"), ("Quảng Yên", "Quảng Yên"), ("Uông Bí", "Uông Bí"),
          ("Đông Triều", "Đông Triều"), ("Mạo Khê", "Đông Triều"), ("Cẩm Phả", "Cẩm Phả"),
          ("Hà Tu", "Hạ Long"), ("Đường Hoa", "Hải Hà")]
SENTENCES = [
    "Sản phẩm OCOP {stars} sao của tỉnh Quảng Ninh, làm theo công thức gia truyền.",
    "Nguyên liệu chọn lọc từ vùng {place}, không chất bảo quản.",
    "{base} có hương vị thơm ngon, đậm đà, thích hợp làm quà biếu.",
    "Đóng gói hút chân không, bảo quản nơi khô ráo, thoáng mát.",
    "Được người tiêu dùng tin dùng, đạt chứng nhận vệ sinh an toàn thực phẩm.",
    "Mỗi mẻ đều được kiểm tra kỹ trước khi giao đến tay khách hàng.",
    "Thu hoạch theo mùa, chế biến thủ công bởi bà con hợp tác xã.",
    "Dùng kèm trà, mật ong hoặc làm gia vị cho các món ăn truyền thống.",
]
PRODUCER_WORDS = ["Hưng Thịnh", "Đồng Tâm", "Phú Hải", "Thành Đạt", "Hạ Long Xanh", "Biển Bạc", "Tân Tiến",
                  "Sao Vàng", "Hoa Sen", "Ánh Dương", "Phúc Lộc", "Bình An", "Kim Long", "Quang Minh"]
CATEGORIES = {  # leaf -> (group slug, group name, leaf name)
    "honey": ("food-group", "Thực phẩm", "Mật ong"), "tea": ("drinks", "Đồ uống", "Trà"),
    "seafood": ("food-group", "Thực phẩm", "Thủy sản"), "sauce": ("food-group", "Thực phẩm", "Nước chấm"),
    "wine": ("drinks", "Đồ uống", "Rượu"), "herb": ("herbal", "Dược liệu", "Dược liệu"),
    "oil": ("herbal", "Dược liệu", "Tinh dầu"), "food": ("food-group", "Thực phẩm", "Đặc sản khô"),
    "craft": ("crafts", "Thủ công mỹ nghệ", "Thủ công"),
}

# (label, browse parameters): accented, unaccented, phrases, producer/place, filters, sorts, typos.
QUERIES = [
    ("accented phrase", {"q": "mật ong rừng"}),
    ("unaccented phrase", {"q": "mat ong rung"}),
    ("accented", {"q": "trà hoa vàng"}),
    ("unaccented", {"q": "tra hoa vang"}),
    ("d-stroke", {"q": "banh da"}),
    ("two words", {"q": "cha muc"}),
    ("place", {"q": "dac san ha long"}),
    ("producer", {"q": "htx dong tam"}),
    ("one common word", {"q": "tra"}),
    ("filter stars", {"q": "mat ong", "stars": [4, 5]}),
    ("filter category", {"q": "ruou", "category": "drinks"}),
    ("filter price", {"q": "nuoc mam", "price_min": 50_000, "price_max": 200_000}),
    ("filter place+stock", {"q": "tra", "locality": "hai-ha", "in_stock": True}),
    ("sort price", {"q": "sa sung", "sort": "price_asc"}),
    ("sort bestselling", {"q": "qua tang", "sort": "bestselling"}),
    ("typo", {"q": "tra hoa vabg ba che"}),
    ("typo 2", {"q": "mat ogn rung"}),
]


def slug(text: str) -> str:
    from marketplace.validators import slugify

    return slugify(text)


def generate(engine, n: int, seed: int = 20251) -> None:
    """Fill an empty, migrated database with n products (plain INSERTs: fast, no index events)."""
    rng = random.Random(seed)
    now = datetime(2026, 1, 1, tzinfo=timezone.utc).replace(tzinfo=None)
    today = date.today()
    with engine.begin() as conn:
        loc_ids = {}
        for i, (name, region) in enumerate(PLACES, 1):
            conn.execute(sa.text("INSERT INTO localities (id, slug, name, kind, region, region_slug, province) "
                                 "VALUES (:i, :s, :n, 'commune', :r, :rs, 'Quảng Ninh')"),
                         {"i": i, "s": slug(name), "n": name, "r": region, "rs": slug(region)})
            loc_ids[name] = i
        cat_ids, next_id = {}, 1
        for leaf, (group, group_name, leaf_name) in CATEGORIES.items():
            if group not in cat_ids:
                conn.execute(sa.text("INSERT INTO categories (id, slug, name_vi, name_en, parent_id, position) "
                                     "VALUES (:i, :s, :n, :s, NULL, 0)"), {"i": next_id, "s": group, "n": group_name})
                cat_ids[group] = next_id
                next_id += 1
            conn.execute(sa.text("INSERT INTO categories (id, slug, name_vi, name_en, parent_id, position) "
                                 "VALUES (:i, :s, :n, :s, :p, 0)"),
                         {"i": next_id, "s": leaf, "n": leaf_name, "p": cat_ids[group]})
            cat_ids[leaf] = next_id
            next_id += 1
        producers = []
        for i in range(1, n // 10 + 1):
            place = rng.choice(PLACES)[0]
            kind, prefix = rng.choice([("cooperative", "HTX"), ("enterprise", "Công ty TNHH"),
                                       ("household", "Hộ kinh doanh"), ("cooperative_group", "Tổ hợp tác")])
            name = f"{prefix} {rng.choice(PRODUCER_WORDS)} {place}"
            producers.append({"id": i, "slug": f"{slug(name)}-{i}", "name": name, "kind": kind,
                              "loc": loc_ids[place], "approved": rng.random() > 0.03, "now": now})
        conn.execute(sa.text(
            "INSERT INTO producers (id, slug, name, kind, locality_id, address, description, approved, "
            "created_at, updated_at) VALUES (:id, :slug, :name, :kind, :loc, '', '', :approved, :now, :now)"),
            producers)
        products, certificates = [], []
        for i in range(1, n + 1):
            base, leaf = rng.choice(BASES)
            producer = rng.choice(producers)
            place = PLACES[producer["loc"] - 1][0]
            parts = [base, rng.choice(QUALIFIERS), place if rng.random() < 0.5 else ""]
            name = " ".join(p for p in parts if p)
            stars = rng.choice([3, 3, 4, 4, 4, 5])
            description = " ".join(s.format(stars=stars, place=place, base=base)
                                   for s in rng.sample(SENTENCES, rng.randint(2, 4)))
            products.append({
                "id": i, "slug": f"{slug(name)}-{i}", "name": name, "description": description,
                "unit": rng.choice(["hộp 500 g", "chai 500 ml", "túi 1 kg", "hộp quà"]),
                "price": rng.randrange(30_000, 1_500_000, 1000), "stock": rng.choice([0, 5, 20, 100, 300]),
                "status": "active" if rng.random() > 0.05 else "archived", "cat": cat_ids[leaf],
                "producer": producer["id"], "sold": rng.randint(0, 500),
                "created": now - timedelta(minutes=n - i),
            })
            if rng.random() < 0.75:
                issued = today - timedelta(days=rng.randint(30, 1200))
                certificates.append({"id": len(certificates) + 1, "pid": i, "stars": stars, "no": f"QN-{i:05d}",
                                     "issued": issued, "expires": issued + timedelta(days=1095),
                                     "verified": rng.random() > 0.1, "now": now})
        conn.execute(sa.text(
            "INSERT INTO products (id, slug, name, description, unit, price_vnd, stock, status, category_id, "
            "producer_id, sold_count, created_at, updated_at) VALUES (:id, :slug, :name, :description, :unit, "
            ":price, :stock, :status, :cat, :producer, :sold, :created, :created)"), products)
        conn.execute(sa.text(
            "INSERT INTO certificates (id, product_id, stars, certificate_no, level, issued_on, expires_on, verified, "
            "created_at, updated_at) VALUES (:id, :pid, :stars, :no, 'province', :issued, :expires, :verified, "
            ":now, :now)"), certificates)
        if conn.dialect.name == "postgresql":
            for table in ("localities", "categories", "producers", "products", "certificates"):
                conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT max(id) FROM {table}))"))


def make_app(url: str, index_dir: str, backend: str):
    from marketplace import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SEARCH_INDEX_DIR": index_dir, "SEARCH_BACKEND": backend,
                      "SERVER_NAME": "localhost"})
    return app


def reset_and_migrate(app) -> None:
    from flask_migrate import upgrade

    from marketplace.extensions import db

    with app.app_context():
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def time_backend(app, rounds: int, whole_page: bool) -> tuple[list[float], dict]:
    """Latencies of the search backend alone (ranked page ids, total, facets, did-you-mean),
    or of the whole `browse()` (plus loading the page's 20 products with the ORM)."""
    from marketplace.catalog.listing import BrowseParams, browse
    from marketplace.extensions import db
    from marketplace.search import get_backend

    def run(params):
        return browse(params) if whole_page else get_backend().search(params)

    samples, per_query = [], {}
    with app.test_request_context():
        for _label, params in QUERIES:  # warm-up: caches, searchers, prepared plans
            run(BrowseParams(**params))
        for _ in range(rounds):
            for label, params in QUERIES:
                start = time.perf_counter()
                result = run(BrowseParams(**params))
                elapsed = (time.perf_counter() - start) * 1000
                samples.append(elapsed)
                per_query.setdefault(label, []).append((elapsed, result.total, result.suggestion))
        db.session.remove()
    return samples, per_query


FTS_FILTERS = {
    "stars": "stars IN ({})", "category": "(category = :category OR category_group = :category)",
    "locality": "(locality = :locality OR region = :locality)",
}


def build_fts(sqlite_path: str) -> sqlite3.Connection:
    """The FTS5 reference: one table of folded-by-SQLite text plus the filter columns."""
    conn = sqlite3.connect(sqlite_path)
    conn.executescript("""
        DROP TABLE IF EXISTS fts; DROP TABLE IF EXISTS fts_docs;
        CREATE VIRTUAL TABLE fts USING fts5(name, description, meta, tokenize = 'unicode61 remove_diacritics 2');
        CREATE TABLE fts_docs (rowid INTEGER PRIMARY KEY, price INTEGER, stock INTEGER, sold INTEGER,
                               created TEXT, stars INTEGER, category TEXT, category_group TEXT,
                               locality TEXT, region TEXT);
        INSERT INTO fts (rowid, name, description, meta)
          SELECT p.id, p.name, p.description, pr.name || ' ' || l.name || ' ' || l.region || ' ' || c.name_vi
          FROM products p JOIN producers pr ON pr.id = p.producer_id JOIN localities l ON l.id = pr.locality_id
          JOIN categories c ON c.id = p.category_id WHERE p.status = 'active' AND pr.approved;
        INSERT INTO fts_docs
          SELECT p.id, p.price_vnd, p.stock, p.sold_count, p.created_at,
                 CASE WHEN ce.verified AND ce.stars >= 3 AND ce.expires_on >= date('now') THEN ce.stars END,
                 c.slug, coalesce(pc.slug, ''), l.slug, l.region_slug
          FROM products p JOIN producers pr ON pr.id = p.producer_id JOIN localities l ON l.id = pr.locality_id
          JOIN categories c ON c.id = p.category_id LEFT JOIN categories pc ON pc.id = c.parent_id
          LEFT JOIN certificates ce ON ce.product_id = p.id WHERE p.status = 'active' AND pr.approved;
        CREATE INDEX fts_docs_cat ON fts_docs (category);
    """)
    return conn


def fts_query(conn, params) -> int:
    """First page (20 rows), total and three facet counts, the way a SQL shop would do it with FTS5."""
    from marketplace.search.text import words

    terms = words(params["q"])
    match = " AND ".join('"' + t.replace('"', "") + '"' for t in terms)
    where, binds = ["fts MATCH :match"], {"match": match}
    if params.get("stars"):
        where.append(FTS_FILTERS["stars"].format(",".join(str(int(s)) for s in params["stars"])))
    for key in ("category", "locality"):
        if params.get(key):
            where.append(FTS_FILTERS[key])
            binds[key] = params[key]
    if params.get("price_min") is not None:
        where.append("price >= :pmin")
        binds["pmin"] = params["price_min"]
    if params.get("price_max") is not None:
        where.append("price <= :pmax")
        binds["pmax"] = params["price_max"]
    if params.get("in_stock"):
        where.append("stock > 0")
    base = "FROM fts JOIN fts_docs d ON d.rowid = fts.rowid WHERE " + " AND ".join(where)
    order = {"price_asc": "price, d.rowid", "bestselling": "sold DESC, d.rowid DESC"}.get(
        params.get("sort"), "bm25(fts, 3.0, 1.0, 0.6)")
    conn.execute(f"SELECT d.rowid {base} ORDER BY {order} LIMIT 20", binds).fetchall()
    total = conn.execute(f"SELECT count(*) {base}", binds).fetchone()[0]
    conn.execute(f"SELECT stars, count(*) {base} GROUP BY stars", binds).fetchall()
    conn.execute(f"SELECT category, category_group, count(*) {base} GROUP BY 1, 2", binds).fetchall()
    conn.execute(f"SELECT locality, count(*) {base} GROUP BY locality", binds).fetchall()
    return total


def time_fts(conn, rounds: int):
    samples, per_query = [], {}
    for _label, params in QUERIES:
        fts_query(conn, params)
    for _ in range(rounds):
        for label, params in QUERIES:
            start = time.perf_counter()
            total = fts_query(conn, params)
            elapsed = (time.perf_counter() - start) * 1000
            samples.append(elapsed)
            per_query.setdefault(label, []).append((elapsed, total, None))
    return samples, per_query


def report(name: str, samples, per_query, build_s: float | None = None) -> None:
    extra = f", index built in {build_s:.1f} s" if build_s is not None else ""
    print(f"\n{name}: median {statistics.median(samples):.1f} ms, p95 {percentile(samples, 95):.1f} ms"
          f" over {len(samples)} queries{extra}")
    for label, runs in per_query.items():
        times = [t for t, _, _ in runs]
        _, total, suggestion = runs[-1]
        note = f" (did you mean: {suggestion})" if suggestion else ""
        print(f"  {label:<20} median {statistics.median(times):6.1f} ms  p95 {percentile(times, 95):6.1f} ms"
              f"  {total:>6} hits{note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres", metavar="URL", help="also benchmark the postgres backend (database emptied)")
    parser.add_argument("--postgres-only", action="store_true", help="with --postgres: skip Whoosh and FTS5")
    parser.add_argument("--keep-data", action="store_true",
                        help="with --postgres: reuse its products and search rows if it holds --products of them")
    args = parser.parse_args()
    if (args.postgres_only or args.keep_data) and not args.postgres:
        parser.error("--postgres-only and --keep-data need --postgres URL")

    workdir = tempfile.mkdtemp(prefix="bench-search-")
    try:
        if args.postgres_only:
            postgres(args, workdir)
            return
        sqlite_path = os.path.join(workdir, "bench.db")
        url = f"sqlite:///{sqlite_path}"
        app = make_app(url, os.path.join(workdir, "index"), "whoosh")
        reset_and_migrate(app)
        with app.app_context():
            from marketplace.extensions import db
            from marketplace.search import get_backend

            start = time.perf_counter()
            generate(db.engine, args.products)
            print(f"generated {args.products} products in {time.perf_counter() - start:.1f} s")
            start = time.perf_counter()
            count = get_backend().rebuild()
            build = time.perf_counter() - start
            print(f"{count} public products indexed")
        samples, per_query = time_backend(app, args.rounds, whole_page=False)
        report("whoosh: search (page ids, total, facets)", samples, per_query, build)
        whoosh_p95 = percentile(samples, 95)
        samples, per_query = time_backend(app, args.rounds, whole_page=True)
        report("whoosh: browse() with the page's 20 products loaded (SQLite)", samples, per_query)

        conn = build_fts(sqlite_path)
        fts_samples, fts_per_query = time_fts(conn, args.rounds)
        conn.close()
        report("SQLite FTS5 unicode61 remove_diacritics 2 (reference; đ is not folded)", fts_samples, fts_per_query)
        print(f"\nwhoosh p95 / FTS5 p95 = {whoosh_p95 / percentile(fts_samples, 95):.1f}x")

        if args.postgres:
            postgres(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def kept(app, products: int) -> bool:
    """The database already holds this benchmark's products and their search rows (migrated first)."""
    from flask_migrate import upgrade

    from marketplace.extensions import db
    from marketplace.search import get_backend

    with app.app_context():
        with db.engine.connect() as conn:
            if not conn.execute(sa.text("SELECT to_regclass('products') IS NOT NULL")).scalar():
                return False
        upgrade()
        count = db.session.scalar(sa.text("SELECT count(*) FROM products"))
        ok = count == products and get_backend().health()["ok"]
        db.session.remove()
        return ok


def postgres(args, workdir: str) -> None:
    """The PostgreSQL backend: generated rows, the index rebuilt, then VACUUM ANALYZE (the
    statistics and visibility map autovacuum would leave after such a load) and a CHECKPOINT
    (needs a superuser or pg_checkpoint)."""
    pg_app = make_app(args.postgres, os.path.join(workdir, "pg-index"), "postgres")
    build = None
    reuse = args.keep_data and kept(pg_app, args.products)
    if reuse:
        print(f"postgres: reusing its {args.products} products and search rows")
    else:
        reset_and_migrate(pg_app)
    with pg_app.app_context():
        from marketplace.extensions import db
        from marketplace.search import get_backend

        if not reuse:
            start = time.perf_counter()
            generate(db.engine, args.products)
            print(f"postgres: generated {args.products} products in {time.perf_counter() - start:.1f} s")
            with db.engine.begin() as conn:
                conn.execute(sa.text("ANALYZE"))
            start = time.perf_counter()
            get_backend().rebuild()
            build = time.perf_counter() - start
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
            # The load's dirty pages written now, not by a checkpoint in the middle of the timing.
            conn.execute(sa.text("CHECKPOINT"))
        # Past shared_buffers, the searches that rank thousands of rows read pages from the OS cache.
        memory = get_backend().memory()
        print(f"postgres: search tables {memory['tables_bytes'] / 2**20:.0f} MB, "
              f"shared_buffers {memory['shared_buffers_bytes'] / 2**20:.0f} MB")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    samples, per_query = time_backend(pg_app, args.rounds, whole_page=False)
    report("postgres: search (page ids, total, facets)", samples, per_query, build)
    samples, per_query = time_backend(pg_app, args.rounds, whole_page=True)
    report("postgres: browse() with the page's 20 products loaded", samples, per_query)
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
