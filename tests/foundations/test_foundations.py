"""Money, time and status rules every domain relies on."""
from datetime import date, datetime, timezone

import pytest

from marketplace.money import format_vnd, parse_vnd
from marketplace.orders.status import ORDER_TRANSITIONS, PART_TRANSITIONS
from marketplace.timeutil import add_months, month_key, parse_period
from marketplace.validators import fold_vietnamese, normalise_phone, slugify, validate_tax_code


def test_vnd_is_formatted_with_dots_and_the_dong_sign():
    assert format_vnd(125000) == "125.000 ₫"
    assert format_vnd(0) == "0 ₫"
    assert format_vnd(99_999_999) == "99.999.999 ₫"


def test_money_refuses_floats():
    with pytest.raises(TypeError):
        format_vnd(1.5)
    assert parse_vnd("125.000 ₫") == 125000


def test_periods_are_local_calendar_periods():
    month = parse_period("2025-01")
    # 00:00 on 1 Jan 2025 in Hanoi is 17:00 UTC on 31 Dec 2024.
    assert month.start_utc == datetime(2024, 12, 31, 17, tzinfo=timezone.utc)
    assert month.contains(datetime(2025, 1, 31, 16, 59, tzinfo=timezone.utc))
    assert not month.contains(datetime(2025, 1, 31, 17, 0, tzinfo=timezone.utc))
    assert parse_period("2025-Q2").start == date(2025, 4, 1) and parse_period("2025-Q2").end == date(2025, 7, 1)
    assert parse_period("2025").end == date(2026, 1, 1)
    for bad in ("2025-13", "25", "2025-Q5", ""):
        with pytest.raises(ValueError):
            parse_period(bad)


def test_23_30_local_on_the_last_day_of_a_month_stays_in_that_month():
    instant = datetime(2025, 1, 31, 16, 30, tzinfo=timezone.utc)  # 23:30 in Hanoi
    assert month_key(instant) == "2025-01"


def test_certificate_validity_adds_calendar_months():
    assert add_months(date(2023, 3, 15), 36) == date(2026, 3, 15)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)


def test_vietnamese_folding_maps_d_stroke():
    assert fold_vietnamese("Bánh đa Đặc sản Hạ Long") == "banh da dac san ha long"
    assert slugify("Trà hoa vàng Ba Chẽ") == "tra-hoa-vang-ba-che"


def test_vietnamese_phone_and_tax_code_rules():
    assert normalise_phone("+84 912 345 678") == "0912345678"
    assert normalise_phone("0203.3825.123") == "02033825123"
    for bad in ("12345", "0112345678", "+1 555 0100"):
        with pytest.raises(ValueError):
            normalise_phone(bad)
    assert validate_tax_code("5701234567-001") == "5701234567-001"
    with pytest.raises(ValueError):
        validate_tax_code("57012345")


def test_every_status_named_in_a_transition_table_is_a_known_state():
    for table in (ORDER_TRANSITIONS, PART_TRANSITIONS):
        for targets in table.values():
            assert targets <= set(table)


def test_money_is_shown_as_the_locale_writes_it_and_never_wraps(app):
    """Pages show amounts through the `vnd` filter: Vietnamese '1.025.000 ₫', English '₫1,025,000',
    with a no-break space so a narrow screen cannot leave the '₫' alone on the next line."""
    from marketplace.money import format_vnd_for

    assert format_vnd_for(1_025_000, "vi") == "1.025.000\u00a0₫"
    assert format_vnd_for(-30_000, "vi") == "-30.000\u00a0₫"
    assert format_vnd_for(1_025_000, "en") == "₫1,025,000"
    assert format_vnd_for(None) == ""
    with app.test_request_context("/?lang=en"):
        app.preprocess_request()
        assert app.jinja_env.from_string("{{ 1025000|vnd }}").render() == "₫1,025,000"
    with app.test_request_context("/"):
        assert app.jinja_env.from_string("{{ 1025000|vnd }}").render() == "1.025.000\u00a0₫"
