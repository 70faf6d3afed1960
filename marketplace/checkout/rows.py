"""Writing a new order's rows: the order, its parts, their lines, the first history rows
and the payment attempt. Two ways, one result.

On PostgreSQL it is one statement. Each table's INSERT is a data-modifying CTE that takes
its parent's new id inside the database::

    WITH new_order AS (INSERT INTO orders ... RETURNING id),
         new_parts AS (INSERT INTO order_parts SELECT new_order.id, part_rows.* FROM new_order
                       JOIN (SELECT ... UNION ALL SELECT ...) AS part_rows ON true
                       RETURNING id, producer_id),
         new_lines AS (... JOIN new_parts ON line_rows.producer_id = new_parts.producer_id ...), ...
    SELECT 'order', id, ... FROM new_order UNION ALL SELECT 'part', id, producer_id ... FROM new_parts ...

That is one round trip to the database where table by table takes five, each waiting for
the ids of the one before; foreign keys are checked at the end of the statement, when every
parent row is there. This is a shortcut past the ORM's unit of work, kept because the
checkout is the market's busiest write and the unit of work (ordering the flush, fetching
ids table by table, its bookkeeping per object) costs a large share of the request's CPU
(bench/shortcuts.py; figures in bench/README.md). It lives behind `write`, the one function
it speeds up, and its result is the ORM's: `tests/orders` read every order it writes back
through the ORM.

Elsewhere (SQLite has no INSERT inside WITH) it is one INSERT ... RETURNING per table.

Either way no unit of work runs: the objects get their ids and join the session as if just
loaded, so the order reads back from memory.
"""
from __future__ import annotations

import functools

import sqlalchemy as sa
from sqlalchemy.orm import make_transient_to_detached

from ..extensions import db
from ..orders.models import Order, OrderEvent, OrderLine, OrderPart
from ..payments.models import PaymentAttempt

ORDERS, PARTS, LINES, EVENTS, ATTEMPTS = (model.__table__ for model in
                                          (Order, OrderPart, OrderLine, OrderEvent, PaymentAttempt))


def column_values(obj) -> dict:
    """Every column of a new object but its primary key, by column name."""
    mapper = sa.inspect(obj).mapper
    return {prop.columns[0].key: obj.__dict__.get(prop.key) for prop in mapper.column_attrs
            if not prop.columns[0].primary_key}


def write(order: Order, attempt: PaymentAttempt | None) -> None:
    """INSERT the new order's rows and give each object its id (see the module's docstring)."""
    connection = db.session.connection()
    lines = [line for part in order.parts for line in part.lines]
    if connection.dialect.name == "postgresql":
        _write_in_one_statement(connection, order, lines, attempt)
    else:
        _write_table_by_table(connection, order, lines, attempt)
    written = [order, *order.parts, *lines, *order.events]
    if attempt is not None:
        written.append(attempt)
    for obj in written:
        make_transient_to_detached(obj)
    db.session.add_all(written)


def _link(order: Order, attempt: PaymentAttempt | None, part_ids: dict[int, int]) -> None:
    """Set the parent ids: each part's and line's from `part_ids` (by producer), the events' and the attempt's."""
    for part in order.parts:
        part.order_id, part.id = order.id, part_ids[part.producer_id]
        for line in part.lines:
            line.part_id = part.id
    for event in order.events:
        part = event.__dict__.get("part")  # None for the order's own event
        event.order_id, event.part_id = order.id, part.id if part is not None else None
    if attempt is not None:
        attempt.order_id = order.id


# ---- PostgreSQL: one statement -----------------------------------------------------------

def _own_columns(table: sa.Table, *parents: str) -> list[sa.Column]:
    """The columns a row brings itself: all but its primary key and its parents' ids."""
    return [c for c in table.c if not c.primary_key and c.name not in parents]


