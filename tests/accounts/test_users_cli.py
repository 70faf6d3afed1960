"""`flask users create`: accounts from the command line; a seller is bound to one producer."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.accounts.services import authenticate

from tests import factories
from tests.factories import PASSWORD


def create(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["users", "create", *args], input=input)


def users(db) -> list[User]:
    db.session.expire_all()
    return db.session.scalars(sa.select(User).order_by(User.id)).all()


@pytest.mark.parametrize("role", ["admin", "shopper"])
def test_creates_admins_and_shoppers(app, db, role):
    result = create(app, "--email", f"{role}@Example.VN", "--password", PASSWORD, "--role", role,
                    "--name", "Nguyễn Thị Lan", "--phone", "+84 912 345 678")

    assert result.exit_code == 0, result.output
    [user] = users(db)
    assert (user.email, user.role, user.full_name, user.phone, user.producer_id) == (
        f"{role}@example.vn", role, "Nguyễn Thị Lan", "0912345678", None)
    assert f"Đã tạo tài khoản {role} #{user.id} {role}@example.vn" in result.output
    assert authenticate(f"{role}@example.vn", PASSWORD) == user


def test_the_name_defaults_to_the_email_and_the_role_to_shopper(app, db):
    result = create(app, "--email", "lan@example.vn", "--password", PASSWORD)
    assert result.exit_code == 0, result.output
    [user] = users(db)
    assert (user.full_name, user.role) == ("lan", "shopper")


@pytest.mark.parametrize("ref", ["id", "slug", "tax_code"])
def test_a_seller_is_bound_to_the_producer_given_by_id_slug_or_tax_code(app, db, ref):
    producer = factories.producer("HTX Trà hoa vàng Ba Chẽ")
    factories.producer("HTX Khác")

    result = create(app, "--email", "seller@example.vn", "--password", PASSWORD, "--role", "seller",
                    "--producer", str(getattr(producer, ref)))

    assert result.exit_code == 0, result.output
    [user] = users(db)
    assert (user.role, user.producer_id) == ("seller", producer.id)
    assert user.is_seller
    assert f"cho cơ sở #{producer.id} HTX Trà hoa vàng Ba Chẽ" in result.output


def test_the_password_is_asked_for_when_left_out(app, db):
    result = create(app, "--email", "hoi@example.vn", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert authenticate("hoi@example.vn", PASSWORD) is not None


@pytest.mark.parametrize("args, message", [
    (["--email", "s@example.vn", "--role", "seller"], "Người bán phải thuộc một cơ sở"),
    (["--email", "not-an-email", "--role", "admin"], "email: Email không hợp lệ"),
    (["--email", "s@example.vn", "--role", "seller", "--producer", "999"], "Không tìm thấy cơ sở '999'"),
    (["--email", "s@example.vn", "--role", "admin", "--producer", "PRODUCER"], "Chỉ người bán mới gắn với cơ sở"),
    (["--email", "s@example.vn", "--phone", "12345"], "Số điện thoại Việt Nam không hợp lệ"),
    (["--email", "s@example.vn", "--role", "owner"], "Invalid value for '--role'"),
])
def test_bad_input_is_refused_with_a_clear_message(app, db, args, message):
    producer = factories.producer()
    args = [str(producer.id) if a == "PRODUCER" else a for a in args]

    result = create(app, *args, "--password", PASSWORD)

    assert result.exit_code != 0
    assert message in result.output
    assert users(db) == []


def test_a_short_password_and_a_taken_email_are_refused(app, db):
    short = create(app, "--email", "a@example.vn", "--password", "ngan")
    assert short.exit_code == 1 and "Mật khẩu cần ít nhất 8 ký tự" in short.output

    assert create(app, "--email", "a@example.vn", "--password", PASSWORD).exit_code == 0
    taken = create(app, "--email", "A@example.vn", "--password", PASSWORD, "--role", "admin")
    assert taken.exit_code == 1 and "Email đã được đăng ký" in taken.output
    assert [u.role for u in users(db)] == ["shopper"]
