"""Paid sales statistics: the one place that says what counts as a sale.

Rules (API.md):
- A sale is a line of a paid order, counted at the order's `paid_at` (the provider's
  time of payment, stored UTC) in the local (UTC+7) period it falls in.
- One rule decides which orders count (`counted_order_clause`): the order was paid (its
  `paid_at` is set), whatever happened to it afterwards. An order cancelled or refunded
  after payment keeps its sale in the period of payment; what was given back is counted
  from its succeeded `Refund` rows, as a reduction in the local period of each refund's
  `refunded_at` (never by the order's later status). Orders never paid (pending,
  cancelled or expired unpaid) have no `paid_at` and never count, nor can they have refunds.
- A succeeded refund reduces sales in the local period of its `refunded_at`; a refund that
  is due or failed has not happened yet and changes nothing. Sales are
  goods (line totals; shipping excluded), so a refund reduces them by its goods share
  (amount x goods / (goods + shipping) of the part or order refunded), spread over the
  refunded lines in proportion to their totals, to the dong (largest remainder).
- Grouped figures: value (gross - refunds), gross, refunds, orders, units, distinct
  buyers (signed-in account, else contact email) and distinct producers. Values and
  units add up over the groups to the grand total; distinct counts do not (one order
  can span several producers), so the total row counts them over the whole range.
- Star tier: the product's OCOP stars if its certificate was verified, 3★+ and
  unexpired on the local day of the sale; else 0 (no stars).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from datetime import date, timedelta
from typing import Iterable, Iterator

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from flask_babel import gettext

from ..catalog.models import OCOP_MIN_STARS, Category, Certificate, Locality, Producer, Product
from ..errors import ValidationFailed
from ..extensions import db
from ..orders.models import Order, OrderLine, OrderPart
from ..payments.models import Refund
from ..timeutil import local_start_utc, local_today, month_key
from .sqltime import local_date, local_datetime_text, local_month

# "product" is an extension of API.md's list (documented in the OpenAPI schema).
GROUPINGS = ("month", "locality", "region", "category", "stars", "producer_kind", "producer", "product")
MAX_RANGE_DAYS = 366 * 20



@cache
def ocop_group():
    """The top-level OCOP group of a product's category (aliased Category; built on first use,
    once every model is mapped)."""
    return aliased(Category, name="ocop_group")


def counted_order_clause():
    """SQL: the order's sales count: it was paid (`paid_at` is only ever set by the move
    pending_payment -> paid), whatever its status is now. Later cancellations and refunds
    are counted through succeeded Refund rows, in their own periods."""
    return Order.paid_at.is_not(None)


def stars_at_sale_expr():
    """SQL: OCOP stars of the line's product on the local day of payment, else 0."""
    return sa.case((sa.and_(Certificate.verified.is_(True), Certificate.stars >= OCOP_MIN_STARS,
                            Certificate.expires_on >= local_date(Order.paid_at)), Certificate.stars), else_=0)


def buyer_expr():
    """SQL: who bought: the account when signed in, else the contact email, else the phone."""
    return sa.func.coalesce(sa.cast(Order.user_id, sa.String), sa.func.lower(Order.contact_email),
                            Order.contact_phone)


# Each dimension: its key and label columns, and the tables it needs joined.
def _dimension(name: str, instant):
    if name == "month":
        return [local_month(instant), local_month(instant)], ()
    if name == "locality":
        return [Locality.slug, Locality.name], ("producer", "locality")
    if name == "region":
        return [Locality.region_slug, Locality.region], ("producer", "locality")
    if name == "category":
        return [ocop_group().slug, ocop_group().name_vi], ("product", "category")
    if name == "stars":
        expr = stars_at_sale_expr()
        return [expr, expr], ("certificate",)
    if name == "producer_kind":
        return [Producer.kind, Producer.kind], ("producer",)
    if name == "producer":
        return [Producer.id, Producer.name], ("producer",)
    if name == "product":
        return [Product.id, Product.name], ("product",)
    raise ValueError(name)


def _join(query: sa.Select, needed: Iterable[str]) -> sa.Select:
    """Join, in a fixed order, the dimension tables to a query over OrderLine/OrderPart/Order."""
    needed = set(needed)
    if "locality" in needed:
        needed.add("producer")
    if "category" in needed:
        needed.add("product")
    if "producer" in needed:
        query = query.join(Producer, Producer.id == OrderPart.producer_id)
    if "locality" in needed:
        query = query.join(Locality, Locality.id == Producer.locality_id)
    if "product" in needed:
        query = query.join(Product, Product.id == OrderLine.product_id)
    if "category" in needed:
        group = ocop_group()
        query = query.join(Category, Category.id == Product.category_id).join(
            group, group.id == sa.func.coalesce(Category.parent_id, Category.id))
    if "certificate" in needed:
        query = query.outerjoin(Certificate, Certificate.product_id == OrderLine.product_id)
    return query


