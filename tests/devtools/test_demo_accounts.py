"""`flask demo accounts`: one admin, one seller of a seeded producer and one shopper, with
passwords random per installation kept in the instance folder; development only."""
from __future__ import annotations

import json
import os
import re
import stat

import sqlalchemy as sa

from marketplace.accounts.models import User
from tests import factories


def demo(app):
    return app.test_cli_runner().invoke(args=["demo", "accounts"])


def printed(output: str) -> dict[str, tuple[str, str]]:
    """role label -> (email, password) as the command prints them."""
    return {label: (email, password) for label, email, password in
            re.findall(r"^  (.+?): (\S+@\S+), mật khẩu (\S+), bắt đầu tại", output, re.M)}


def users(db) -> list[tuple[str, str, int | None]]:
    db.session.rollback()
    return [(u.email, u.role, u.producer_id) for u in db.session.scalars(sa.select(User).order_by(User.id))]


def signs_in(client, email: str, password: str) -> bool:
    return factories.login(client, email, password).status_code == 200


def test_creates_an_admin_a_seller_of_the_biggest_producer_and_a_shopper_and_prints_them(app, db, client):
    small = factories.producer("HTX Nhỏ")
    factories.product("Trà", prod=small)
    big = factories.producer("HTX Mật ong Ba Chẽ")
    factories.product("Mật ong rừng", prod=big)
    factories.product("Mật ong hoa nhãn", prod=big)

    result = demo(app)

    assert result.exit_code == 0, result.output
    assert users(db) == [("admin@example.com", "admin", None), ("seller@example.com", "seller", big.id),
                         ("shopper@example.com", "shopper", None)]
    accounts = printed(result.output)
    assert set(accounts) == {"Quản trị", "Người bán của HTX Mật ong Ba Chẽ", "Người mua"}
    passwords = {password for _email, password in accounts.values()}
    assert len(passwords) == 3 and all(len(p) >= 12 for p in passwords)
    for email, password in accounts.values():
        assert signs_in(client, email, password), email
        assert client.post("/api/v1/auth/logout").status_code == 204
    path = os.path.join(app.instance_path, "demo-accounts.json")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    kept = json.load(open(path, encoding="utf-8"))
    assert {kept[role]["email"]: kept[role]["password"] for role in kept} == dict(accounts.values())


def test_the_demo_seller_belongs_to_a_sample_producer_never_a_real_company(app, db):
    real = factories.producer("Công ty CP Ngọc trai Hạ Long")
    for name in ("Ngọc trai Akoya", "Ngọc trai Tahiti", "Ngọc trai South Sea"):
        factories.product(name, prod=real)
    sample = factories.producer("HTX Mẫu", sample=True)
    factories.product("Mật ong mẫu", prod=sample, sample=True)

    result = demo(app)

    assert result.exit_code == 0, result.output
    assert ("seller@example.com", "seller", sample.id) in users(db)


def test_running_it_again_prints_the_same_accounts_and_creates_nothing(app, db):
    factories.product("Trà")
    first = demo(app)
    second = demo(app)

    assert second.exit_code == 0, second.output
    assert printed(second.output) == printed(first.output)
    assert first.output.count("(mới tạo)") == 3 and "(mới tạo)" not in second.output
    assert len(users(db)) == 3


def test_another_installation_gets_other_passwords(app, db, tmp_path, monkeypatch):
    factories.product("Trà")
    first = printed(demo(app).output)
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "elsewhere"))
    db.session.execute(sa.delete(User))  # a fresh database too
    db.session.commit()
    second = printed(demo(app).output)
    assert {p for _e, p in first.values()}.isdisjoint({p for _e, p in second.values()})


def test_a_changed_password_is_reported_not_reset(app, db, client):
    factories.product("Trà")
    demo(app)
    shopper = db.session.scalar(sa.select(User).where(User.email == "shopper@example.com"))
    from marketplace.accounts.services import hash_password

    shopper.password_hash = hash_password("mat-khau-moi-123")
    db.session.commit()

    result = demo(app)

    assert result.exit_code == 0
    assert "Mật khẩu của shopper@example.com đã được đổi sau đó" in result.output
    assert signs_in(client, "shopper@example.com", "mat-khau-moi-123")


def test_without_a_seeded_producer_it_says_to_seed_first_and_writes_nothing(app, db):
    result = demo(app)
    assert result.exit_code == 1
    assert "flask seed" in result.output
    assert users(db) == []
    assert not os.path.exists(os.path.join(app.instance_path, "demo-accounts.json"))


def test_production_refuses(app, db, as_production):
    factories.product("Trà")
    result = demo(app)
    assert result.exit_code == 1
    assert "chỉ có khi phát triển" in result.output
    assert users(db) == []
    assert not os.path.exists(os.path.join(app.instance_path, "demo-accounts.json"))


def test_a_file_that_is_not_a_demo_accounts_file_is_left_alone(app, db):
    factories.product("Trà")
    os.makedirs(app.instance_path, exist_ok=True)
    path = os.path.join(app.instance_path, "demo-accounts.json")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("[1, 2]")
    result = demo(app)
    assert result.exit_code == 1
    assert "không phải tệp tài khoản demo" in result.output
    assert open(path, encoding="utf-8").read() == "[1, 2]" and users(db) == []
