"""UTC storage, Asia/Ho_Chi_Minh display and calendar periods."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
UTC = timezone.utc


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_today() -> date:
    return utcnow().astimezone(LOCAL_TZ).date()


def to_local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LOCAL_TZ)


def isoformat_local(value: datetime | None) -> str | None:
    local = to_local(value)
    return local.isoformat(timespec="seconds") if local else None


def local_start_utc(day: date) -> datetime:
    """The UTC instant at which a local calendar day begins."""
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ).astimezone(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """Stores naive UTC in the database; always returns aware UTC datetimes."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware values")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


_PERIOD = re.compile(r"^(\d{4})(?:-(?:Q([1-4])|(0[1-9]|1[0-2])))?$")


@dataclass(frozen=True)
class Period:
    """A local calendar period: a year (2025), a quarter (2025-Q1) or a month (2025-01)."""

    key: str
    kind: str  # year | quarter | month
    start: date  # first local day
    end: date  # first local day after the period

    @property
    def start_utc(self) -> datetime:
        return local_start_utc(self.start)

    @property
    def end_utc(self) -> datetime:
        return local_start_utc(self.end)

    def contains(self, instant: datetime) -> bool:
        return self.start_utc <= instant < self.end_utc


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def parse_period(key: str) -> Period:
    match = _PERIOD.match(key.strip()) if isinstance(key, str) else None
    if not match:
        raise ValueError("period must look like 2025, 2025-Q1 or 2025-01")
    year = int(match.group(1))
    if match.group(2):
        start = date(year, 3 * (int(match.group(2)) - 1) + 1, 1)
        return Period(key, "quarter", start, _add_months(start, 3))
    if match.group(3):
        start = date(year, int(match.group(3)), 1)
        return Period(key, "month", start, _add_months(start, 1))
    return Period(key, "year", date(year, 1, 1), date(year + 1, 1, 1))


def month_key(instant: datetime) -> str:
    """The local month ('2025-01') an instant falls in."""
    return to_local(instant).strftime("%Y-%m")


def add_months(day: date, months: int) -> date:
    """Same day-of-month `months` later, clamped to that month's last day."""
    first = _add_months(day.replace(day=1), months)
    last_day = (_add_months(first, 1) - timedelta(days=1)).day
    return first.replace(day=min(day.day, last_day))


def month_name(key: str, locale: str, with_year: bool = True) -> str:
    """'2025-03' written in full for people in `locale` ('tháng 3 năm 2025' in Vietnamese,
    'March 2025' in English) when `with_year`, else the month alone ('Tháng 3', 'March': a
    chart's label, the year on a line of its own)."""
    from babel.dates import format_date, format_skeleton

    try:
        first = date(int(key[:4]), int(key[5:7]), 1)
    except (TypeError, ValueError):
        return str(key)
    if with_year:
        return format_skeleton("yMMMM", first, locale=locale)
    return format_date(first, "LLLL", locale=locale)
