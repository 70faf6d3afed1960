"""Seller API tokens: created in the portal, shown once, revocable, and rate limited."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests import factories
from marketplace.accounts.models import ApiToken
from marketplace.extensions import limiter


def _create(client, name="phần mềm kho"):
    response = client.post("/seller/tokens", data={"name": name})
    match = re.search(r'id="new-token">(ocop_[A-Za-z0-9_\-]+)<', response.get_data(as_text=True))
    return response, match.group(1) if match else None


def test_a_member_creates_a_token_that_syncs_stock_and_then_revokes_it(client, other_client, seller, db):
    product = factories.product(prod=seller.producer, stock=4)
    factories.login_as(client, seller.user)
    response, token = _create(client)
    assert response.status_code == 200 and token
    record = db.session.scalar(sa.select(ApiToken))
    assert (record.user_id, record.name, record.token_hash == ApiToken.digest(token)) == (
        seller.user.id, "phần mềm kho", True)
    assert token not in client.get("/seller/tokens").get_data(as_text=True)  # shown only once

    app_client = other_client  # the cooperative's software: no session, only the token
    bearer = {"Authorization": f"Bearer {token}"}
    etag = app_client.get(f"/api/v1/seller/products/{product.id}", headers=bearer).headers["ETag"]
    synced = app_client.patch(f"/api/v1/seller/products/{product.id}", json={"stock": 42},
                              headers={**bearer, "If-Match": etag})
    assert synced.status_code == 200 and synced.json["stock"] == 42

    assert client.post(f"/seller/tokens/{record.id}/revoke").status_code == 302
    assert app_client.get("/api/v1/seller/products", headers=bearer).status_code == 401


def test_a_token_needs_a_name(client, seller, db):
    factories.login_as(client, seller.user)
    response, token = _create(client, "  ")
    assert response.status_code == 422 and token is None
    assert "Đặt tên cho khoá" in response.get_data(as_text=True)


def test_another_members_token_cannot_be_revoked(client, seller, other_seller, db):
    from marketplace.accounts.services import issue_token

    issue_token(other_seller.user, "token-of-another-producer")
    colleague = factories.user("seller", producer_id=seller.producer.id)
    issue_token(colleague, "token-of-a-colleague")
    factories.login_as(client, seller.user)
    for record in db.session.scalars(sa.select(ApiToken)).all():
        assert client.post(f"/seller/tokens/{record.id}/revoke").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id)).where(ApiToken.revoked_at.is_not(None))) == 0
    page = client.get("/seller/tokens").get_data(as_text=True)
    assert "token-of-another-producer" not in page and "token-of-a-colleague" not in page


@pytest.fixture
def rate_limits(app):
    app.config.update(RATELIMIT_ENABLED=True, SELLER_API_RATE_LIMIT="3 per minute")
    limiter.reset()
    yield
    app.config.update(RATELIMIT_ENABLED=False, SELLER_API_RATE_LIMIT="120 per minute")
    limiter.reset()


def test_the_seller_api_is_rate_limited_per_token(client, seller, db, rate_limits):
    from marketplace.accounts.services import issue_token

    first = {"Authorization": f"Bearer {issue_token(seller.user, 'a')}"}
    second = {"Authorization": f"Bearer {issue_token(seller.user, 'b')}"}
    for _ in range(3):
        assert client.get("/api/v1/seller/products", headers=first).status_code == 200
    limited = client.get("/api/v1/seller/products", headers=first)
    assert limited.status_code == 429 and limited.json["error"]["code"] == "rate_limited"
    assert limited.headers.get("Retry-After")
    assert client.get("/api/v1/seller/products", headers=second).status_code == 200  # its own budget
