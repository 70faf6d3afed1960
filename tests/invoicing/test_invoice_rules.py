"""Tax codes, amounts in words, invoice type by producer kind."""
from __future__ import annotations

import pytest

from marketplace.invoicing import taxcode
from marketplace.invoicing.services import template_for
from marketplace.invoicing.words import amount_in_words


@pytest.mark.parametrize("code", ["0100109106", "0100112437", "0100109106-001", " 0100112437-015 "])
def test_valid_tax_codes(code):
    assert taxcode.validate(code) == code.strip()


@pytest.mark.parametrize("code, problem", [
    ("0100109107", "check digit"),      # last digit off by one
    ("0100112430", "check digit"),
    ("010010910", "10 digits"),         # nine digits
    ("01001091061", "10 digits"),       # eleven digits
    ("0100109106-01", "10 digits"),     # branch of two digits
    ("0100109106-000", "000"),          # the head office is not a branch
    ("01001O9106", "10 digits"),        # a letter O
    ("", "10 digits"),
])
def test_invalid_tax_codes(code, problem):
    with pytest.raises(ValueError) as caught:
        taxcode.validate(code)
    assert problem in str(caught.value)


def test_check_digit_rule():
    # 0*31 + 1*29 + 0*23 + 0*19 + 1*17 + 0*13 + 9*7 + 1*5 + 0*3 = 114; 114 mod 11 = 4; 10 - 4 = 6
    assert taxcode.check_digit("010010910") == 6
    # A weighted sum divisible by 11 would need a check digit of 10: no such code exists.
    assert taxcode.check_digit("000000000") is None


@pytest.mark.parametrize("amount, words", [
    (0, "Không đồng"),
    (5, "Năm đồng"),
    (10, "Mười đồng"),
    (15, "Mười lăm đồng"),
    (21, "Hai mươi mốt đồng"),
    (24, "Hai mươi bốn đồng"),
    (105, "Một trăm linh năm đồng"),
    (110, "Một trăm mười đồng"),
    (1_000, "Một nghìn đồng"),
    (30_000, "Ba mươi nghìn đồng"),
    (1_005_000, "Một triệu không trăm linh năm nghìn đồng"),
    (1_250_000, "Một triệu hai trăm năm mươi nghìn đồng"),
    (2_000_500, "Hai triệu năm trăm đồng"),
    (1_000_000_000, "Một tỷ đồng"),
    (1_000_000_015, "Một tỷ không trăm mười lăm đồng"),
    (1_234_567_891, "Một tỷ hai trăm ba mươi bốn triệu năm trăm sáu mươi bảy nghìn tám trăm chín mươi mốt đồng"),
])
def test_amounts_in_vietnamese_words(amount, words):
    assert amount_in_words(amount) == words


@pytest.mark.parametrize("kind, template", [("enterprise", "1"), ("cooperative", "1"),
                                            ("household", "2"), ("cooperative_group", "2")])
def test_the_producers_kind_decides_the_invoice(kind, template):
    assert template_for(kind) == template
