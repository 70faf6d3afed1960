"""Highlighted matches on the results page (Jinja filters `highlight` and `snippet`)."""
from __future__ import annotations

from marketplace.search.highlight import highlight, snippet


def test_marks_whole_words_accent_insensitively_keeping_the_original_text():
    assert str(highlight("Mật ong rừng Ba Chẽ", "mat ong")) == "<mark>Mật</mark> <mark>ong</mark> rừng Ba Chẽ"
    assert str(highlight("Bánh đa Hạ Long", "BANH DA")) == "<mark>Bánh</mark> <mark>đa</mark> Hạ Long"
    # Whole words only: "ong" is not marked inside "Long" or "Ông".
    assert str(highlight("Ông Long", "ong")) == "<mark>Ông</mark> Long"


def test_escapes_html_in_the_text_and_the_query():
    assert str(highlight("<b>Trà</b> & mật", "tra <script>")) == "&lt;b&gt;<mark>Trà</mark>&lt;/b&gt; &amp; mật"
    assert str(highlight("Trà hoa vàng", "")) == "Trà hoa vàng"
    assert str(highlight(None, "tra")) == ""


def test_decomposed_input_is_normalised_before_matching():
    decomposed = "Me\u0323\u0302t ong"  # "Mệt ong" typed with combining marks
    assert str(highlight(decomposed, "met")) == "<mark>Mệt</mark> ong"


def test_snippet_shows_the_text_around_the_first_match():
    text = ("Sản phẩm được làm thủ công tại Quảng Ninh theo công thức gia truyền nhiều đời. " * 3
            + "Hương vị của trà hoa vàng Ba Chẽ thanh mát, hậu ngọt. " + "Đóng hộp giấy kraft. " * 5)
    result = str(snippet(text, "tra hoa vang", width=80))
    assert "<mark>trà</mark> <mark>hoa</mark> <mark>vàng</mark>" in result
    assert result.startswith("… ") and result.endswith(" …")
    assert len(result.replace("<mark>", "").replace("</mark>", "")) <= 80 + 4
    assert str(snippet("Ngắn gọn", "gon")) == "Ngắn <mark>gọn</mark>"
