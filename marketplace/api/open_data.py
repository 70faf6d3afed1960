"""Public open data (no sign-in): aggregate OCOP sales for the provincial open-data portal."""
from __future__ import annotations

import hashlib
import json

from flask import current_app, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..stats.open_data import FIRST_YEAR, ocop_sales
from ..timeutil import local_today
from ..traceability.coverage import coverage

URL_PREFIX = "/open-data"
CACHE_SECONDS = 3600
COVERAGE_CACHE_SECONDS = 600  # a new lot or a recall shows within minutes

blp = Blueprint("open_data", __name__, description="Open data (public, aggregate only)")


class OpenDataQuerySchema(Schema):
    year = fields.Integer(load_default=None, validate=validate.Range(min=FIRST_YEAR, max=2100),
                          metadata={"description": "calendar year (default: this year)"})


@blp.route("/ocop-sales", methods=["GET"])
@blp.arguments(OpenDataQuerySchema(), location="query")
@blp.doc(responses={"200": {"description": "monthly sales by OCOP group and region; cacheable (ETag)"},
                    "304": {"description": "not modified (If-None-Match)"}})
def ocop_sales_open_data(args):
    """Monthly OCOP sales by product group and region, of months that are over

    Aggregates only: a cell made up of fewer than 3 producers or 5 orders is merged into
    an `other` region or group, or left out (`suppressed` on the month's totals).

    `payment_indicators` gives, per month and locality, the share of paid sales with an issued
    e-invoice (target 100%) and the share of e-commerce payments made cashless (target 80%),
    under the same rule (Decision 1568/QĐ-BCT)."""
    return _json(ocop_sales(args["year"] or local_today().year), max_age=CACHE_SECONDS)


@blp.route("/traceability-coverage", methods=["GET"])
@blp.doc(responses={"200": {"description": "share of active products with a current lot passport, by locality "
                                           "and product group; cacheable (ETag)"},
                    "304": {"description": "not modified (If-None-Match)"}})
def traceability_coverage_open_data():
    """Traceability coverage: active products with a current lot passport (a lot neither recalled nor
    past its best-before), in the province, by locality (region) and by product group."""
    return _json(coverage(), max_age=COVERAGE_CACHE_SECONDS)


def _json(body: dict, max_age: int):
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    response = current_app.response_class(payload, mimetype="application/json")
    response.set_etag(hashlib.sha256(payload).hexdigest()[:32])
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response.make_conditional(request)
