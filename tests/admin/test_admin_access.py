"""Who may use the admin portal and the admin API, and what each costs in queries."""
from __future__ import annotations

import io

import pytest
from flask import g

from marketplace.admin import services
from marketplace.audit import AuditEntry
from marketplace.catalog.models import Certificate, Producer
from marketplace.storage import get_storage
from tests import factories as f

API_ROUTES = [
    ("post", "/api/v1/admin/producers/1/approve", None),
    ("post", "/api/v1/admin/producers/1/suspend", {"reason": "x"}),
    ("get", "/api/v1/admin/producers", None),
    ("post", "/api/v1/admin/products/1/certification", {"verified": True}),
]
WEB_PAGES = ["/admin/", "/admin/producers", "/admin/certificates", "/admin/certificates/register",
             "/admin/certificates/stars", "/admin/mail", "/admin/audit"]
STATS_PAGES = ["/admin/stats/sales", "/admin/stats/share", "/admin/stats/exports"]


@pytest.mark.parametrize("method,path,body", API_ROUTES)
def test_the_admin_api_answers_401_to_strangers_and_403_to_non_admins(client, db, method, path, body):
    f.producer()
    response = getattr(client, method)(path, json=body)
    assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"
    for role in ("shopper", "seller"):
        user = f.user(role, producer_id=f.producer().id if role == "seller" else None)
        f.login_as(client, user)
        response = getattr(client, method)(path, json=body)
        assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
    assert db.session.query(AuditEntry).count() == 0


@pytest.mark.parametrize("path", WEB_PAGES + STATS_PAGES)
def test_the_portal_refuses_shoppers_and_sellers_and_opens_for_admins(client, db, path):
    f.login_as(client, f.user("shopper"))
    assert client.get(path).status_code == 403
    f.login_as(client, f.user("seller", producer_id=f.producer().id))
    assert client.get(path).status_code == 403
    f.login_as(client, f.user("admin"))
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", WEB_PAGES + STATS_PAGES)
def test_the_portal_sends_strangers_to_the_login_page(app, client, db, path):
    if "accounts.login" not in app.view_functions:
        pytest.skip("the web login page (accounts.login) lands with the shop issue")
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/admin/producers/1/approve").status_code == 302


def test_approve_over_the_api(client, db):
    producer = f.producer(approved=False)
    f.login_as(client, f.user("admin"))
    response = client.post(f"/api/v1/admin/producers/{producer.id}/approve")
    assert response.status_code == 200
    assert response.json["approved"] is True and response.json["can_sell"] is True
    assert response.json["approved_at"].endswith("+07:00")
    assert client.post("/api/v1/admin/producers/99999/approve").status_code == 404


def test_suspend_over_the_api_needs_a_reason(client, db):
    producer = f.producer()
    f.login_as(client, f.user("admin"))
    response = client.post(f"/api/v1/admin/producers/{producer.id}/suspend", json={})
    assert response.status_code == 422 and "reason" in response.json["error"]["fields"]
    response = client.post(f"/api/v1/admin/producers/{producer.id}/suspend", json={"reason": "Hàng giả"})
    assert response.status_code == 200 and response.json["suspended"] is True
    assert response.json["suspension_reason"] == "Hàng giả" and response.json["can_sell"] is False
    listing = client.get("/api/v1/admin/producers?status=suspended").json
    assert listing["total"] == 1 and listing["items"][0]["id"] == producer.id


def test_certification_over_the_api_verifies_with_the_official_terms(client, db):
    item = f.product(stars=3, verified=False)
    admin = f.user("admin")
    f.login_as(client, admin)
    response = client.post(f"/api/v1/admin/products/{item.id}/certification", json={
        "verified": True, "stars": 4, "certificate_no": "QN-2025-010", "issued_on": "2025-02-01",
        "expires_on": "2028-02-01"})
    assert response.status_code == 200, response.json
    assert response.json == {"product_id": item.id, "stars": 4, "certificate_no": "QN-2025-010",
                             "level": "province", "issued_on": "2025-02-01", "expires_on": "2028-02-01",
                             "verified": True, "status": "verified", "rejected_reason": None, "ocop_stars": 4}
    db.session.expire_all()  # the request ran in its own session
    cert = db.session.query(Certificate).one()
    assert cert.verified_by_id == admin.id
    entry = db.session.query(AuditEntry).one()
    assert entry.action == "certificate.verify" and '"stars": 3' in entry.before and '"stars": 4' in entry.after


def test_certification_over_the_api_rejects_with_a_reason_and_validates_terms(client, db):
    item = f.product(stars=4, verified=True)
    f.login_as(client, f.user("admin"))
    url = f"/api/v1/admin/products/{item.id}/certification"
    assert client.post(url, json={"verified": False}).status_code == 422
    bad = client.post(url, json={"verified": True, "issued_on": "2025-02-01", "expires_on": "2024-01-01"})
    assert bad.status_code == 422 and "expires_on" in bad.json["error"]["fields"]
    assert client.post(url, json={"verified": True, "stars": 9}).status_code == 422
    response = client.post(url, json={"verified": False, "reason": "Chứng nhận đã bị thu hồi"})
    assert response.status_code == 200
    assert response.json["status"] == "rejected" and response.json["ocop_stars"] is None
    assert client.post("/api/v1/admin/products/99999/certification", json={"verified": True}).status_code == 404


