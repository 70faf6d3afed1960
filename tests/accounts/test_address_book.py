"""The address book: pickers for the whole country after 1 July 2025 (vietnam-provinces),
CRUD on the web and the API with one default, each user's own addresses only, and the
default filled in at checkout."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
import sqlalchemy as sa

from marketplace.accounts import addresses, divisions
from marketplace.accounts.models import Address
from marketplace.errors import NotFound, ValidationFailed
from tests import factories as f
from tests.conftest import new_client, signed_in

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
QUANG_NINH = 22
AN_SINH = 7090  # Phường An Sinh (Quảng Ninh)
HA_NOI, HOAN_KIEM = 1, 70
KIND_PREFIX = {"ward": "Phường", "commune": "Xã", "special_zone": "Đặc khu"}


def ward_named(province: int, name: str) -> int:
    return next(w["code"] for w in divisions.wards(province) if w["name"] == name)


def body(**overrides) -> dict:
    return {"full_name": "Nguyễn Thị Lan", "phone": "0912 345 678", "line1": "Số 12, phố Cao Thắng",
            "province_code": QUANG_NINH, "ward_code": ward_named(QUANG_NINH, "Phường Hạ Long")} | overrides


# ---- the divisions ----------------------------------------------------------------------------

def test_the_pickers_cover_the_country_after_the_2025_reform(client, db):
    provinces = client.get("/api/v1/divisions/provinces").json["items"]
    assert len(provinces) == 34 and {"code": QUANG_NINH, "name": "Quảng Ninh", "kind": "province"} in provinces
    total = 0
    for p in provinces:
        total += len(divisions.wards(p["code"]))
    assert total == 3321
    wards = client.get(f"/api/v1/divisions/provinces/{QUANG_NINH}/wards").json["items"]
    assert len(wards) == 54 and {w["kind"] for w in wards} == {"ward", "commune", "special_zone"}
    assert {"code": AN_SINH, "name": "Phường An Sinh", "kind": "ward"} in wards
    assert client.get("/api/v1/divisions/provinces/99/wards").status_code == 404
    assert client.get("/api/v1/divisions/provinces/" + "9" * 40 + "/wards").status_code == 404


def test_quang_ninhs_54_agree_with_the_producers_localities():
    """seeds/localities.csv (the producers' localities) names the same 54 communes, wards and
    special zones, of the same kinds, as the package; every producer in the catalogue seed
    is in one of them."""
    with open(SEEDS / "localities.csv", encoding="utf-8") as fh:
        seeded = list(csv.DictReader(fh))
    ours = {f"{KIND_PREFIX[row['kind']]} {row['name']}" for row in seeded}
    package = {w["name"] for w in divisions.wards(QUANG_NINH)}
    assert len(seeded) == 54 and ours == package
    with open(SEEDS / "ocop_products.csv", encoding="utf-8") as fh:
        used = {row["producer_locality"] for row in csv.DictReader(fh)}
    assert used <= {row["slug"] for row in seeded}


# ---- the rules (service) ---------------------------------------------------------------------

def test_the_first_address_is_the_default_and_one_default_moves(db):
    user = f.user()
    first = addresses.create_address(user, body())
    second = addresses.create_address(user, body(line1="Số 3, đường Trần Hưng Đạo", ward_code=AN_SINH))
    assert (first.is_default, second.is_default) == (True, False)
    assert (second.ward_name, second.province_name) == ("Phường An Sinh", "Quảng Ninh")
    third = addresses.create_address(user, body(province_code=HA_NOI, ward_code=HOAN_KIEM, is_default=True))
    db.session.expire_all()
    assert [a.id for a in addresses.list_addresses(user)] == [third.id, second.id, first.id]
    assert addresses.default_address(user).id == third.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Address)
                             .where(Address.user_id == user.id, Address.is_default.is_(True))) == 1
    addresses.delete_address(user, third.id)
    assert addresses.default_address(user).id == second.id


def test_an_address_is_checked(db):
    user = f.user()
    with pytest.raises(ValidationFailed) as wrong_ward:
        addresses.create_address(user, body(province_code=HA_NOI))  # a Quảng Ninh ward in Hà Nội
    assert set(wrong_ward.value.fields) == {"ward_code"}
    with pytest.raises(ValidationFailed) as bad:
        addresses.create_address(user, {"full_name": " ", "phone": "123", "line1": "a\u202eb", "province_code": 99,
                                        "ward_code": "7090"})
    assert set(bad.value.fields) == {"full_name", "phone", "line1", "province_code", "ward_code"}
    saved = addresses.create_address(user, body(full_name="  Lê Văn Hùng ", phone="+84 903 123 456"))
    assert (saved.full_name, saved.phone) == ("Lê Văn Hùng", "0903123456")
    with pytest.raises(ValidationFailed):
        addresses.update_address(user, saved.id, {"province_code": HA_NOI})  # the ward stays in Quảng Ninh
    for _ in range(addresses.MAX_ADDRESSES - 1):
        addresses.create_address(user, body())
    with pytest.raises(Exception) as full:
        addresses.create_address(user, body())
    assert getattr(full.value, "code", "") == "too_many_addresses"


def test_another_users_address_is_not_found(db):
    owner, other = f.user(), f.user()
    mine = addresses.create_address(owner, body())
    for call in (lambda: addresses.get_address(other, mine.id),
                 lambda: addresses.update_address(other, mine.id, {"line1": "x"}),
                 lambda: addresses.delete_address(other, mine.id),
                 lambda: addresses.get_address(other, 10**30)):
        with pytest.raises(NotFound):
            call()
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Address, mine.id).line1 == "Số 12, phố Cao Thắng"


# ---- the API ------------------------------------------------------------------------------------

def test_the_api_crud_of_ones_own_addresses(app, db):
    lan, minh = f.user(), f.user()
    client = signed_in(app, lan)
    created = client.post("/api/v1/me/addresses", json=body())
    assert created.status_code == 201, created.json
    item = created.json
    assert (item["is_default"], item["province_name"], item["ward_name"], item["phone"]) == (
        True, "Quảng Ninh", "Phường Hạ Long", "0912345678")
    other = client.post("/api/v1/me/addresses", json=body(province_code=HA_NOI, ward_code=HOAN_KIEM)).json
    assert other["is_default"] is False
    moved = client.patch(f"/api/v1/me/addresses/{other['id']}", json={"is_default": True, "line1": "Số 5 Hàng Bài"})
    assert moved.status_code == 200 and moved.json["is_default"] is True and moved.json["line1"] == "Số 5 Hàng Bài"
    listed = client.get("/api/v1/me/addresses").json["items"]
    assert [(a["id"], a["is_default"]) for a in listed] == [(other["id"], True), (item["id"], False)]

    refused = client.post("/api/v1/me/addresses", json=body(ward_code=HOAN_KIEM))
    assert refused.status_code == 422 and "ward_code" in refused.json["error"]["fields"]
    for junk in ({"province_code": "22"}, {"user_id": minh.id}, {"is_default": "maybe"}):
        assert client.post("/api/v1/me/addresses", json=body() | junk).status_code == 422

    stranger = signed_in(app, minh)
    assert stranger.get("/api/v1/me/addresses").json["items"] == []
    assert stranger.get(f"/api/v1/me/addresses/{item['id']}").status_code == 404
    assert stranger.patch(f"/api/v1/me/addresses/{item['id']}", json={"line1": "x y z"}).status_code == 404
    assert stranger.delete(f"/api/v1/me/addresses/{item['id']}").status_code == 404
    assert new_client(app).get("/api/v1/me/addresses").status_code == 401

    assert client.delete(f"/api/v1/me/addresses/{other['id']}").status_code == 204
    assert client.get(f"/api/v1/me/addresses/{item['id']}").json["is_default"] is True


# ---- the web pages ------------------------------------------------------------------------------

def test_the_web_address_book_with_and_without_javascript(app, db):
    user = f.user(full_name="Phạm Thu Hà", phone="0987654321")
    client = signed_in(app, user)
    page = client.get("/account/addresses")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Phạm Thu Hà" in html and "js/addresses.js" in html
    assert 'data-wards-url="/api/v1/divisions/provinces/"' in html and html.count("<option") == 35 + 1

    # No JavaScript: choosing the province and asking for its communes shows them, saves nothing.
    shown = client.post("/account/addresses", data={"full_name": "Phạm Thu Hà", "phone": "0987654321",
                                                    "line1": "Số 9, phố Bến Đoan", "province_code": str(QUANG_NINH),
                                                    "ward_code": "0", "refresh": "1"})
    assert shown.status_code == 200 and "Đặc khu Vân Đồn" in shown.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Address)) == 0

    form = {"full_name": "Phạm Thu Hà", "phone": "0987654321", "line1": "Số 9, phố Bến Đoan",
            "province_code": str(QUANG_NINH), "ward_code": str(AN_SINH)}
    saved = client.post("/account/addresses", data=form)
    assert saved.status_code in (302, 303)
    wrong = client.post("/account/addresses", data=form | {"ward_code": str(HOAN_KIEM)})
    assert wrong.status_code == 422 and "Đặc khu Vân Đồn" in wrong.get_data(as_text=True)
    bad = client.post("/account/addresses", data=form | {"province_code": "abc", "ward_code": "x"})
    assert bad.status_code == 422 and "coerce" not in bad.get_data(as_text=True)

    address = db.session.scalars(sa.select(Address)).one()
    assert (address.ward_name, address.is_default) == ("Phường An Sinh", True)
    edit = client.get(f"/account/addresses/{address.id}/edit").get_data(as_text=True)
    assert f'<option selected value="{AN_SINH}">' in edit or f'value="{AN_SINH}" selected' in edit
    changed = client.post(f"/account/addresses/{address.id}/edit", data=form | {"line1": "Số 10, phố Bến Đoan"})
    assert changed.status_code in (302, 303)
    stranger = signed_in(app, f.user())
    assert stranger.get(f"/account/addresses/{address.id}/edit").status_code == 404
    assert stranger.post(f"/account/addresses/{address.id}/delete").status_code == 404
    assert client.post(f"/account/addresses/{address.id}/delete").status_code in (302, 303)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Address)) == 0


def test_the_address_book_page_takes_a_constant_number_of_queries(app, db, query_counter):
    user = f.user()
    client = signed_in(app, user)
    addresses.create_address(user, body())
    with query_counter() as one:
        assert client.get("/account/addresses").status_code == 200
    for _ in range(5):
        addresses.create_address(user, body())
    with query_counter() as six:
        assert client.get("/account/addresses").status_code == 200
    assert six.count == one.count


# ---- checkout ----------------------------------------------------------------------------------------

def test_checkout_starts_from_the_default_address(app, db):
    user = f.user(full_name="Đỗ Minh Châu")
    client = signed_in(app, user)
    item = f.product(stock=5)
    assert client.post("/api/v1/cart/items", json={"product_id": item.id, "quantity": 1}).status_code in (200, 201)
    plain = client.get("/checkout").get_data(as_text=True)
    assert "Đặc khu Cô Tô" not in plain
    addresses.create_address(user, body(full_name="Đỗ Minh Châu", line1="Thôn 1", phone="0977111222",
                                        ward_code=ward_named(QUANG_NINH, "Đặc khu Cô Tô")))
    page = client.get("/checkout").get_data(as_text=True)
    for value in ('value="Thôn 1"', 'value="Đặc khu Cô Tô"', 'value="Quảng Ninh"', 'value="0977111222"'):
        assert value in page, value
