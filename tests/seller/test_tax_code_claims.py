"""A tax code cannot be squatted: several applicants may claim one, nothing tells an
applicant that it is taken, the admin sees the clash and decides which one sells.
Joining as a seller draws on the sign-up budget of registration."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from tests import factories
from marketplace.catalog.models import Producer
from marketplace.timeutil import utcnow
from test_seller_joining import JOIN
from tests.conftest import rate_limits_on

TAX_CODE = "5701234567"


def join(client, loc, **changes):
    return client.post("/seller/join", data={**JOIN, "locality_id": loc.id, **changes})


def claimants(db) -> list[Producer]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Producer).where(Producer.tax_code == TAX_CODE).order_by(Producer.id)))


def test_a_claimed_tax_code_is_answered_exactly_like_a_fresh_one(app, db):
    loc = factories.locality()
    factories.producer("Công ty CP Ngọc trai Hạ Long", tax_code=TAX_CODE)
    answers = []
    for n, code in enumerate((TAX_CODE, "5709999999")):
        client = app.test_client()
        response = join(client, loc, tax_code=code, member_email=f"thanh-vien-{n}@example.vn",
                        name=f"HTX Ngọc trai {n}")
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        answers.append((response.status_code, response.headers["Location"], "already" in page, "đã được" in page))
    assert answers[0] == answers[1] == (302, "/seller/", False, False)
    assert len(claimants(db)) == 2
    assert [p.approved for p in claimants(db)] == [True, False]


def test_the_admin_sees_the_clash_and_decides(app, client, db):
    loc = factories.locality()
    squatter = factories.producer("Kẻ chiếm mã", tax_code=TAX_CODE, approved=False)
    rightful = factories.producer("Công ty chủ mã", tax_code=TAX_CODE, approved=False)
    factories.producer("Không liên quan", approved=False, loc=loc)
    factories.login_as(client, factories.user("admin"))

    page = client.get("/admin/producers?status=clash&lang=en").get_data(as_text=True)
    assert f'id="producer-{squatter.id}"' in page and f'id="producer-{rightful.id}"' in page
    assert "Không liên quan" not in page
    assert page.count("Tax code also claimed by 1 other producers") == 2
    assert "tax-code-clash" in client.get("/admin/producers").get_data(as_text=True)

    # The admin approves the rightful one: the other claimant cannot sell as well.
    assert client.post(f"/api/v1/admin/producers/{rightful.id}/approve").status_code == 200
    refused = client.post(f"/api/v1/admin/producers/{squatter.id}/approve")
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "tax_code_clash"
    assert [p.approved for p in claimants(db)] == [False, True]

    # Had the squatter been approved first: suspend it, approve the holder; no reinstatement.
    client.post(f"/api/v1/admin/producers/{rightful.id}/suspend", json={"reason": "nhầm"})
    assert client.post(f"/api/v1/admin/producers/{squatter.id}/approve").status_code == 200
    assert client.post(f"/api/v1/admin/producers/{rightful.id}/reinstate").status_code == 409
    web = client.post(f"/admin/producers/{rightful.id}/reinstate", follow_redirects=True, query_string={"lang": "en"})
    assert "already sells under tax code" in web.get_data(as_text=True)


def test_the_database_lets_one_claimant_sell(db):
    first = factories.producer("Một", tax_code=TAX_CODE, approved=True)
    second = factories.producer("Hai", tax_code=TAX_CODE, approved=False)
    second.approved = True
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    first = db.session.get(Producer, first.id)
    first.suspended_at = utcnow()
    db.session.commit()
    db.session.get(Producer, second.id).approved = True
    db.session.commit()  # the suspended one no longer holds the code


@pytest.fixture
def sign_up_limit(app):
    with rate_limits_on(app, REGISTER_RATE_LIMIT="2 per hour"):
        yield


def test_joining_shares_the_sign_up_budget_of_registration(app, db, sign_up_limit):
    loc = factories.locality()
    client = app.test_client()
    assert client.post("/api/v1/auth/register", json={"email": "a@example.vn", "password": "mat-khau-dai",
                                                      "full_name": "A", "phone": "0912345678"}).status_code == 201
    assert join(client, loc, member_email="b@example.vn").status_code == 302
    limited = join(app.test_client(), loc, member_email="c@example.vn", tax_code="5709999999")
    assert limited.status_code == 429
    assert len(db.session.scalars(sa.select(Producer)).all()) == 1
