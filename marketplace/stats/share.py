"""The e-commerce share indicator: online sales over the province's total retail sales.

share % = (marketplace sales + other channels' e-commerce sales) / total retail x 100,
for a local year, quarter or month. The target of a period is the national plan's that
covers its year (ecommerce_targets.csv: each plan's target, its decision and source; a year
before the first plan takes the first, after the last the last). ECOMMERCE_TARGET_PERCENT
overrides the table: one number ("10") or a schedule ("2025:10,2030:20": each year takes
the latest entry at or before it). A period without a recorded retail total has no share:
the indicator says so instead of dividing by zero. A quarter or year without its own
record uses the sum of its months (or quarters) when every one is recorded.

Sales are net of refunds, which count in the period they are paid back: a period can give
back more than it sells. Its gross sales, refunds and net are reported apart, and its
share (on net) carries a note, so a negative figure never stands alone.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext

from ..audit import record
from ..errors import ValidationFailed
from ..extensions import db
from ..timeutil import Period, add_months, parse_period
from .models import ChannelSale, RetailTotal
from .invoices import cashless_dict, coverage_of, monthly_coverage
from .sales import sales_report

MAX_VND = 10**17
CENT = Decimal("0.01")
TREND_LENGTH = {"month": 12, "quarter": 8, "year": 6}


def period_or_error(key: str, field_name: str = "period") -> Period:
    try:
        return parse_period(key)
    except ValueError:
        raise ValidationFailed(gettext("Period must look like 2025, 2025-Q1 or 2025-01"), fields={field_name: ["2025 | 2025-Q1 | 2025-01"]}) from None


def period_key(kind: str, start: date) -> str:
    if kind == "year":
        return f"{start.year}"
    if kind == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start:%Y-%m}"


def shift(period: Period, steps: int) -> Period:
    months = {"year": 12, "quarter": 3, "month": 1}[period.kind]
    return parse_period(period_key(period.kind, add_months(period.start, steps * months)))


def sub_periods(period: Period, kind: str) -> list[str]:
    months = {"quarter": 3, "month": 1}[kind]
    keys, day = [], period.start
    while day < period.end:
        keys.append(period_key(kind, day))
        day = add_months(day, months)
    return keys


TARGETS_CSV = Path(__file__).with_name("ecommerce_targets.csv")


@dataclass(frozen=True)
class Target:
    percent: Decimal
    by_year: int | None = None  # the year the plan wants it reached by
    decision: str = ""  # the decision that sets it, or the setting that overrides the table
    source: str = ""
    measure_vi: str = ""
    measure_en: str = ""

    def as_dict(self) -> dict:
        return {"percent": float(self.percent), "by_year": self.by_year, "decision": self.decision,
                "source": self.source, "measure_vi": self.measure_vi, "measure_en": self.measure_en}


@cache
def target_plans() -> tuple[tuple[int, int, Target], ...]:
    """(first year, last year, target) of each national plan in ecommerce_targets.csv, in order."""
    with open(TARGETS_CSV, encoding="utf-8", newline="") as fh:
        plans = [(int(row["plan_from"]), int(row["plan_to"]),
                  Target(Decimal(row["percent"]), int(row["by_year"]), row["decision"], row["source"],
                         row["measure_vi"], row["measure_en"]))
                 for row in csv.DictReader(fh)]
    return tuple(sorted(plans, key=lambda plan: plan[0]))


def _configured_target(year: int) -> Target | None:
    raw = str(current_app.config.get("ECOMMERCE_TARGET_PERCENT") or "").strip()
    if not raw:
        return None
    try:
        if ":" not in raw:
            return Target(Decimal(raw), decision="ECOMMERCE_TARGET_PERCENT")
        schedule = sorted((int(y), Decimal(p)) for y, p in (item.split(":") for item in raw.split(",") if item.strip()))
    except (ValueError, InvalidOperation):
        current_app.logger.warning("ECOMMERCE_TARGET_PERCENT %r is not valid; using the national plans", raw)
        return None
    chosen = schedule[0]
    for entry in schedule:
        if entry[0] <= year:
            chosen = entry
    return Target(chosen[1], decision="ECOMMERCE_TARGET_PERCENT")


def target_for(year: int) -> Target:
    """The e-commerce share target of a year: the setting if there is one, else the plan covering the year."""
    configured = _configured_target(year)
    if configured is not None:
        return configured
    plans = target_plans()
    for first, last, target in plans:
        if first <= year <= last:
            return target
    return plans[0][2] if year < plans[0][0] else plans[-1][2]


def target_percent(year: int) -> Decimal:
    return target_for(year).percent


@dataclass
class ShareFigures:
    period: Period
    marketplace_vnd: int
    channels: list[tuple[str, int]] = field(default_factory=list)
    total_retail_vnd: int | None = None
    retail_basis: str | None = None  # recorded | months | quarters
    target: Target = field(default_factory=lambda: Target(Decimal(10)))
    marketplace_gross_vnd: int | None = None  # before refunds (None: same as marketplace_vnd)
    marketplace_refunds_vnd: int = 0
    channels_cashless: dict[str, int | None] = field(default_factory=dict)  # channel -> cashless part (None: unknown)
    e_invoice: dict = field(default_factory=dict)  # stats.invoices.Coverage.as_dict()

    @property
    def cashless(self) -> dict:
        return cashless_dict(self.gross_vnd, self.channels, self.channels_cashless)

    @property
    def target_percent(self) -> Decimal:
        return self.target.percent

    @property
    def net_negative(self) -> bool:
        """Refunds paid back in the period exceed what it sold."""
        return self.ecommerce_vnd < 0

    @property
    def note(self) -> str | None:
        if self.net_negative:
            return gettext("Refunds paid in this period exceed its sales (they refund orders of earlier "
                           "periods): net sales are negative, and so is the share on net")
        return None

    @property
    def other_channels_vnd(self) -> int:
        return sum(amount for _, amount in self.channels)

    @property
    def ecommerce_vnd(self) -> int:
        return self.marketplace_vnd + self.other_channels_vnd

    @property
    def share_percent(self) -> Decimal | None:
        if not self.total_retail_vnd:
            return None
        return (Decimal(self.ecommerce_vnd) * 100 / Decimal(self.total_retail_vnd)).quantize(CENT, ROUND_HALF_UP)

    @property
    def progress_percent(self) -> Decimal | None:
        """How far the share has come toward the target (100 = target reached)."""
        share = self.share_percent
        if share is None or not self.target_percent:
            return None
        if share < 0:
            return Decimal("0.00")  # no progress, not negative progress
        return (Decimal(self.ecommerce_vnd) * 10000 / (Decimal(self.total_retail_vnd) * self.target_percent)
                ).quantize(CENT, ROUND_HALF_UP)

    def as_dict(self) -> dict:
        def number(value):
            return float(value) if value is not None else None

        return {
            "period": self.period.key, "period_kind": self.period.kind,
            "from": self.period.start.isoformat(), "to": (self.period.end - timedelta(days=1)).isoformat(),
            "marketplace_vnd": self.marketplace_vnd,
            "marketplace_gross_vnd": self.gross_vnd, "marketplace_refunds_vnd": self.marketplace_refunds_vnd,
            "other_channels": [{"channel": name, "amount_vnd": amount} for name, amount in self.channels],
            "other_channels_vnd": self.other_channels_vnd, "ecommerce_vnd": self.ecommerce_vnd,
            "total_retail_vnd": self.total_retail_vnd, "retail_basis": self.retail_basis,
            "share_percent": number(self.share_percent), "target_percent": number(self.target_percent),
            "progress_percent": number(self.progress_percent), "target": self.target.as_dict(),
            "net_negative": self.net_negative, "note": self.note,
            "e_invoice": self.e_invoice, "cashless": self.cashless,
            "invoiced_share_percent": self.e_invoice.get("percent"), "cashless_share_percent": self.cashless["percent"],
            "message": None if self.total_retail_vnd else
            gettext("No total retail sales recorded for this period"),
        }

    @property
    def gross_vnd(self) -> int:
        return self.marketplace_vnd if self.marketplace_gross_vnd is None else self.marketplace_gross_vnd


def _figures(periods: list[Period]) -> list[ShareFigures]:
    """Share figures for several periods: four queries whatever their number."""
    start, end = min(p.start for p in periods), max(p.end for p in periods)
    monthly = {row.key: row for row in sales_report(start, end - timedelta(days=1), "month").rows}
    invoiced = monthly_coverage(start, end)
    keys = set()
    for p in periods:
        keys.add(p.key)
        if p.kind != "month":
            keys.update(sub_periods(p, "month"))
        if p.kind == "year":
            keys.update(sub_periods(p, "quarter"))
    retail = {r.period: r.total_retail_vnd for r in db.session.scalars(
        sa.select(RetailTotal).where(RetailTotal.period.in_(keys)))}
    channels: dict[str, list[tuple[str, int]]] = {}
    cashless: dict[str, dict[str, int | None]] = {}
    for entry in db.session.scalars(sa.select(ChannelSale).where(ChannelSale.period.in_(keys))
                                    .order_by(ChannelSale.period, ChannelSale.channel)):
        channels.setdefault(entry.period, []).append((entry.channel, entry.amount_vnd))
        cashless.setdefault(entry.period, {})[entry.channel] = entry.cashless_vnd
    results = []
    for p in periods:
        months = sub_periods(p, "month") if p.kind != "month" else [p.key]
        rows = [monthly[m] for m in months if m in monthly]
        figures = ShareFigures(p, sum(r.value_vnd for r in rows), target=target_for(p.start.year),
                               marketplace_gross_vnd=sum(r.gross_vnd for r in rows),
                               marketplace_refunds_vnd=sum(r.refunds_vnd for r in rows),
                               e_invoice=coverage_of(months, invoiced).as_dict())
        bases = {"month": (), "quarter": ("month",), "year": ("month", "quarter")}[p.kind]
        if p.key in retail:
            figures.total_retail_vnd, figures.retail_basis = retail[p.key], "recorded"
        else:
            for kind in bases:
                parts = sub_periods(p, kind)
                if all(k in retail for k in parts):
                    figures.total_retail_vnd, figures.retail_basis = sum(retail[k] for k in parts), f"{kind}s"
                    break
        if p.key in channels:
            figures.channels, figures.channels_cashless = channels[p.key], cashless[p.key]
        else:
            for kind in bases:
                summed: dict[str, int] = {}
                summed_cashless: dict[str, int | None] = {}
                for k in sub_periods(p, kind):
                    for name, amount in channels.get(k, ()):
                        summed[name] = summed.get(name, 0) + amount
                        part, before = cashless[k][name], summed_cashless.get(name, 0)
                        # Unknown in any sub-period: unknown for the whole.
                        summed_cashless[name] = None if part is None or before is None else before + part
                if summed:
                    figures.channels, figures.channels_cashless = sorted(summed.items()), summed_cashless
                    break
        results.append(figures)
    return results


def ecommerce_share(key: str) -> ShareFigures:
    return _figures([period_or_error(key)])[0]


def share_trend(key: str, length: int | None = None) -> list[ShareFigures]:
    """The period and the ones before it of the same kind (12 months, 8 quarters or 6 years), oldest first."""
    period = period_or_error(key)
    length = length or TREND_LENGTH[period.kind]
    return _figures([shift(period, -n) for n in range(length - 1, -1, -1)])


def _amount(value, field_name: str, allow_zero: bool = True) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < (0 if allow_zero else 1) or value > MAX_VND:
        raise ValidationFailed(gettext("Invalid amount"), fields={field_name: [
            gettext("A whole number of dong, at least 0") if allow_zero else gettext("A whole number of dong, above 0")]})
    return value


def _clean_channels(channels) -> list[tuple[str, int]]:
    cleaned, seen = [], set()
    for index, item in enumerate(channels or []):
        name = str((item or {}).get("channel") or "").strip()
        if not name or len(name) > 120:
            message = gettext("Channel name required (max 120 characters)")
            raise ValidationFailed(message, fields={f"other_channels.{index}.channel": [message]})
        if name.casefold() in seen:
            raise ValidationFailed(gettext("Duplicate channel"),
                                   fields={f"other_channels.{index}.channel": [
                                       gettext("Duplicate channel: %(name)s", name=name)]})
        seen.add(name.casefold())
        cleaned.append((name, _amount(item.get("amount_vnd"), f"other_channels.{index}.amount_vnd")))
    return cleaned


def _clean_cashless(channels, cleaned: list[tuple[str, int]]) -> dict[str, int | None]:
    """Each channel's cashless part (optional `cashless_vnd`, at most its amount; None: not reported)."""
    found = {}
    for index, ((name, amount), item) in enumerate(zip(cleaned, channels or [])):
        value = (item or {}).get("cashless_vnd")
        if value is not None:
            value = _amount(value, f"other_channels.{index}.cashless_vnd")
            if value > amount:
                raise ValidationFailed(gettext("The cashless part exceeds the sales"),
                                       fields={f"other_channels.{index}.cashless_vnd": [f"<= {amount}"]})
        found[name] = value
    return found