def test_certification_creates_the_certificate_for_a_product_without_a_claim(client, db):
    item = f.product(stars=None)
    f.login_as(client, f.user("admin"))
    url = f"/api/v1/admin/products/{item.id}/certification"
    incomplete = client.post(url, json={"verified": True, "stars": 5})
    assert incomplete.status_code == 422
    assert db.session.query(Certificate).count() == 0
    response = client.post(url, json={"verified": True, "stars": 5, "certificate_no": "TW-2025-1",
                                      "issued_on": "2025-03-01"})
    assert response.status_code == 200
    assert response.json["expires_on"] == "2028-03-01" and response.json["level"] == "national"


def test_the_portal_approves_suspends_and_verifies_through_forms(client, db):
    admin = f.user("admin")
    f.login_as(client, admin)
    producer = f.producer("HTX Nấm Hoành Bồ", approved=False)
    item = f.product(prod=producer, stars=4, verified=False)

    page = client.get("/admin/producers?status=pending").get_data(as_text=True)
    assert "HTX Nấm Hoành Bồ" in page
    response = client.post(f"/admin/producers/{producer.id}/approve", data={"next": "/admin/producers?status=pending"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/producers?status=pending"
    response = client.post(f"/admin/producers/{producer.id}/suspend", data={"reason": ""}, follow_redirects=True)
    assert "Vui lòng nêu lý do" in response.get_data(as_text=True)
    client.post(f"/admin/producers/{producer.id}/suspend", data={"reason": "Kiểm tra chất lượng"})
    db.session.expire_all()
    assert db.session.get(Producer, producer.id).suspension_reason == "Kiểm tra chất lượng"

    queue = client.get("/admin/certificates").get_data(as_text=True)
    assert item.certificate.certificate_no in queue
    client.post(f"/admin/certificates/{item.certificate.id}/verify")
    db.session.expire_all()
    assert db.session.get(Certificate, item.certificate.id).verified
    audit = client.get("/admin/audit?action=producer").get_data(as_text=True)
    assert "producer.approve" in audit and "producer.suspend" in audit and "certificate.verify" not in audit


def test_the_scan_is_served_to_admins_only_from_the_private_storage(app, client, db):
    item = f.product(stars=4, verified=False)
    get_storage().save("private/certificates/qn-1.png", b"\x89PNG\r\n\x1a\nscan", "image/png")
    item.certificate.scan_path = "private/certificates/qn-1.png"
    db.session.commit()
    url = f"/admin/certificates/{item.certificate.id}/scan"
    f.login_as(client, f.user("seller", producer_id=item.producer_id))
    assert client.get(url).status_code == 403
    f.login_as(client, f.user("admin"))
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data.endswith(b"scan") and response.headers["Cache-Control"] == "private, no-store"
    assert f'<img src="{url}"' in client.get("/admin/certificates").get_data(as_text=True)
    item.certificate.scan_path = "../../etc/passwd"
    db.session.commit()
    assert client.get(url).status_code == 404


def test_the_register_import_page_shows_the_report(client, db):
    f.login_as(client, f.user("admin"))
    item = f.product(stars=4, verified=False, prod=f.producer("HTX Mơ Yên Tử"))
    cert = item.certificate
    csv = (f"certificate_no,producer,stars,issued_on,expires_on\n"
           f"{cert.certificate_no},HTX Mơ Yên Tử,5,{cert.issued_on},{cert.expires_on}\n").encode()
    page = client.post("/admin/certificates/register", data={"file": (io.BytesIO(csv), "register.csv")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert 'id="mismatches"' in page and "stars" in page


def _pages_cost(client, db, url, query_counter):
    g.pop("_login_user", None)  # each request loads its user, as in production
    db.session.expunge_all()
    with query_counter() as q:
        assert client.get(url).status_code == 200
    return q.count


def test_admin_list_pages_cost_the_same_number_of_queries_however_long(client, db, query_counter):
    admin = f.user("admin")
    admin_id = admin.id
    f.login_as(client, admin)
    for n in range(2):
        f.product(prod=f.producer(approved=False), stars=4, verified=False)
    for p in db.session.query(Producer).all()[:1]:
        services.approve_producer(admin, p.id)
    pages = ["/admin/producers", "/admin/certificates", "/admin/audit", "/admin/certificates/stars", "/admin/users"]
    small = {url: _pages_cost(client, db, url, query_counter) for url in pages}
    admin = db.session.get(type(admin), admin_id)
    for n in range(12):
        p = f.producer(approved=False, loc=f.locality(f"Xã {n}", f"Vùng {n}"))
        f.product(prod=p, stars=4, verified=False)
        services.approve_producer(admin, p.id)
        services.suspend_producer(admin, p.id, "thử")
        f.user()
    large = {url: _pages_cost(client, db, url, query_counter) for url in pages}
    assert large == small
    # the signed-in user, then the count and the page (each with its joins); two star tables;
    # the header's cart count
    assert small == {"/admin/producers": 4, "/admin/certificates": 4, "/admin/audit": 4,
                     "/admin/certificates/stars": 4, "/admin/users": 4}



def test_the_portal_speaks_vietnamese_first_and_english_on_request(app, client):
    with app.app_context():  # requests outside it: each gets its own `g` (and locale)
        f.login_as(client, f.user("admin"))
        f.producer("HTX Nấm", approved=False)
    assert "Chủ thể chờ duyệt" in client.get("/admin/").get_data(as_text=True)
    assert "Producers awaiting approval" in client.get("/admin/?lang=en").get_data(as_text=True)