@dataclass
class SalesRow:
    keys: tuple = ()
    labels: tuple = ()
    gross_vnd: int = 0
    refunds_vnd: int = 0
    orders: int = 0
    units: int = 0
    buyers: int = 0
    producers: int = 0

    @property
    def value_vnd(self) -> int:
        return self.gross_vnd - self.refunds_vnd

    @property
    def key(self):
        return self.keys[0] if len(self.keys) == 1 else self.keys

    @property
    def label(self):
        return self.labels[0] if len(self.labels) == 1 else " · ".join(map(str, self.labels))


@dataclass
class SalesReport:
    date_from: date
    date_to: date
    group_by: tuple[str, ...]
    rows: list[SalesRow] = field(default_factory=list)
    total: SalesRow = field(default_factory=SalesRow)
    producer_id: int | None = None


@dataclass(frozen=True)
class DateRange:
    date_from: date
    date_to: date  # inclusive

    @property
    def start_utc(self):
        return local_start_utc(self.date_from)

    @property
    def end_utc(self):
        return local_start_utc(self.date_to + timedelta(days=1))


def date_range(date_from: date | None, date_to: date | None) -> DateRange:
    """Validate a local date range (inclusive); defaults: 1 January of this year to today."""
    today = local_today()
    date_to = date_to or today
    date_from = date_from or date(date_to.year, 1, 1)
    if date_from > date_to:
        message = gettext("'from' must not be after 'to'")
        raise ValidationFailed(message, fields={"from": [message]})
    if (date_to - date_from).days > MAX_RANGE_DAYS:
        raise ValidationFailed(gettext("Date range too long"), fields={"to": [gettext("At most 20 years")]})
    return DateRange(date_from, date_to)


def producer_choices() -> dict[int, str]:
    """Every producer, id -> name, by name (the statistics page's producer filter)."""
    return dict(db.session.execute(sa.select(Producer.id, Producer.name).order_by(Producer.name, Producer.id)).all())


def check_producer(producer_id: int | None) -> None:
    """A producer filter must name a producer (a typo must not look like a producer without sales)."""
    if producer_id is not None and db.session.get(Producer, producer_id) is None:
        message = gettext("No such producer")
        raise ValidationFailed(message, fields={"producer_id": [message]})


def parse_group_by(value) -> tuple[str, ...]:
    names = tuple(value) if isinstance(value, (list, tuple)) else tuple(
        part.strip() for part in str(value or "month").split(",") if part.strip())
    unknown = [n for n in names if n not in GROUPINGS]
    if unknown or not names or len(set(names)) != len(names):
        raise ValidationFailed(gettext("Unknown grouping"),
                               fields={"group_by": [gettext("One of: %(values)s", values=", ".join(GROUPINGS))]})
    return names


def _sales_query(rng: DateRange, group_by: tuple[str, ...], producer_id: int | None = None,
                 with_total: bool = False):
    """The sales of the range grouped by `group_by`. With `with_total` (PostgreSQL), one scan
    gives both the groups and the grand total (GROUPING SETS); a last column is 1 on the total row."""
    key_cols, needed = [], set()
    for name in group_by:
        cols, tables = _dimension(name, Order.paid_at)
        key_cols += cols
        needed.update(tables)
    measures = [sa.func.coalesce(sa.func.sum(OrderLine.line_total_vnd), 0), sa.func.coalesce(
        sa.func.sum(OrderLine.quantity), 0), sa.func.count(sa.distinct(Order.id)),
        sa.func.count(sa.distinct(buyer_expr())), sa.func.count(sa.distinct(OrderPart.producer_id))]
    query = (sa.select(*key_cols, *measures).select_from(OrderLine)
             .join(OrderPart, OrderPart.id == OrderLine.part_id).join(Order, Order.id == OrderPart.order_id))
    query = _join(query, needed).where(counted_order_clause(), Order.paid_at >= rng.start_utc,
                                       Order.paid_at < rng.end_utc)
    if producer_id is not None:
        query = query.where(OrderPart.producer_id == producer_id)
    if key_cols and with_total:
        query = query.add_columns(sa.func.grouping(key_cols[0])).group_by(
            sa.func.grouping_sets(sa.tuple_(*key_cols), sa.tuple_()))
    elif key_cols:
        query = query.group_by(*key_cols)
    return query, len(key_cols)


