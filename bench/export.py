"""Benchmark: export 1,000,000 paid order lines; print the time and the peak memory.

    .venv/bin/python bench/export.py                       # SQLite file in a temp dir
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test_bench .venv/bin/python bench/export.py

Builds the schema with the real migrations, generates the data with bulk inserts
(executemany on SQLite, COPY on PostgreSQL), then runs the export in a fresh child
process (`--export-only`) so that its peak RSS is the export's alone.
Targets: the line-level export of 1,000,000 lines, CSV and XLSX each, in <= 60 s and
<= 250 MB (`--formats csv` or `xlsx` for one of them).
With DATABASE_URL, the database's name must start with "test" or "bench": its schema
is dropped and rebuilt.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TARGET_SECONDS = 60
TARGET_MB = 250
UTC = timezone.utc


def app_for(url: str):
    from marketplace import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})


def reset_schema(url: str) -> None:
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    name = os.path.basename(make_url(url).database or "")
    if url.startswith("postgresql") and not name.startswith(("test", "bench")):
        sys.exit(f"refusing to drop the schema of {name!r}: its name must start with test or bench")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def _bulk(conn, table: str, columns: list[str], rows) -> int:
    """Insert many rows fast: COPY on PostgreSQL, executemany on SQLite."""
    raw = conn.connection.dbapi_connection
    count = 0
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    else:
        cur = raw.cursor()
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) == 50_000:
                cur.executemany(sql, batch)
                count += len(batch)
                batch.clear()
        cur.executemany(sql, batch)
        count += len(batch)
    return count


def generate(url: str, lines: int, seed: int = 7) -> dict:
    """Catalogue, orders, parts, lines and refunds: `lines` order lines paid over 2025."""
    from flask_migrate import upgrade

    import sqlalchemy as sa

    app = app_for(url)
    rnd = random.Random(seed)
    with app.app_context():
        upgrade()
        from marketplace.extensions import db

        sqlite = db.engine.dialect.name == "sqlite"

        def ts(value: datetime):
            naive = value.astimezone(UTC).replace(tzinfo=None)
            return naive.isoformat(sep=" ") if sqlite else naive

        def day(value: date):
            return value.isoformat() if sqlite else value

        now = ts(datetime.now(UTC))
        started = time.perf_counter()
        with db.engine.begin() as conn:
            regions = ["Hạ Long", "Cẩm Phả", "Uông Bí", "Móng Cái", "Đông Triều", "Quảng Yên", "Vân Đồn",
                       "Tiên Yên", "Ba Chẽ", "Bình Liêu", "Hải Hà", "Đầm Hà", "Cô Tô"]
            _bulk(conn, "localities", ["id", "slug", "name", "kind", "region", "region_slug", "province"],
                  ((i + 1, f"xa-{i + 1}", f"Xã {i + 1}", "commune", regions[i % len(regions)],
                    f"vung-{i % len(regions)}", "Quảng Ninh") for i in range(60)))
            groups = [("thuc-pham", "Thực phẩm", "Food"), ("do-uong", "Đồ uống", "Drinks"),
                      ("thao-duoc", "Thảo dược", "Herbal products"), ("vai-may-mac", "Vải và may mặc", "Textiles"),
                      ("luu-niem", "Lưu niệm - nội thất - trang trí", "Souvenirs"),
                      ("dich-vu", "Dịch vụ du lịch nông thôn", "Rural tourism")]
            _bulk(conn, "categories", ["id", "slug", "name_vi", "name_en", "parent_id", "position"],
                  [(i + 1, s, vi, en, None, i) for i, (s, vi, en) in enumerate(groups)]
                  + [(7 + i, f"nhom-con-{i}", f"Nhóm con {i}", f"Sub-group {i}", i % 6 + 1, i) for i in range(12)])
            kinds = ["enterprise", "cooperative", "cooperative_group", "household"]
            producers = 300
            _bulk(conn, "producers", ["id", "slug", "name", "kind", "locality_id", "address", "description",
                                      "approved", "created_at", "updated_at"],
                  ((i + 1, f"chu-the-{i + 1}", f"HTX Chủ thể {i + 1}", kinds[i % 4], i % 60 + 1, "", "",
                    True, now, now) for i in range(producers)))
            products = 3000
            prices = [rnd.randrange(20, 2000) * 1000 for _ in range(products)]
            _bulk(conn, "products", ["id", "slug", "name", "description", "unit", "price_vnd", "stock", "status",
                                     "category_id", "producer_id", "sold_count", "created_at", "updated_at"],
                  ((i + 1, f"san-pham-{i + 1}", f"Sản phẩm OCOP {i + 1}", "", "hộp", prices[i], 100, "active",
                    i % 18 + 1, i % producers + 1, 0, now, now) for i in range(products)))
            _bulk(conn, "certificates", ["id", "product_id", "stars", "certificate_no", "level", "issued_on",
                                         "expires_on", "verified", "created_at", "updated_at"],
                  ((i + 1, i + 1, 3 + i % 3, f"QN-{i + 1:05d}", "province", day(date(2024, 1, 1)),
                    day(date(2025, 1, 1) + timedelta(days=i % 500)), True, now, now)
                   for i in range(0, products, 2)))

            lines_per_part, parts_per_order = 2, 2
            orders = lines // (lines_per_part * parts_per_order)
            start = datetime(2025, 1, 1, tzinfo=UTC) - timedelta(hours=7)
            span = 365 * 24 * 3600
            paid = [start + timedelta(seconds=rnd.randrange(span)) for _ in range(orders)]
            line_rows, part_rows, order_rows = [], [], []
            part_id = line_id = 0

            def order_iter():
                nonlocal part_id, line_id
                for o in range(orders):
                    subtotal = 0
                    for p in range(parts_per_order):
                        part_id += 1
                        producer = (o * 7 + p * 13) % producers + 1
                        part_subtotal = 0
                        for n in range(lines_per_part):
                            line_id += 1
                            product = producer - 1 + producers * ((o + n) % (products // producers))
                            qty = 1 + (o + n) % 3
                            total = prices[product] * qty
                            part_subtotal += total
                            line_rows.append((line_id, part_id, product + 1, f"Sản phẩm OCOP {product + 1}", "hộp",
                                              prices[product], qty, total))
                        part_rows.append((part_id, o + 1, producer, "delivered", part_subtotal, 30000, now, now))
                        subtotal += part_subtotal
                    when = ts(paid[o])
                    yield (o + 1, f"QN{o + 1:08d}", None, "completed", "Khách hàng", "0912345678",
                           f"khach{o % 50000}@example.vn", "Số 1", "Hồng Gai", "Quảng Ninh", "", subtotal, 60000,
                           subtotal + 60000, "vietqr", "paid", f"R{o + 1:09d}", when, when, now, now)

            order_cols = ["id", "code", "user_id", "status", "contact_name", "contact_phone", "contact_email",
                          "ship_line1", "ship_ward", "ship_province", "note", "subtotal_vnd", "shipping_vnd",
                          "total_vnd", "payment_method", "payment_status", "payment_reference", "payment_due_at",
                          "paid_at", "created_at", "updated_at"]
            _bulk(conn, "orders", order_cols, order_iter())
            _bulk(conn, "order_parts", ["id", "order_id", "producer_id", "status", "subtotal_vnd", "shipping_vnd",
                                        "created_at", "updated_at"], part_rows)
            _bulk(conn, "order_lines", ["id", "part_id", "product_id", "product_name", "unit", "unit_price_vnd",
                                        "quantity", "line_total_vnd"], line_rows)
            refunds = [(i + 1, o, (o - 1) * parts_per_order + 1, 50_000, "manual", "succeeded", "",
                        ts(paid[o - 1] + timedelta(days=20)), now, now)
                       for i, o in enumerate(range(1, orders + 1, 100))]
            _bulk(conn, "refunds", ["id", "order_id", "part_id", "amount_vnd", "method", "status", "reason",
                                    "refunded_at", "created_at", "updated_at"], refunds)
            if not sqlite:
                for table in ("localities", "categories", "producers", "products", "certificates", "orders",
                              "order_parts", "order_lines", "refunds"):
                    conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                         f"(SELECT max(id) FROM {table}))"))
        if not sqlite:
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("ANALYZE"))
        seconds = time.perf_counter() - started
        if sqlite:  # fold the write-ahead log into the database, as a long-running server would have
            with db.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.engine.dispose()
        return {"orders": orders, "lines": line_id, "refunds": len(refunds), "seconds": seconds}


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM (Linux) belongs to the process image; ru_maxrss
    would also count the parent's memory at fork time."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def export_only(url: str, fmt: str, output: str, level: str) -> None:
    """Run one export exactly as `flask stats export` does and print time and peak RSS."""
    app = app_for(url)
    started = time.perf_counter()
    with app.app_context(), app.test_request_context():
        from marketplace.stats.exports import csv_chunks, grouped_table, lines_table, write_xlsx
        from marketplace.stats.sales import date_range, sales_report

        rng = date_range(date(2025, 1, 1), date(2025, 12, 31))
        table = lines_table(rng) if level == "lines" else grouped_table(sales_report(rng.date_from, rng.date_to,
                                                                                     level))
        rows = 0

        def count(n):
            nonlocal rows
            rows += n

        if fmt == "csv":
            with open(output, "wb") as fh:
                for chunk in csv_chunks(table, progress=count):
                    fh.write(chunk)
        else:
            write_xlsx(table, output, progress=count)
    seconds = time.perf_counter() - started
    peak_mb = peak_rss_mb()
    print(f"export {level} {fmt}: {rows} rows in {seconds:.1f} s, peak RSS {peak_mb:.0f} MB, "
          f"file {os.path.getsize(output) / 1e6:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--formats", default="csv,xlsx", help="comma list of csv, xlsx")
    parser.add_argument("--export-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--format", default="csv", help=argparse.SUPPRESS)
    parser.add_argument("--level", default="lines", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_only:
        export_only(args.url, args.format, args.output, args.level)
        return

    workdir = tempfile.mkdtemp(prefix="ocop-bench-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir}/bench.db"
    from marketplace.config import normalise_database_url

    url = normalise_database_url(url)
    reset_schema(url)
    made = generate(url, args.lines)
    print(f"generated {made['lines']:,} order lines in {made['orders']:,} orders (+{made['refunds']:,} refunds) "
          f"in {made['seconds']:.1f} s on {url.split(':')[0]}")
    failed = False
    for fmt in [f.strip() for f in args.formats.split(",") if f.strip()]:
        for level in ("month", "lines"):
            output = os.path.join(workdir, f"export-{level}.{fmt}")
            started = time.perf_counter()
            result = subprocess.run([sys.executable, os.path.abspath(__file__), "--export-only", "--url", url,
                                     "--format", fmt, "--level", level, "--output", output],
                                    capture_output=True, text=True)
            sys.stdout.write(result.stdout)
            if result.returncode:
                sys.stdout.write(result.stderr)
                failed = True
            if level == "lines":
                line = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
                seconds = float(line.split(" in ")[1].split(" s")[0]) if " in " in line else float("inf")
                peak = float(line.split("peak RSS ")[1].split(" MB")[0]) if "peak RSS" in line else float("inf")
                ok = seconds <= TARGET_SECONDS and peak <= TARGET_MB
                print(f"{fmt} target <= {TARGET_SECONDS} s and <= {TARGET_MB} MB: {'met' if ok else 'MISSED'} "
                      f"(wall {time.perf_counter() - started:.1f} s with start-up)")
                failed |= not ok
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
