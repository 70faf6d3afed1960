"""Amounts in Vietnamese words, as an invoice writes them (TgTTTBChu)."""
from __future__ import annotations

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
SCALES = ("", "nghìn", "triệu", "tỷ")


def _triple(n: int, full: bool) -> list[str]:
    """0 < n < 1000; `full`: not the leading group, so 'không trăm' and 'linh' are said."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    words: list[str] = []
    if hundreds or full:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and (hundreds or full):
            words.append("linh")
    elif tens == 1:
        words.append("mười")
    else:
        words += [DIGITS[tens], "mươi"]
    if units:
        if units == 5 and tens:
            words.append("lăm")
        elif units == 1 and tens > 1:
            words.append("mốt")
        else:
            words.append(DIGITS[units])
    return words


def _below_billion_groups(n: int) -> list[int]:
    groups = []
    while n:
        groups.append(n % 1000)
        n //= 1000
    return groups


def number_words(n: int) -> str:
    if n == 0:
        return "không"
    if n < 0:
        return "âm " + number_words(-n)
    if n >= 1_000_000_000:
        billions, rest = divmod(n, 1_000_000_000)
        head = number_words(billions) + " tỷ"
        if not rest:
            return head
        return head + " " + _under_billion(rest, full=True)
    return _under_billion(n, full=False)


def _under_billion(n: int, full: bool) -> str:
    groups = _below_billion_groups(n)
    words: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if not group:
            continue
        leading = not words and not full
        words += _triple(group, full=not leading)
        if SCALES[index]:
            words.append(SCALES[index])
    return " ".join(words)


def amount_in_words(vnd: int) -> str:
    """1250000 -> 'Một triệu hai trăm năm mươi nghìn đồng'."""
    text = number_words(int(vnd)) + " đồng"
    return text[0].upper() + text[1:]