_PART_COLUMNS = _own_columns(PARTS, "order_id")
_LINE_COLUMNS = _own_columns(LINES, "part_id")
_EVENT_COLUMNS = _own_columns(EVENTS, "order_id", "part_id")
_ATTEMPT_COLUMNS = _own_columns(ATTEMPTS, "order_id")


def _rows(name: str, columns: list[sa.Column], count: int, with_producer: bool = False) -> sa.Subquery:
    """`count` rows of bound parameters named {name}{row}_{column}, as a subquery (SELECT ...
    UNION ALL SELECT ...: a VALUES list would do, but SQLAlchemy does not cache statements
    holding one); with `with_producer`, each row also carries the producer id its part is
    found by."""
    columns = [*columns, sa.Column("producer_id", sa.Integer)] if with_producer else columns
    selects = [sa.select(*(sa.bindparam(f"{name}{i}_{c.name}", type_=c.type).label(c.name) for c in columns))
               for i in range(count)]
    return (sa.union_all(*selects) if count > 1 else selects[0]).subquery(name)


def _insert(table: sa.Table, parents: dict, columns: list[sa.Column], rows: sa.Subquery, from_: sa.FromClause,
            *returning: sa.Column, name: str) -> sa.CTE:
    """INSERT INTO table (parent ids..., own columns...) SELECT ... FROM `from_` RETURNING ..., as a CTE."""
    select = sa.select(*parents.values(), *(rows.c[c.name] for c in columns)).select_from(from_)
    return (sa.insert(table).from_select([*parents, *(c.name for c in columns)], select)
            .returning(*returning).cte(name))


@functools.lru_cache(maxsize=64)  # the usual shapes are few; an odd one costs a new build
def _one_statement(parts: int, lines: int, with_attempt: bool) -> sa.CompoundSelect:
    """The statement for an order of this shape (parts, lines, attempt or not), built once:
    its cache key, and so its compiled form, are built with it."""
    new_order = (sa.insert(ORDERS)
                 .values({c.name: sa.bindparam(f"order_{c.name}", type_=c.type) for c in _own_columns(ORDERS)})
                 .returning(ORDERS.c.id).cte("new_order"))
    part_rows = _rows("part_rows", _PART_COLUMNS, parts)
    new_parts = _insert(PARTS, {"order_id": new_order.c.id}, _PART_COLUMNS, part_rows,
                        new_order.join(part_rows, sa.true()), PARTS.c.id, PARTS.c.producer_id, name="new_parts")
    line_rows = _rows("line_rows", _LINE_COLUMNS, lines, with_producer=True)
    new_lines = _insert(LINES, {"part_id": new_parts.c.id}, _LINE_COLUMNS, line_rows,
                        new_parts.join(line_rows, line_rows.c.producer_id == new_parts.c.producer_id),
                        LINES.c.id, LINES.c.part_id, LINES.c.product_id, name="new_lines")
    event_rows = _rows("event_rows", _EVENT_COLUMNS, parts + 1, with_producer=True)
    new_events = _insert(EVENTS, {"order_id": new_order.c.id, "part_id": new_parts.c.id}, _EVENT_COLUMNS,
                         event_rows, new_order.join(event_rows, sa.true())
                         .outerjoin(new_parts, new_parts.c.producer_id == event_rows.c.producer_id),
                         EVENTS.c.id, EVENTS.c.part_id, name="new_events")
    none = sa.cast(sa.null(), sa.Integer)
    ids = [sa.select(sa.literal_column("'order'"), new_order.c.id, none, none),
           sa.select(sa.literal_column("'part'"), new_parts.c.id, new_parts.c.producer_id, none),
           sa.select(sa.literal_column("'line'"), new_lines.c.id, new_lines.c.part_id, new_lines.c.product_id),
           sa.select(sa.literal_column("'event'"), new_events.c.id, new_events.c.part_id, none)]
    if with_attempt:
        attempt_rows = _rows("attempt_rows", _ATTEMPT_COLUMNS, 1)
        new_attempt = _insert(ATTEMPTS, {"order_id": new_order.c.id}, _ATTEMPT_COLUMNS, attempt_rows,
                              new_order.join(attempt_rows, sa.true()), ATTEMPTS.c.id, name="new_attempt")
        ids.append(sa.select(sa.literal_column("'attempt'"), new_attempt.c.id, none, none))
    return sa.union_all(*ids)


