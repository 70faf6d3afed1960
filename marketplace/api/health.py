"""Health probes in the API (same checks as the plain /healthz and /readyz)."""
from __future__ import annotations

import marshmallow as ma
from flask_babel import gettext

from .. import health
from ..errors import error_body
from .common import ApiBlueprint, ErrorDetailSchema

blp = ApiBlueprint("Health", __name__, description="Liveness and readiness probes.")


class HealthSchema(ma.Schema):
    status = ma.fields.String(required=True, metadata={"example": "ok"})


class CheckSchema(ma.Schema):
    ok = ma.fields.Boolean(required=True)
    detail = ma.fields.String()
    # The search index (marketplace.search backends' health()):
    backend = ma.fields.String(metadata={"enum": ["whoosh", "postgres"]})
    status = ma.fields.String(metadata={"enum": ["ok", "empty", "missing", "stale"]})
    documents = ma.fields.Integer(metadata={"description": "products in the index"})
    expected = ma.fields.Integer(metadata={"description": "public products in the database"})
    pending = ma.fields.Integer(metadata={"description": "changes waiting to be written (whoosh)"})
    built_at = ma.fields.String(allow_none=True, metadata={"description": "last full rebuild (whoosh)"})


class ReadinessSchema(ma.Schema):
    status = ma.fields.String(required=True, metadata={"enum": ["ready", "unavailable"]})
    checks = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(CheckSchema), required=True,
                            metadata={"description": "database, search, …"})
    error = ma.fields.Nested(ErrorDetailSchema)  # only when unavailable (503)


@blp.route("/healthz", methods=["GET"])
@blp.response(200, HealthSchema)
def healthz():
    """The process is up"""
    return {"status": "ok"}


@blp.route("/readyz", methods=["GET"])
@blp.response(200, ReadinessSchema)
@blp.alt_response(503, schema=ReadinessSchema, description="A dependency is unreachable")
def readyz():
    """The database and the search index are reachable"""
    checks = health.readiness_checks()
    failing = sorted(name for name, check in checks.items() if not check.get("ok"))
    if not failing:
        return {"status": "ready", "checks": checks}
    body = {"status": "unavailable", "checks": checks,
            **error_body(503, gettext("Not ready: %(checks)s", checks=", ".join(failing)), "unavailable")}
    return body, 503