def set_retail_total(actor, key: str, total_retail_vnd, source: str = "", note: str = "",
                     other_channels=None) -> RetailTotal:
    """Record (or correct) a period's total retail sales, and optionally its other channels' sales."""
    period = period_or_error(key)
    total = _amount(total_retail_vnd, "total_retail_vnd", allow_zero=False)
    source, note = (source or "").strip()[:200], (note or "").strip()
    channels = _clean_channels(other_channels) if other_channels is not None else None
    cashless = _clean_cashless(other_channels, channels) if channels is not None else None
    entry = db.session.scalar(sa.select(RetailTotal).where(RetailTotal.period == period.key))
    before = None
    if entry is None:
        entry = RetailTotal(period=period.key, period_kind=period.kind)
        db.session.add(entry)
    else:
        before = {"total_retail_vnd": entry.total_retail_vnd, "source": entry.source, "note": entry.note}
    entry.total_retail_vnd, entry.source, entry.note = total, source, note
    entry.updated_by_id = getattr(actor, "id", None)
    record(actor, "retail_total.set", "retail_total", period.key, before,
           {"total_retail_vnd": total, "source": source, "note": note})
    if channels is not None:
        _replace_channels(actor, period, channels, cashless)
    db.session.commit()
    return entry


def set_channel_sales(actor, key: str, other_channels) -> list[ChannelSale]:
    """Replace the other channels' e-commerce sales recorded for a period."""
    period = period_or_error(key)
    channels = _clean_channels(other_channels)
    rows = _replace_channels(actor, period, channels, _clean_cashless(other_channels, channels))
    db.session.commit()
    return rows


