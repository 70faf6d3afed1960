"""One language at a time: every message goes through Babel with an English id, translated
in the catalogue of the package that uses it; pages and API answers speak Vietnamese (the
default) or English, never "Tiếng Việt / English" pairs; the libraries' own validation
messages (WTForms, marshmallow) follow the language too; numbers, percentages and dates are
written as the locale writes them."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import marshmallow
import wtforms.i18n
from babel.messages.pofile import read_po
from marshmallow import fields as ma_fields
from marshmallow import validate as ma_validate

from marketplace.i18n import (MARSHMALLOW_MESSAGES, WTFORMS_MESSAGES, format_local_date, format_local_datetime,
                              format_number, format_percent, translate_library_message, wtforms_plural_messages)
from tests import factories as f
from tests.i18n.test_i18n import PACKAGE_DIR, extracted_messages, merged_translations, vietnamese_catalogues

# ---------------------------------------------------------------------------------------------
# (1) every message id has a Vietnamese translation in the catalogue of the package using it


def _package_catalogues() -> dict[Path, set[str]]:
    """package directory -> the message ids its vi catalogue translates."""
    found = {}
    for po_path, catalogue in vietnamese_catalogues():
        ids = set()
        for message in catalogue:
            if message.id and not message.fuzzy and all(
                    message.string if isinstance(message.string, tuple) else (message.string,)):
                ids.update(message.id if isinstance(message.id, tuple) else (message.id,))
        found[po_path.parents[3]] = ids
    return found


def _owner(path: Path, catalogues: dict[Path, set[str]]) -> Path:
    folder = path.parent
    while folder != PACKAGE_DIR and folder not in catalogues:
        folder = folder.parent
    return folder


def test_every_message_in_code_is_translated_in_its_own_packages_catalogue():
    catalogues = _package_catalogues()
    missing = []
    for msgid, places in extracted_messages().items():
        for place in places:
            path = PACKAGE_DIR / place.rsplit(":", 1)[0]
            if path.suffix == ".html" and _owner(path, catalogues) == PACKAGE_DIR:
                continue  # the shared templates (marketplace/templates) draw on every catalogue
            owner = _owner(path, catalogues)
            if msgid not in catalogues.get(owner, set()):
                missing.append(f"  {msgid!r} ({place}) -> {owner.relative_to(PACKAGE_DIR.parent)}/translations")
    assert not missing, "add these to the package's vi messages.po:\n" + "\n".join(sorted(missing))


def test_the_check_sees_a_message_missing_from_its_package(tmp_path):
    catalogues = _package_catalogues()
    assert "Product not found" in catalogues[PACKAGE_DIR / "catalog"]
    assert "Product not found" not in catalogues[PACKAGE_DIR / "stats"]
    assert _owner(PACKAGE_DIR / "stats" / "share.py", catalogues) == PACKAGE_DIR / "stats"
    assert _owner(PACKAGE_DIR / "validators.py", catalogues) == PACKAGE_DIR


def test_every_wtforms_message_is_listed_for_translation():
    with open(Path(wtforms.i18n.messages_path()) / "wtforms.pot", "rb") as fh:
        pot = read_po(fh)
    singular = {m.id for m in pot if m.id and not isinstance(m.id, tuple)}
    plural = {m.id[0] for m in pot if isinstance(m.id, tuple)}
    assert singular <= set(WTFORMS_MESSAGES)
    assert plural <= set(extracted_messages())  # the ngettext calls of wtforms_plural_messages


def _marshmallow_messages() -> set[str]:
    """marshmallow's built-in messages as it finally words them (Range's operators filled in)."""
    found = set(marshmallow.Schema._default_error_messages.values())
    for cls in vars(ma_fields).values():
        if isinstance(cls, type) and issubclass(cls, ma_fields.Field):
            found.update(cls.__dict__.get("default_error_messages", {}).values())
    for cls in vars(ma_validate).values():
        if isinstance(cls, type) and issubclass(cls, ma_validate.Validator) and cls is not ma_validate.Range:
            found.update(v for k, v in vars(cls).items() if k in ("default_message", "message_min", "message_max",
                                                                  "message_all", "message_equal"))
    r = ma_validate.Range
    for low in (r.message_gte, r.message_gt):
        found.add(r.message_min.format(min_op=low))
        for high in (r.message_lte, r.message_lt):
            found.add(r.message_all.format(min_op=low, max_op=high))
    for high in (r.message_lte, r.message_lt):
        found.add(r.message_max.format(max_op=high))
    return found


def test_every_marshmallow_message_is_listed_for_translation():
    assert _marshmallow_messages() <= set(MARSHMALLOW_MESSAGES)


def test_library_messages_are_translated_when_shown(app):
    with app.test_request_context("/api/v1/products"):
        assert translate_library_message("Not a valid integer.") == "Phải là số nguyên."
        assert translate_library_message("Must be greater than or equal to 1.") == "Phải lớn hơn hoặc bằng 1."
        assert translate_library_message("Must be one of: a, b.") == "Phải là một trong: a, b."
        assert translate_library_message("Something of our own") == "Something of our own"
        assert "Trường này phải có ít nhất %(min)d ký tự." in wtforms_plural_messages(3)
    with app.test_request_context("/api/v1/products?lang=en"):
        assert translate_library_message("Must be greater than or equal to 1.") == "Must be greater than or equal to 1."


# ---------------------------------------------------------------------------------------------
# (2) no message string in the code is a "vi / en" pair

# Files still allowed to hold pairs while another change rewrites them (remove a file once it is
# clean: the test says so). Emails are no exception: each is written in its reader's language
# (marketplace/mail/language.py).
STILL_BILINGUAL: set[str] = set()
VIETNAMESE = re.compile(r"[àáảãạăắằẳẵặâấầẩẫậèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵđ]", re.I)


def _text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def is_pair(text: str) -> bool:
    """'Vietnamese / English', or the ' / English' half of one built by concatenation."""
    if " / " in text:
        left, _, right = text.partition(" / ")
        if VIETNAMESE.search(left) and re.match(r"\s*[A-Za-z{'\"“]", right):
            return True
    return bool(re.match(r"\s*/ [A-Za-z]", text)) and not VIETNAMESE.search(text)


def bilingual_strings(source: str) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            skip.add(id(node.value))  # docstrings
        elif isinstance(node, ast.JoinedStr):
            skip.update(id(v) for v in node.values)  # judged as a whole
    return [(node.lineno, text) for node in ast.walk(tree)
            if id(node) not in skip and (text := _text(node)) is not None and is_pair(text)]


def test_the_pair_detector_sees_pairs_and_nothing_else():
    assert bilingual_strings('x = "Giỏ hàng trống / The cart is empty"')
    assert bilingual_strings('x = f"Tối đa {n} dòng / At most {n} rows"')
    assert bilingual_strings('x = ["Đơn vị: " + ", ".join(c) + " / Carrier: " + ", ".join(c)]')
    assert bilingual_strings('raise E("Số sao là 3 / "\n "Stars are 3")')
    assert not bilingual_strings('x = gettext("The cart is empty")')
    assert not bilingual_strings('x = "VNPost (Bưu điện Việt Nam)"')
    assert not bilingual_strings('x = f"{a / 1024:.0f} MB"')
    assert not bilingual_strings('def f():\n    """a / b docstring: Giỏ / Cart"""')
    assert bilingual_strings('send_after_commit(to, f"[OCOP] Đơn {c} đã huỷ / Order {c} cancelled", body)')


def test_no_message_in_the_code_is_a_vietnamese_english_pair():
    found, clean = [], []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        name = path.relative_to(PACKAGE_DIR).as_posix()
        pairs = bilingual_strings(path.read_text(encoding="utf-8"))
        if name in STILL_BILINGUAL:
            if not pairs:
                clean.append(name)
            continue
        found += [f"  {name}:{line}: {text[:90]!r}" for line, text in pairs]
    assert not found, "give these an English message id and a Vietnamese translation:\n" + "\n".join(found)
    assert not clean, f"now free of pairs: remove {clean} from STILL_BILINGUAL"


TEMPLATE_MESSAGE = re.compile(r"""\b_\(\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')""")


def vietnamese_outside_messages(template: str) -> list[str]:
    """The Vietnamese a template writes itself: in its text or its expressions, not in a
    message (`_("…")`, `{% trans %}`) or a comment."""
    source = re.sub(r"{#.*?#}", "", template, flags=re.S)
    source = re.sub(r"{%-?\s*trans\b.*?endtrans\s*-?%}", "", source, flags=re.S)
    source = TEMPLATE_MESSAGE.sub("_(", source)
    return [source[max(0, m.start() - 40):m.end() + 20] for m in VIETNAMESE.finditer(source)]


def test_the_template_check_sees_vietnamese_written_outside_messages():
    assert vietnamese_outside_messages('<a lang="vi">Tiếng Việt</a>')
    assert vietnamese_outside_messages('{{ "Giỏ hàng" if empty }}')
    assert not vietnamese_outside_messages('{{ _("Cart") }} {#- "Giỏ hàng" -#} {{ _(\'Đơn\') }}')
    assert not vietnamese_outside_messages("{% trans n=3 %}Còn {{ n }}{% endtrans %}")


def test_no_template_writes_vietnamese_outside_a_message():
    found = [f"  {path.relative_to(PACKAGE_DIR)}: {text!r}" for path in sorted(PACKAGE_DIR.rglob("templates/**/*.html"))
             for text in vietnamese_outside_messages(path.read_text(encoding="utf-8"))]
    assert not found, "write these as English message ids translated in the catalogue:\n" + "\n".join(found)


def test_the_language_switch_names_each_language_in_itself(web, db):
    vietnamese = web.get("/").get_data(as_text=True)
    assert re.search(r'hreflang="en" lang="en">English</a>', vietnamese)
    assert 'lang="vi">Tiếng Việt</a>' not in vietnamese
    english = web.get("/?lang=en").get_data(as_text=True)
    assert re.search(r'hreflang="vi" lang="vi">Tiếng Việt</a>', english)
    assert 'lang="en">English</a>' not in english


# ---------------------------------------------------------------------------------------------
# (3) a Vietnamese page or API answer never shows an English message; an English one does

def _english_messages() -> set[str]:
    """The English message ids whose Vietnamese differs: sentences a Vietnamese page must not show."""
    return {msgid for msgid, vi in merged_translations().items()
            if vi != msgid and " " in msgid and len(msgid) >= 12 and "%" not in msgid and "{" not in msgid}


def _english_in(page: str) -> list[str]:
    text = re.sub(r"<[^>]+>", " ", page)
    return sorted(m for m in _english_messages() if m in text)


CHECKOUT = {"full_name": "", "phone": "", "email": "", "line1": "", "ward": "", "province": "",
            "payment_method": "vietqr", "note": ""}


def test_the_vietnamese_checkout_shows_vietnamese_validation_messages(db, client):
    item = f.product(stock=3)
    client.post("/cart/add", data={"product_id": item.id, "quantity": 1})
    page = client.post("/checkout", data=CHECKOUT).get_data(as_text=True)
    required = merged_translations()["Full name is required"]
    assert required in page and "Full name is required" not in page
    assert "This field is required." not in page
    assert _english_in(page) == []
    page = client.post("/checkout", data={**CHECKOUT, "full_name": "Trần Văn Minh", "phone": "123",
                                          "email": "minh@example.vn", "line1": "Thôn Đồng Tâm",
                                          "ward": "Xã Ba Chẽ", "province": "Quảng Ninh"}).get_data(as_text=True)
    assert "Số điện thoại Việt Nam không hợp lệ" in page and "Not a valid Vietnamese phone number" not in page
    assert _english_in(page) == []


def test_the_english_checkout_shows_english_validation_messages(db, client):
    item = f.product(stock=3)
    client.post("/cart/add", data={"product_id": item.id, "quantity": 1})
    page = client.post("/checkout?lang=en", data=CHECKOUT).get_data(as_text=True)
    required = merged_translations()["Full name is required"]
    assert "Full name is required" in page and required not in page


def test_the_register_page_speaks_one_language(db, web):
    form = {"email": "lan", "password": "abc", "confirm": "abd", "full_name": "", "phone": "123"}
    vietnamese = web.post("/register", data=form).get_data(as_text=True)
    english = web.post("/register?lang=en", data=form).get_data(as_text=True)
    translations = merged_translations()
    for message in ("Please enter your full name.", "Enter a valid email address, e.g. lan@example.vn."):
        assert translations[message] in vietnamese and message not in vietnamese
        assert message in english and translations[message] not in english
    assert _english_in(vietnamese) == []


def test_the_vietnamese_seller_product_form_shows_no_english(db, client):
    seller = f.seller_of("HTX Trà hoa vàng Ba Chẽ")
    f.category()
    f.login_as(client, seller.user)
    form = {"name": "X", "price_vnd": "mười", "stock": "-1", "unit": "", "category": "nope", "status": "draft"}
    vietnamese = client.post("/seller/products/new", data=form)
    assert vietnamese.status_code == 422
    assert _english_in(vietnamese.get_data(as_text=True)) == []
    assert " / Price" not in vietnamese.get_data(as_text=True)


def test_api_errors_come_in_one_language_chosen_by_lang_or_accept_language(db, client):
    body = {"email": "not-an-email", "password": "secret-12345", "full_name": "Lan", "phone": "0912345678"}
    vietnamese = client.post("/api/v1/auth/register", json=body)
    english = client.post("/api/v1/auth/register", json=body, headers={"Accept-Language": "en-US,en;q=0.9"})
    by_query = client.post("/api/v1/auth/register?lang=en", json=body, headers={"Accept-Language": "vi"})
    assert vietnamese.status_code == english.status_code == by_query.status_code == 422
    assert vietnamese.json["error"]["code"] == english.json["error"]["code"] == "validation_error"
    assert vietnamese.json["error"]["message"] == "Dữ liệu không hợp lệ"
    assert english.json["error"]["message"] == by_query.json["error"]["message"] == "Invalid input"
    assert vietnamese.json["error"]["fields"] == {"email": ["Email không hợp lệ"]}
    assert english.json["error"]["fields"] == {"email": ["Invalid email"]}
    assert " / " not in str(vietnamese.json) and " / " not in str(english.json)


def test_marshmallow_messages_follow_the_language_of_the_api(db, client):
    vietnamese = client.post("/api/v1/auth/register", json={"password": "secret-123"})
    english = client.post("/api/v1/auth/register", json={"password": "secret-123"},
                          headers={"Accept-Language": "en"})
    assert vietnamese.status_code == english.status_code == 422
    assert vietnamese.json["error"]["message"] == "Dữ liệu không hợp lệ"
    assert vietnamese.json["error"]["fields"]["email"] == ["Thiếu dữ liệu bắt buộc."]
    assert english.json["error"]["message"] == "Invalid input"
    assert english.json["error"]["fields"]["email"] == ["Missing data for required field."]
    page = client.get("/api/v1/products?page=abc").json["error"]
    assert page["fields"]["page"] == ["page phải là số nguyên"]
    assert client.get("/api/v1/products?page=abc&lang=en").json["error"]["fields"]["page"] == [
        "page must be a whole number"]


def test_werkzeugs_own_errors_follow_the_language_of_the_api(db, client):
    assert client.get("/api/v1/no-such-thing").json["error"] == {"code": "not_found", "message": "Không tìm thấy"}
    assert client.get("/api/v1/no-such-thing", headers={"Accept-Language": "en"}).json["error"]["message"] == \
        "Not found"


def test_a_service_message_follows_the_language_of_the_api(db, client):
    missing = client.get("/api/v1/products/khong-co-san-pham-nay")
    assert missing.status_code == 404 and missing.json["error"]["message"] == "Không tìm thấy sản phẩm"
    missing = client.get("/api/v1/products/no-such-product?lang=en")
    assert missing.json["error"] == {"code": "not_found", "message": "Product not found"}


# ---------------------------------------------------------------------------------------------
# numbers, percentages and dates per locale

def test_numbers_percentages_and_dates_follow_the_locale():
    from datetime import UTC, date, datetime

    assert format_percent(14.94, "vi") == "14,94%" and format_percent(14.94, "en") == "14.94%"
    assert format_percent(20, "vi") == "20%" and format_percent(-1, "vi") == "-1%"
    assert format_number(1_025_000, "vi") == "1.025.000" and format_number(1_025_000, "en") == "1,025,000"
    moment = datetime(2025, 3, 1, 2, 15, tzinfo=UTC)  # 09:15 in Hanoi
    assert format_local_datetime(moment, "vi") == "01/03/2025 09:15"
    assert format_local_datetime(moment, "en") == "1 Mar 2025, 09:15"
    assert format_local_date(date(2025, 3, 1), "vi") == "01/03/2025"
    assert format_local_date(date(2025, 3, 1), "en") == "1 Mar 2025"


def test_the_product_page_writes_prices_and_dates_as_the_locale_does(db, web):
    item = f.product(name="Trà hoa vàng Ba Chẽ", stars=4, price_vnd=1_025_000)
    vietnamese = web.get(f"/products/{item.slug}?lang=vi").get_data(as_text=True)
    english = web.get(f"/products/{item.slug}?lang=en").get_data(as_text=True)
    assert "1.025.000\u00a0₫" in vietnamese and "₫1,025,000" in english
    issued = item.certificate.issued_on
    assert format_local_date(issued, "vi") in vietnamese and format_local_date(issued, "en") in english
