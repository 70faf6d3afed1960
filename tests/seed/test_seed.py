"""`flask seed` with the shipped files: Quảng Ninh's localities, the six OCOP groups and the
catalogue built from the province's published totals: the products of the public record
with their sources, and sample rows, marked as such, for the rest.

Loading 432 products per test would be slow, so this module seeds ONCE: it replaces the
per-test table cleanup with a module-level one, and its tests only read, or prove that a
run wrote nothing.
"""
from __future__ import annotations

import csv
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from tests.conftest import empty_tables

from marketplace.catalog.models import PRODUCER_KINDS, Category, Certificate, Locality, Producer, Product
from marketplace.catalog.seed import CATALOGUE_COLUMNS, CATALOGUE_CSV, SEEDS_DIR
from marketplace.extensions import db
from marketplace.timeutil import add_months
from marketplace.validators import normalise_phone, validate_tax_code

# The date the sample's expiry mix is built around (seeds/generate_catalogue.py REFERENCE_DATE).
SAMPLE_DATE = date(2026, 11, 23)
OCOP_GROUPS = {"thuc-pham", "do-uong", "thao-duoc", "thu-cong-my-nghe", "sinh-vat-canh", "du-lich"}
FORMER_DISTRICTS = {"Hạ Long", "Cẩm Phả", "Uông Bí", "Móng Cái", "Đông Triều", "Quảng Yên", "Vân Đồn", "Cô Tô",
                    "Ba Chẽ", "Bình Liêu", "Tiên Yên", "Đầm Hà", "Hải Hà"}


@pytest.fixture(autouse=True)
def _clean_tables():
    """Overrides conftest's per-test cleanup: the seeded catalogue is shared by this module's tests."""
    yield


@pytest.fixture(scope="module")
def seeded(app):
    empty_tables(app)
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    yield result
    empty_tables(app)


@pytest.fixture
def session(app, seeded):
    with app.app_context():
        yield db.session
        db.session.remove()


def count(session, model) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def table_counts(session) -> dict[str, int]:
    return {m.__tablename__: count(session, m) for m in (Locality, Category, Producer, Product, Certificate)}


def test_seed_loads_the_published_ocop_totals(session):
    assert count(session, Product) == 432
    stars = dict(session.execute(sa.select(Certificate.stars, sa.func.count()).group_by(Certificate.stars)).all())
    assert stars == {5: 5, 4: 107, 3: 320}
    assert count(session, Producer) == 186
    kinds = set(session.scalars(sa.select(Producer.kind).distinct()))
    assert kinds == set(PRODUCER_KINDS)


def test_localities_are_the_54_units_of_the_two_tier_government(session):
    by_kind = dict(session.execute(sa.select(Locality.kind, sa.func.count()).group_by(Locality.kind)).all())
    assert by_kind == {"ward": 30, "commune": 22, "special_zone": 2}
    assert set(session.scalars(sa.select(Locality.name).where(Locality.kind == "special_zone"))) == {
        "Vân Đồn", "Cô Tô"}
    assert set(session.scalars(sa.select(Locality.region).distinct())) == FORMER_DISTRICTS
    bai_chay = session.scalar(sa.select(Locality).where(Locality.slug == "bai-chay"))
    assert (bai_chay.name, bai_chay.kind, bai_chay.region, bai_chay.region_slug) == (
        "Bãi Cháy", "ward", "Hạ Long", "ha-long")
    # the sample is spread over every commune, ward and special zone
    used = session.scalar(sa.select(sa.func.count(sa.distinct(Producer.locality_id))))
    assert used == 54


def test_categories_are_the_six_ocop_groups_with_sub_groups(session):
    groups = session.scalars(sa.select(Category).where(Category.parent_id.is_(None)).order_by(Category.position)).all()
    assert [g.slug for g in groups] == ["thuc-pham", "do-uong", "thao-duoc", "thu-cong-my-nghe", "sinh-vat-canh",
                                        "du-lich"]
    assert [g.name_en for g in groups][:2] == ["Food", "Beverages"]
    assert groups[5].name_vi == "Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch"
    for group in groups:
        assert len(group.children) >= 3, group.slug
        assert all(child.name_vi and child.name_en for child in group.children)
    # products sit in sub-groups, and every group has products
    parent = sa.orm.aliased(Category)
    used_groups = set(session.scalars(
        sa.select(parent.slug).distinct().select_from(Product)
        .join(Category, Product.category_id == Category.id).join(parent, Category.parent_id == parent.id)))
    assert used_groups == OCOP_GROUPS