def allocate(amount: int, weights: list[int]) -> list[int]:
    """Split `amount` over `weights` in proportion, in whole dong, summing exactly (largest remainder)."""
    total = sum(weights)
    if total <= 0 or amount == 0:
        return [0] * len(weights)
    shares = [amount * w // total for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in order[: amount - sum(shares)]:
        shares[i] += 1
    return shares


REFUND_CHUNK = 500


def refund_allocations(refund_filter, group_by: tuple[str, ...] = (),
                       producer_id: int | None = None) -> Iterator[tuple[int, tuple, tuple, int]]:
    """Each succeeded refund matched by `refund_filter`, spread over its lines:
    yields (line id, keys, labels, goods refund in dong) for lines with a non-zero share.
    Month keys are the refund's local month; other keys describe the line. With
    `producer_id`, only that producer's lines are yielded (a whole-order refund is still
    spread over all the order's lines first, so each producer's share is the same).

    Refund-driven on purpose (refunds are few): the refunds first, then the lines of
    their orders, REFUND_CHUNK orders at a time; memory stays bounded."""
    refunds = db.session.execute(
        sa.select(Refund.id, Refund.order_id, Refund.part_id, Refund.amount_vnd, Refund.refunded_at,
                  Order.shipping_vnd)
        .select_from(Refund).join(Order, Order.id == Refund.order_id)
        .where(Refund.status == "succeeded", Refund.refunded_at.is_not(None), counted_order_clause(), refund_filter)
        .order_by(Refund.order_id, Refund.id)).all()
    key_cols, needed = [], set()
    for name in group_by:
        if name != "month":  # the refund's month, not the sale's: added below
            cols, tables = _dimension(name, Order.paid_at)
            key_cols += cols
            needed.update(tables)
    month_at = group_by.index("month") if "month" in group_by else None
    for start in range(0, len(refunds), REFUND_CHUNK):
        chunk = refunds[start:start + REFUND_CHUNK]
        lines: dict[int, list] = defaultdict(list)
        query = (sa.select(OrderPart.order_id, OrderPart.id, OrderPart.shipping_vnd, OrderLine.id,
                           OrderLine.line_total_vnd, OrderPart.producer_id, *key_cols)
                 .select_from(OrderLine).join(OrderPart, OrderPart.id == OrderLine.part_id)
                 .join(Order, Order.id == OrderPart.order_id))
        query = _join(query, needed).where(OrderPart.order_id.in_({r.order_id for r in chunk})).order_by(OrderLine.id)
        for row in db.session.execute(query):
            lines[row[0]].append(row)
        for refund_id, order_id, part_id, amount, refunded_at, order_shipping in chunk:
            scope = [r for r in lines[order_id] if part_id is None or r[1] == part_id]
            if not scope:
                continue
            goods = sum(r[4] for r in scope)
            shipping = scope[0][2] if part_id is not None else order_shipping
            goods_refund = min(goods, amount * goods // (goods + shipping)) if goods + shipping else 0
            for row, share in zip(scope, allocate(goods_refund, [r[4] for r in scope])):
                if not share or (producer_id is not None and row[5] != producer_id):
                    continue
                keys, labels = list(row[6::2]), list(row[7::2])
                if month_at is not None:
                    keys.insert(month_at, month_key(refunded_at))
                    labels.insert(month_at, month_key(refunded_at))
                yield row[3], tuple(keys), tuple(labels), share


def sales_report(date_from: date | None = None, date_to: date | None = None, group_by="month",
                 producer_id: int | None = None) -> SalesReport:
    """Paid sales in a local date range, grouped by one or more of GROUPINGS; with
    `producer_id`, only that producer's lines (the seller portal's sales page)."""
    rng = date_range(date_from, date_to)
    group_by = parse_group_by(group_by)
    check_producer(producer_id)
    report = SalesReport(rng.date_from, rng.date_to, group_by, producer_id=producer_id)
    rows: dict[tuple, SalesRow] = {}
    one_scan = db.session.get_bind().dialect.name == "postgresql"
    query, width = _sales_query(rng, group_by, producer_id, with_total=one_scan)
    total = None
    for record in db.session.execute(query):
        gross, units, orders, buyers, producers = map(int, record[width:width + 5])
        if one_scan and record[-1]:
            total = (gross, units, orders, buyers, producers)
            continue
        keys = tuple(_key(v) for v in record[0:width:2])
        rows[keys] = SalesRow(keys, tuple(record[1:width:2]), gross, 0, orders, units, buyers, producers)
    if total is None:  # SQLite has no GROUPING SETS: a second scan for the grand total
        total = map(int, db.session.execute(_sales_query(rng, (), producer_id)[0]).one())
    gross, units, orders, buyers, producers = total
    report.total = SalesRow(("total",), ("total",), gross, 0, orders, units, buyers, producers)
    in_range = sa.and_(Refund.refunded_at >= rng.start_utc, Refund.refunded_at < rng.end_utc)
    for _line, keys, labels, share in refund_allocations(in_range, group_by, producer_id):
        keys = tuple(_key(k) for k in keys)
        row = rows.get(keys)
        if row is None:
            row = rows[keys] = SalesRow(keys, labels)
        row.refunds_vnd += share
        report.total.refunds_vnd += share
    report.rows = _sorted(list(rows.values()), group_by)
    return report


def _key(value):
    return str(value) if value is not None else ""


def _sorted(rows: list[SalesRow], group_by: tuple[str, ...]) -> list[SalesRow]:
    first = group_by[0]
    if first == "month":
        return sorted(rows, key=lambda r: r.keys)
    if first == "stars":
        return sorted(rows, key=lambda r: (-int(r.keys[0]), r.keys[1:]))
    return sorted(rows, key=lambda r: (-r.value_vnd, str(r.labels)))


def line_refunds(rng: DateRange, producer_id: int | None = None) -> dict[int, int]:
    """Goods refunded so far (up to the end of the range) per line of orders paid in the range."""
    refunds: dict[int, int] = defaultdict(int)
    condition = sa.and_(Refund.refunded_at < rng.end_utc, Order.paid_at >= rng.start_utc,
                        Order.paid_at < rng.end_utc)
    for line_id, _keys, _labels, share in refund_allocations(condition, (), producer_id):
        refunds[line_id] += share
    return dict(refunds)


LINE_COLUMNS = ("paid_at", "order_code", "product", "unit", "producer", "producer_kind", "locality", "region",
                "ocop_group", "stars", "quantity", "unit_price_vnd", "amount_vnd", "refunds_vnd", "net_vnd", "sample")


def _lines_where(rng: DateRange, producer_id: int | None) -> list:
    where = [counted_order_clause(), Order.paid_at >= rng.start_utc, Order.paid_at < rng.end_utc]
    if producer_id is not None:
        where.append(OrderPart.producer_id == producer_id)
    return where


def count_lines(rng: DateRange, producer_id: int | None = None) -> int:
    query = (sa.select(sa.func.count(OrderLine.id)).select_from(OrderLine)
             .join(OrderPart, OrderPart.id == OrderLine.part_id).join(Order, Order.id == OrderPart.order_id)
             .where(*_lines_where(rng, producer_id)))
    return db.session.scalar(query) or 0


def iter_lines(rng: DateRange, batch: int = 5000, producer_id: int | None = None) -> Iterator[tuple]:
    """Every paid order line in the range (paid order, line id), streamed from the database.

    Yields tuples in LINE_COLUMNS order; `paid_at` is local wall-clock text 'YYYY-MM-DD HH:MM:SS'."""
    refunds = line_refunds(rng, producer_id)
    query = (sa.select(local_datetime_text(Order.paid_at), Order.code, OrderLine.product_name, OrderLine.unit, Producer.name,
                       Producer.kind, Locality.name, Locality.region, ocop_group().name_vi, stars_at_sale_expr(),
                       OrderLine.quantity, OrderLine.unit_price_vnd, OrderLine.line_total_vnd, OrderLine.id,
                       Product.sample)
             .select_from(OrderLine).join(OrderPart, OrderPart.id == OrderLine.part_id)
             .join(Order, Order.id == OrderPart.order_id))
    query = _join(query, ("locality", "category", "certificate")).where(
        *_lines_where(rng, producer_id)).order_by(Order.paid_at, Order.id, OrderLine.id)
    # Core execution (no ORM row processing) with a server-side cursor, `batch` rows at a time.
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # A cursor is planned for its first tenth by default (nested loops); every row is read
        # here, so plan for all of them (hash joins; a fifth less time on a million lines).
        connection.exec_driver_sql("SET LOCAL cursor_tuple_fraction = 1")
    result = connection.execute(query.execution_options(stream_results=True, yield_per=batch))
    for row in result:
        refunded = refunds.get(row[13], 0)
        yield (*row[:13], refunded, row[12] - refunded, bool(row[14]))
