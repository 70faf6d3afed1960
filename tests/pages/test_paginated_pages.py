"""Every paginated page of the shop, the seller portal and the admin portal renders each of
its pages, in Vietnamese and in English, for the role that sees it, with more than one
page of rows. (The admin lists once answered 500 past one page: their pager assigned to
`_`, shadowing the translation function.)"""
from __future__ import annotations

from pathlib import Path

import pytest
from flask import template_rendered

import marketplace
from marketplace.accounts.models import User
from marketplace.audit import record
from marketplace.extensions import db as _db
from marketplace.payments.models import BankTransfer
from marketplace.timeutil import utcnow
from marketplace.traceability.fake_reports import report_fake
from marketplace.traceability.lots import create_lot
from marketplace.traceability.recalls import recall
from tests import factories as f
from tests.conftest import empty_tables, new_client
from tests.hardening.authz_world import paid_order

TEMPLATES = Path(marketplace.__file__).resolve().parent
PAGER_MARKS = ('class="pagination', "pager(", "page + 1")


def paginated_templates() -> set[str]:
    """Templates (by the name Flask renders them with) that draw a pager."""
    found = set()
    for path in TEMPLATES.glob("**/templates/**/*.html"):
        text = path.read_text(encoding="utf-8")
        if "macro" not in path.name and not path.name.startswith("_") and any(m in text for m in PAGER_MARKS):
            found.add(path.as_posix().split("/templates/", 1)[1])
    return found


@pytest.fixture(autouse=True)
def _clean_tables():
    """Overrides conftest's per-test cleanup: the rows are shared by this module's tests."""
    yield


@pytest.fixture(scope="module")
def market(app):
    """More than one page of every list: 60 producers, 60 products and pending claims of one
    producer, 21 orders of one shopper from it, 60 audit rows, 60 accounts, 60 transfers, 21
    recalled lots and 21 reports of suspected fakes."""
    empty_tables(app)
    with app.test_request_context():
        place_ = f.locality()
        maker = f.producer("HTX Nhiều Trang", loc=place_)
        for _n in range(59):
            f.producer(loc=place_, approved=_n % 2 == 0)
        category = f.category()
        products = [f.product(prod=maker, cat=category, stock=100) for _n in range(60)]
        seller = f.user("seller", producer_id=maker.id)
        shopper = f.user()
        admin = f.user("admin")
        for n in range(21):
            paid_order(shopper, products[n])  # sellers list paid orders
        # Their certificates wait for verification (claims to list): set once the orders were
        # placed, since the checkout sells only certified products.
        for product in products:
            product.certificate.verified = False
        _db.session.commit()
        for n in range(60 - 3):
            f.user()
        for n in range(60):
            record(admin, "test.page", "producer", maker.id, note=f"dòng {n}")
            _db.session.add(BankTransfer(provider="sepay", provider_txn_id=f"P{n}", bank="Vietcombank",
                                         account_no="0011004123456", amount_vnd=10_000 + n,
                                         description=f"khong ro {n}", bank_reference=f"FT{n}",
                                         transacted_at=utcnow(), status="unmatched"))
        _db.session.commit()
        for n in range(21):  # recalled lots, and suspected fakes reported on one of them
            lot = create_lot(maker.id, products[0].id, seller, {
                "code": f"LO-{n:02d}", "produced_on": "2026-01-05", "best_before": "2027-01-05", "quantity": 10})
            recall(lot, admin, f"kiểm nghiệm không đạt {n}")
            report_fake(lot, {"message": f"nhãn nghi giả {n}"})
        ids = {"seller": seller.id, "shopper": shopper.id, "admin": admin.id, "slug": maker.slug}
        _db.session.remove()
    yield ids
    empty_tables(app)


# (role, path, pages): the lists and how many pages their rows fill.
PAGES = [
    (None, "/products", 3),
    (None, "/products?sort=price_asc&stars=4", 1),  # unverified claims have no stars: one page
    (None, "/producers/{slug}", 3),
    ("shopper", "/orders", 2),
    ("seller", "/seller/products", 3),
    ("seller", "/seller/orders", 2),
    ("admin", "/admin/producers", 2),
    ("admin", "/admin/producers?status=approved", 1),
    ("admin", "/admin/producers?status=pending", 1),
    ("admin", "/admin/certificates", 2),
    ("admin", "/admin/audit", 2),
    ("admin", "/admin/users", 2),
    ("admin", "/admin/payments/reconciliation", 2),
    ("admin", "/admin/recalls", 2),
    ("admin", "/admin/fake-reports", 2),
]


def client_for(app, market, role):
    client = new_client(app)
    if role is not None:
        with app.test_request_context():
            f.login_as(client, _db.session.get(User, market[role]))
            _db.session.remove()
    return client


def with_page(path: str, page: int, lang: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}page={page}&lang={lang}"


def test_every_page_of_every_list_renders_in_both_languages(app, market):
    rendered: set[str] = set()

    def seen(sender, template, context, **extra):
        rendered.add(template.name)

    failures = []
    template_rendered.connect(seen, app)
    try:
        for role, path, pages in PAGES:
            client = client_for(app, market, role)
            path = path.format(**market)
            for lang, html_lang in (("vi", 'lang="vi"'), ("en", 'lang="en"')):
                for page in range(1, pages + 1):
                    url = with_page(path, page, lang)
                    response = client.get(url)
                    body = response.get_data(as_text=True)
                    if response.status_code != 200 or html_lang not in body:
                        failures.append(f"{role} {url}: {response.status_code}")
                    elif page < pages and f"page={page + 1}" not in body:
                        failures.append(f"{role} {url}: no link to page {page + 1}")
    finally:
        template_rendered.disconnect(seen, app)
    assert not failures, "\n".join(failures)
    assert paginated_templates() <= rendered, "paginated pages this test does not open"