def _parameters(order: Order, attempt: PaymentAttempt | None) -> dict:
    """The one statement's parameters: each object's own columns, under its row's names."""
    params = {f"order_{name}": value for name, value in column_values(order).items()}

    def row(name: str, i: int, obj, columns: list[sa.Column], **keys) -> None:
        values = column_values(obj) | keys
        params.update({f"{name}{i}_{column}": values[column] for column in [*(c.name for c in columns), *keys]})

    for i, part in enumerate(order.parts):
        row("part_rows", i, part, _PART_COLUMNS)
    for i, (part, line) in enumerate((part, line) for part in order.parts for line in part.lines):
        row("line_rows", i, line, _LINE_COLUMNS, producer_id=part.producer_id)
    for i, event in enumerate(order.events):
        part = event.__dict__.get("part")  # None for the order's own event
        row("event_rows", i, event, _EVENT_COLUMNS, producer_id=part.producer_id if part is not None else None)
    if attempt is not None:
        row("attempt_rows", 0, attempt, _ATTEMPT_COLUMNS)
    return params


def _write_in_one_statement(connection, order: Order, lines: list[OrderLine],
                            attempt: PaymentAttempt | None) -> None:
    statement = _one_statement(len(order.parts), len(lines), attempt is not None)
    ids: dict[str, dict] = {"order": {}, "part": {}, "line": {}, "event": {}, "attempt": {}}
    for kind, row_id, first, second in connection.execute(statement, _parameters(order, attempt)):
        key = (first, second) if kind == "line" else first
        ids[kind][key] = row_id
    order.id = ids["order"][None]
    _link(order, attempt, ids["part"])
    for line in lines:
        line.id = ids["line"][(line.part_id, line.product_id)]
    for event in order.events:
        event.id = ids["event"][event.part_id]
    if attempt is not None:
        attempt.id = ids["attempt"][None]


# ---- elsewhere: table by table -----------------------------------------------------------

_INSERT_ORDER = sa.insert(ORDERS).returning(ORDERS.c.id)
_INSERT_PARTS = sa.insert(PARTS).returning(PARTS.c.producer_id, PARTS.c.id)
_INSERT_LINES = sa.insert(LINES).returning(LINES.c.id, LINES.c.part_id, LINES.c.product_id)
_INSERT_EVENTS = sa.insert(EVENTS).returning(EVENTS.c.part_id, EVENTS.c.id)
_INSERT_ATTEMPT = sa.insert(ATTEMPTS).returning(ATTEMPTS.c.id)


def _write_table_by_table(connection, order: Order, lines: list[OrderLine],
                          attempt: PaymentAttempt | None) -> None:
    order.id = connection.execute(_INSERT_ORDER, column_values(order)).scalar_one()
    for part in order.parts:
        part.order_id = order.id
    # Several rows with RETURNING: SQLAlchemy sends them as one INSERT ... VALUES (..), (..)
    # ("insertmanyvalues"), compiled once and cached; rows are matched back by their keys.
    part_ids = dict(connection.execute(_INSERT_PARTS, [column_values(p) for p in order.parts]).all())
    _link(order, attempt, part_ids)
    line_ids = {(part_id, product_id): line_id for line_id, part_id, product_id in connection.execute(
        _INSERT_LINES, [column_values(line) for line in lines])}
    for line in lines:
        line.id = line_ids[(line.part_id, line.product_id)]
    event_ids = dict(connection.execute(_INSERT_EVENTS, [column_values(e) for e in order.events]).all())
    for event in order.events:
        event.id = event_ids[event.part_id]
    if attempt is not None:
        attempt.id = connection.execute(_INSERT_ATTEMPT, column_values(attempt)).scalar_one()