def catalogue_rows() -> list[dict]:
    with open(CATALOGUE_CSV, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_seeded_products_are_shown_with_valid_producer_details(session):
    assert count(session, Product) == session.scalar(
        sa.select(sa.func.count()).select_from(Product).join(Producer).where(Product.public_clause()))
    for producer in session.scalars(sa.select(Producer)):
        assert producer.approved and producer.approved_at is not None
        assert producer.tax_code is None or validate_tax_code(producer.tax_code) == producer.tax_code
        assert producer.phone is None or normalise_phone(producer.phone) == producer.phone
        assert producer.address.endswith("tỉnh Quảng Ninh")
    prices = session.scalars(sa.select(Product.price_vnd)).all()
    assert all(isinstance(p, int) and p > 0 for p in prices)
    names = " | ".join(session.scalars(sa.select(Product.name)))
    for known in ("Miến dong Bình Liêu", "Sá sùng khô Vân Đồn", "Hàu sữa Vân Đồn", "gốm Đông Triều",
                  "Ba kích tím khô Ba Chẽ", "Gà Tiên Yên", "Dầu sở Bình Liêu", "Tinh dầu quế", "Mật ong", "Khoai sọ"):
        assert known in names, known


def test_the_national_five_stars_are_those_of_the_public_record(session):
    five = session.execute(
        sa.select(Product.name, Producer.name, Product.sample, Product.source).join(Producer).join(Certificate)
        .where(Certificate.stars == 5).order_by(Product.name)).all()
    real = {(name, maker) for name, maker, sample, _ in five if not sample}
    assert real == {
        ("Ngọc trai Akoya", "Công ty CP Ngọc trai Hạ Long"),
        ("Ngọc trai Tahiti", "Công ty CP Ngọc trai Hạ Long"),
        ("Ngọc trai South Sea", "Công ty CP Ngọc trai Hạ Long"),
        ("Trà hoa vàng Quy Hoa", "Công ty TNHH Thương mại dịch vụ và Xuất nhập khẩu Quy Hoa"),
    }
    assert all(source and source.startswith("https://") for _, _, sample, source in five if not sample)
    # the fifth of the published count is sample data, flagged as such
    assert sum(sample for _, _, sample, _ in five) == 1


def test_every_row_names_its_source_and_every_source_is_listed():
    listed = " ".join((SEEDS_DIR / "SOURCES.md").read_text(encoding="utf-8").split())  # lines rewrapped
    rows = catalogue_rows()
    assert all(r["source"] for r in rows)
    real = [r for r in rows if r["source"] != "sample"]
    assert len(real) >= 11
    for row in real:
        assert row["source"] in listed, row["product_name"]
        assert row["product_name"] in listed and row["producer_name"] in listed, row["product_name"]


def test_sample_rows_have_contact_details_that_reach_no_one():
    for row in catalogue_rows():
        assert not row["producer_tax_code"] and not row["producer_phone"], row["producer_name"]
        if row["source"] == "sample":
            assert row["producer_email"].endswith("@example.com"), row["producer_name"]
            assert row["certificate_no"].startswith("MAU-")
        else:
            assert not row["producer_email"] and row["certificate_no"].startswith("CHUA-CONG-BO-SO-")


def test_each_producer_sells_only_products_of_its_own_trade():
    trades = {  # what a producer's name says it makes -> the OCOP categories that fits
        "Thủy sản": {"thuy-hai-san"}, "Chè": {"che-tra"}, "Tinh dầu": {"tinh-dau"}, "Gốm": {"gom-su"},
        "Mây tre đan": {"may-tre-go"}, "Thổ cẩm": {"vai-may-mac"}, "Mỹ nghệ": {"my-nghe-luu-niem"},
        "Dược liệu": {"duoc-lieu", "tra-thao-duoc"}, "Thảo dược": {"my-pham-thao-duoc"},
    }
    checked = 0
    for row in catalogue_rows():
        if row["source"] != "sample":
            continue
        for trade, categories in trades.items():
            if re.search(rf"\b{trade}\b", row["producer_name"]) and not row["producer_name"].startswith("Hộ"):
                assert row["category"] in categories, (row["producer_name"], row["product_name"])
                checked += 1
    assert checked > 50


def test_sample_rows_are_flagged_in_the_database(session):
    by_flag = dict(session.execute(sa.select(Product.sample, sa.func.count()).group_by(Product.sample)).all())
    assert by_flag[False] == 11 and by_flag[True] == 421
    assert session.scalar(sa.select(sa.func.count()).select_from(Producer).where(Producer.sample.is_(False))) == 6
    mixed = session.scalar(sa.select(sa.func.count()).select_from(Product).join(Producer)
                           .where(Product.sample != Producer.sample))
    assert mixed == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(Product)
                          .where(Product.sample.is_(False), Product.source.is_(None))) == 0


