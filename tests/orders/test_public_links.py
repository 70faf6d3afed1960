"""Absolute links come from one place (marketplace/links.py): PUBLIC_BASE_URL when set,
otherwise the address the request came to, otherwise (no request) the address the server
was started on. The checkout answer's page_url and QR image_url, product photos and the
e-mails all agree."""
from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from tests import factories as f
from tests.factories import checkout_body
from marketplace import create_app
from marketplace.config import served_base_url
from marketplace.extensions import db
from marketplace.links import public_base_url
from marketplace.mail.models import OutgoingMail


@pytest.fixture
def base_url(app):
    saved = app.config["PUBLIC_BASE_URL"]
    yield lambda value: app.config.update(PUBLIC_BASE_URL=value)
    app.config["PUBLIC_BASE_URL"] = saved


def _order_email(code: str) -> str:
    db.session.rollback()
    bodies = db.session.scalars(sa.select(OutgoingMail.body_text).where(OutgoingMail.subject.contains(code))).all()
    assert bodies, "the order-placed e-mail was queued"
    return "\n".join(bodies)


def test_without_the_setting_every_link_follows_the_address_the_request_came_to(db, client, base_url):
    base_url("")
    item = f.product(price_vnd=120_000, stock=5)
    response = client.post("/api/v1/checkout", json=checkout_body([(item, 1)]),
                           base_url="http://shop.example.test:5400")
    assert response.status_code == 201, response.json
    payment = response.json["payment"]
    assert payment["page_url"].startswith("http://shop.example.test:5400/payments/orders/")
    assert payment["vietqr"]["image_url"].startswith("http://shop.example.test:5400/payments/qr/")
    email = _order_email(response.json["order"]["code"])
    assert "http://shop.example.test:5400/track?code=" in email
    assert "127.0.0.1:5000" not in email

    product = client.get(f"/api/v1/products/{item.id}", base_url="http://shop.example.test:5400").json
    assert product["traceability_url"] == f"http://shop.example.test:5400/products/{item.slug}"


def test_the_setting_wins_over_the_host_a_request_claims(db, client, base_url):
    base_url("https://ocop.example.vn/")
    item = f.product(price_vnd=120_000, stock=5)
    response = client.post("/api/v1/checkout", json=checkout_body([(item, 1)]), base_url="http://evil.test")
    assert response.status_code == 201, response.json
    payment = response.json["payment"]
    assert payment["page_url"].startswith("https://ocop.example.vn/payments/orders/")
    assert payment["vietqr"]["image_url"].startswith("https://ocop.example.vn/payments/qr/")
    email = _order_email(response.json["order"]["code"])
    assert "https://ocop.example.vn/track?code=" in email and "evil.test" not in email


def test_cached_public_answers_never_carry_another_hosts_links(app, client, base_url):
    """Catalogue answers are cached and answered 304 by catalogue version: without the
    setting the host is part of their validator, so one host's links never reach another."""
    base_url("")
    app.config.update(CACHE_ENABLED=True, HTTP_CACHE_ENABLED=True)
    try:
        with app.app_context():
            item = f.product(price_vnd=120_000, stock=5)
            slug = item.slug
            db.session.commit()
        first = client.get(f"/api/v1/products/{slug}", base_url="http://one.test")
        second = client.get(f"/api/v1/products/{slug}", base_url="http://two.test")
        assert first.json["traceability_url"].startswith("http://one.test/")
        assert second.json["traceability_url"].startswith("http://two.test/")
        assert first.headers["ETag"] != second.headers["ETag"]
        again = client.get(f"/api/v1/products/{slug}", base_url="http://two.test",
                           headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 200 and again.json["traceability_url"].startswith("http://two.test/")
    finally:
        app.config.update(CACHE_ENABLED=False, HTTP_CACHE_ENABLED=False)


def test_outside_a_request_links_use_the_address_the_server_was_started_on(app, base_url):
    base_url("")
    with app.app_context():
        saved = app.config["SERVED_BASE_URL"]
        app.config["SERVED_BASE_URL"] = "http://127.0.0.1:5400"
        try:
            assert public_base_url() == "http://127.0.0.1:5400"
        finally:
            app.config["SERVED_BASE_URL"] = saved


@pytest.mark.parametrize("env, expected", [
    ({}, "http://127.0.0.1:5000"),
    ({"PORT": "5400"}, "http://127.0.0.1:5400"),
    ({"HOST": "192.168.1.20", "PORT": "5400"}, "http://192.168.1.20:5400"),
    ({"HOST": "0.0.0.0", "PORT": "8000"}, "http://127.0.0.1:8000"),  # a wildcard is reached on loopback
    ({"BIND": "10.0.0.5:9000", "PORT": "5400"}, "http://10.0.0.5:9000"),  # gunicorn's BIND wins
])
def test_the_served_address_comes_from_host_port_or_bind(env, expected):
    assert served_base_url(env) == expected


def test_a_production_start_without_the_setting_warns(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    with caplog.at_level(logging.WARNING):
        create_app({"SEARCH_INDEX_DIR": str(tmp_path / "idx")})
    assert any("PUBLIC_BASE_URL is not set" in r.getMessage() for r in caplog.records)

    caplog.clear()
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://ocop.example.vn")
    with caplog.at_level(logging.WARNING):
        create_app({"SEARCH_INDEX_DIR": str(tmp_path / "idx")})
    assert not any("PUBLIC_BASE_URL" in r.getMessage() for r in caplog.records)
