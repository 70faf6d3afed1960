"""Benchmark: a label PDF of 1,000 labels; print the time and the peak memory.

    .venv/bin/python bench/labels.py [--count 1000] [--layout 3x8]

Builds a throw-away SQLite database with the real migrations, records one lot, then asks
the seller route for the PDF (GET /seller/lots/{id}/labels.pdf) as its producer would.
The peak memory is the whole process's maximum resident set (app and all), so it is an
upper bound of what the request needs. Targets: <= 5 s and <= 200 MB.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))

TARGET_SECONDS = 5
TARGET_MB = 200


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--layout", default="3x8")
    args = parser.parse_args()

    from flask_migrate import upgrade

    import factories
    from marketplace import create_app
    from marketplace.traceability.lots import create_lot

    folder = tempfile.mkdtemp(prefix="bench-labels-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db", "RATELIMIT_ENABLED": False,
                      "SERVER_NAME": "localhost", "WTF_CSRF_ENABLED": False})
    with app.app_context():
        upgrade()
    with app.test_request_context():
        product = factories.product("Mật ong rừng Ba Chẽ", stars=4)
        seller = factories.user("seller", producer_id=product.producer_id)
        lot = create_lot(product.producer_id, product.id, seller, {
            "code": "BC-2026-01", "produced_on": "2026-01-05", "best_before": "2027-01-05", "quantity": 5000})
        lot_id = lot.id
        client = app.test_client()
        factories.login_as(client, seller)  # the session record a sign-in makes
    url = f"/seller/lots/{lot_id}/labels.pdf?layout={args.layout}&count={args.count}"
    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    response = client.get(url)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert response.status_code == 200, response.status_code
    print(f"labels: {args.count} ({args.layout}), {len(response.data) / 1024:.0f} KiB PDF, "
          f"{seconds:.2f} s (target {TARGET_SECONDS} s), peak RSS {peak_mb:.0f} MB (target {TARGET_MB} MB; "
          f"{before_mb:.0f} MB before the request)")
    return 0 if seconds <= TARGET_SECONDS and peak_mb <= TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())