def test_the_seed_prints_a_summary_and_no_stray_lines(seeded):
    assert seeded.output.splitlines() == [
        "Dữ liệu gốc ocop_products.csv: đã tạo 432 sản phẩm (421 sản phẩm mẫu), 186 cơ sở sản xuất, 54 địa bàn, "
        "27 nhóm OCOP.",
        "Thuế suất GTGT: đã thêm 17 mức từ marketplace/invoicing/vat_rates.csv."]


def test_certificates_follow_the_ocop_rules_with_some_expiring_and_expired(session):
    certificates = session.scalars(sa.select(Certificate)).all()
    assert len({c.certificate_no for c in certificates}) == 432
    for cert in certificates:
        assert cert.level == ("national" if cert.stars == 5 else "province")
        assert cert.expires_on == add_months(cert.issued_on, 36)
    expired = [c for c in certificates if c.expires_on < SAMPLE_DATE]
    expiring = [c for c in certificates if SAMPLE_DATE <= c.expires_on <= SAMPLE_DATE + timedelta(days=60)]
    assert 1 <= len(expired) <= 10
    assert len(expiring) >= 10
    assert all(c.verified and c.expires_on > SAMPLE_DATE for c in certificates if c.stars == 5)
    assert 0 < sum(not c.verified for c in certificates) < 20


def test_a_second_run_writes_nothing(app, session, query_counter):
    before = table_counts(session)
    product = session.scalar(sa.select(Product).where(Product.name == "Ngọc trai Akoya"))
    slug, stamp, price = product.slug, product.updated_at, product.price_vnd
    session.rollback()

    with query_counter() as queries:
        result = app.test_cli_runner().invoke(args=["seed"])

    assert result.exit_code == 0, result.output
    assert "không có gì phải làm" in result.output
    writes = [s for s in queries.statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []
    assert queries.count <= 10  # a handful of look-ups, not one per row
    assert table_counts(session) == before
    product = session.scalar(sa.select(Product).where(Product.slug == slug))
    assert (product.updated_at, product.price_vnd) == (stamp, price)


def test_a_malformed_catalogue_is_rejected_whole(app, session, tmp_path):
    before = table_counts(session)
    with open(CATALOGUE_CSV, encoding="utf-8", newline="") as fh:
        template = next(csv.DictReader(fh))
    good = {**template, "product_slug": "brand-new-product", "certificate_no": "QN-TEST-1"}
    bad = {**template, "product_slug": "another-new-product", "certificate_no": "QN-TEST-2", "stars": "six"}
    path = tmp_path / "catalogue.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CATALOGUE_COLUMNS)
        writer.writeheader()
        writer.writerows([good, bad])

    result = app.test_cli_runner().invoke(args=["seed", "--file", str(path)])

    assert result.exit_code != 0
    assert "catalogue.csv line 3: stars" in result.output
    assert "không ghi gì" in result.output  # nothing was written (the CLI speaks Vietnamese)
    assert table_counts(session) == before
    assert session.scalar(sa.select(Product).where(Product.slug == "brand-new-product")) is None
