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


def _local_function(name: str, type_, doc: str, sqlite: str, postgresql: str):
    """A SQL function of one stored UTC datetime `{x}`, shifted to local time (`{h}` hours)."""
    cls = type(name, (FunctionElement,), {"type": type_, "inherit_cache": True, "name": name, "__doc__": doc})
    for dialect, template in (("sqlite", sqlite), ("postgresql", postgresql)):
        compiles(cls, dialect)(lambda element, compiler, _t=template, **kw: _t.format(
            x=compiler.process(element.clauses, **kw), h=OFFSET_HOURS))
    return cls


local_month = _local_function(
    "local_month", sa.String(), "'YYYY-MM' of the local month a stored UTC datetime falls in.",
    "strftime('%Y-%m', {x}, '+{h} hours')", "to_char({x} + interval '{h} hours', 'YYYY-MM')")

local_date = _local_function(
    "local_date", sa.Date(), "The local calendar date of a stored UTC datetime (compares with Date columns).",
    "date({x}, '+{h} hours')", "CAST({x} + interval '{h} hours' AS DATE)")

local_datetime_text = _local_function(
    "local_datetime_text", sa.String(),
    "'YYYY-MM-DD HH:MM:SS' local wall-clock text of a stored UTC datetime (formatted by the database: "
    "a million export rows then cost Python nothing).",
    "strftime('%Y-%m-%d %H:%M:%S', {x}, '+{h} hours')", "to_char({x} + interval '{h} hours', 'YYYY-MM-DD HH24:MI:SS')")
