"""Local (Asia/Ho_Chi_Minh) calendar buckets of stored UTC instants, inside SQL.

Vietnam has kept UTC+7 without daylight saving since 1975, so a local day or month
is the UTC instant shifted by a constant; both SQLite and PostgreSQL do that in SQL
and group millions of rows without Python seeing them.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from ..timeutil import LOCAL_TZ

OFFSET_HOURS = int(LOCAL_TZ.utcoffset(datetime(2025, 1, 1)).total_seconds() // 3600)
assert LOCAL_TZ.utcoffset(datetime(2025, 7, 1)) == LOCAL_TZ.utcoffset(datetime(2025, 1, 1)), "no DST expected"


class local_month(FunctionElement):
    """'YYYY-MM' of the local month a stored UTC datetime falls in."""

    type = sa.String()
    inherit_cache = True
    name = "local_month"


class local_date(FunctionElement):
    """The local calendar date of a stored UTC datetime (compares with Date columns)."""

    type = sa.Date()
    inherit_cache = True
    name = "local_date"


@compiles(local_month, "sqlite")
def _month_sqlite(element, compiler, **kw):
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)}, '+{OFFSET_HOURS} hours')"


@compiles(local_month, "postgresql")
def _month_pg(element, compiler, **kw):
    return f"to_char({compiler.process(element.clauses, **kw)} + interval '{OFFSET_HOURS} hours', 'YYYY-MM')"


@compiles(local_date, "sqlite")
def _date_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, '+{OFFSET_HOURS} hours')"


@compiles(local_date, "postgresql")
def _date_pg(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} + interval '{OFFSET_HOURS} hours' AS DATE)"


class local_datetime_text(FunctionElement):
    """'YYYY-MM-DD HH:MM:SS' local wall-clock text of a stored UTC datetime (formatted by the database:
    a million export rows then cost Python nothing)."""

    type = sa.String()
    inherit_cache = True
    name = "local_datetime_text"


@compiles(local_datetime_text, "sqlite")
def _text_sqlite(element, compiler, **kw):
    return f"strftime('%Y-%m-%d %H:%M:%S', {compiler.process(element.clauses, **kw)}, '+{OFFSET_HOURS} hours')"


@compiles(local_datetime_text, "postgresql")
def _text_pg(element, compiler, **kw):
    return (f"to_char({compiler.process(element.clauses, **kw)} + interval '{OFFSET_HOURS} hours', "
            "'YYYY-MM-DD HH24:MI:SS')")
