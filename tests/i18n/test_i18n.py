"""Translations: every message id in code and templates has a Vietnamese translation,
and pages speak Vietnamese by default and English on request."""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import marketplace
from marketplace.i18n import translation_directories
from tests import factories as f

PACKAGE_DIR = Path(marketplace.__file__).resolve().parent
METHOD_MAP = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
KEYWORDS = {
    "_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3), "_l": None, "lazy_gettext": None,
    "lazy_ngettext": (1, 2), "lazy_pgettext": ((1, "c"), 2), "N_": None,
}


def extracted_messages() -> dict[str, list[str]]:
    """msgid -> places it is used, from every .py file and template of the package."""
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(PACKAGE_DIR), METHOD_MAP, keywords=KEYWORDS, comment_tags=(), strip_comment_tags=True):
        for msgid in (message if isinstance(message, tuple) else (message,)):
            if msgid:
                found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


def vietnamese_catalogues():
    for directory in translation_directories():
        po_path = Path(directory) / "vi" / "LC_MESSAGES" / "messages.po"
        if po_path.exists():
            with po_path.open("rb") as fh:
                yield po_path, read_po(fh, locale="vi")


def merged_translations() -> dict[str, str]:
    merged: dict[str, str] = {}
    for _path, catalogue in vietnamese_catalogues():
        for message in catalogue:
            if not message.id or message.fuzzy:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for msgid in ids:
                if all(strings):
                    merged[msgid] = strings[0]
    return merged


def test_extraction_sees_the_templates_and_the_code():
    messages = extracted_messages()
    assert "Skip to content" in messages  # templates/base.html (jinja2 extractor)
    assert "Wrong email or password." in messages  # accounts/views.py (python extractor)
    assert "Keep me signed in" in messages  # lazy_gettext in accounts/forms.py


def test_every_message_has_a_vietnamese_translation():
    translations = merged_translations()
    missing = {msgid: places[:2] for msgid, places in extracted_messages().items() if not translations.get(msgid)}
    assert not missing, "add these to your package's vi messages.po:\n" + "\n".join(
        f"  {msgid!r}  ({', '.join(places)})" for msgid, places in sorted(missing.items()))


def test_catalogues_agree_where_they_share_a_message():
    seen: dict[str, tuple[str, Path]] = {}
    conflicts = []
    for path, catalogue in vietnamese_catalogues():
        for message in catalogue:
            if not message.id or isinstance(message.id, tuple) or not message.string:
                continue
            if message.id in seen and seen[message.id][0] != message.string:
                conflicts.append(f"{message.id!r}: {seen[message.id][1]} vs {path}")
            seen.setdefault(message.id, (message.string, path))
    assert not conflicts, "\n".join(conflicts)


def test_pages_speak_vietnamese_by_default(web, db):
    item = f.product(name="Trà hoa vàng Ba Chẽ", stars=4)
    page = web.get(f"/products/{item.slug}").get_data(as_text=True)
    assert '<html lang="vi">' in page
    assert "Thêm vào giỏ" in page and "Giấy chứng nhận OCOP" in page
    assert "Add to cart" not in page
    assert "Đăng nhập" in web.get("/login").get_data(as_text=True)


def test_lang_en_switches_to_english_and_is_remembered(web, db):
    item = f.product(name="Trà hoa vàng Ba Chẽ", stars=4)
    page = web.get(f"/products/{item.slug}?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Add to cart" in page and "OCOP certificate" in page
    assert "Thêm vào giỏ" not in page
    assert "Add to cart" in web.get(f"/products/{item.slug}").get_data(as_text=True)  # kept in the session
    assert "Thêm vào giỏ" in web.get(f"/products/{item.slug}?lang=vi").get_data(as_text=True)


def test_group_names_follow_the_language(web, db):
    f.product(cat=f.category("Thực phẩm", "Food"))
    vietnamese = web.get("/").get_data(as_text=True)
    english = web.get("/?lang=en").get_data(as_text=True)
    assert "Thực phẩm</h3>" in vietnamese and "Food</h3>" not in vietnamese
    assert "Food</h3>" in english and "Thực phẩm</h3>" not in english


def test_error_pages_speak_both_languages(web, db):
    assert "Không tìm thấy trang" in web.get("/khong-co-trang-nay").get_data(as_text=True)
    assert "Page not found" in web.get("/no-such-page?lang=en").get_data(as_text=True)


def test_the_language_switch_keeps_the_page_and_its_filters(web, db):
    page = web.get("/products?stars=5&sort=price_asc").get_data(as_text=True)
    assert 'href="/products?stars=5&amp;sort=price_asc&amp;lang=en" hreflang="en"' in page
    page = web.get("/products?stars=5&lang=en").get_data(as_text=True)
    assert 'href="/products?stars=5&amp;lang=vi" hreflang="vi"' in page