def _replace_channels(actor, period: Period, channels: list[tuple[str, int]],
                      cashless: dict[str, int | None] | None = None) -> list[ChannelSale]:
    existing = list(db.session.scalars(sa.select(ChannelSale).where(ChannelSale.period == period.key)
                                       .order_by(ChannelSale.channel)))
    before = {e.channel: e.amount_vnd for e in existing}
    for entry in existing:
        db.session.delete(entry)
    db.session.flush()
    cashless = cashless or {}
    rows = [ChannelSale(period=period.key, channel=name, amount_vnd=amount, cashless_vnd=cashless.get(name),
                        updated_by_id=getattr(actor, "id", None))
            for name, amount in channels]
    db.session.add_all(rows)
    record(actor, "channel_sales.set", "channel_sales", period.key, before, dict(channels))
    return rows


def retail_record(key: str) -> RetailTotal | None:
    return db.session.scalar(sa.select(RetailTotal).where(RetailTotal.period == period_or_error(key).key))


def own_channels(key: str) -> list[tuple[str, int, int | None]]:
    """Other channels recorded for exactly this period (not summed from its months), with their cashless part."""
    return [(c.channel, c.amount_vnd, c.cashless_vnd) for c in db.session.scalars(
        sa.select(ChannelSale).where(ChannelSale.period == period_or_error(key).key).order_by(ChannelSale.channel))]
