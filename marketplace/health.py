"""Liveness and readiness probes."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify

from .extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


def readiness_checks() -> dict[str, dict]:
    """Each dependency the app needs to serve traffic, with its state."""
    checks: dict[str, dict] = {}
    try:
        db.session.execute(sa.text("SELECT 1"))
        checks["database"] = {"ok": True}
    except Exception as exc:  # noqa: BLE001 - report, never raise
        db.session.rollback()
        checks["database"] = {"ok": False, "detail": exc.__class__.__name__}
    try:
        from .search import get_backend

        checks["search"] = get_backend().health()
    except Exception as exc:  # noqa: BLE001
        checks["search"] = {"ok": False, "detail": exc.__class__.__name__}
    return checks


@bp.get("/readyz")
def readyz():
    checks = readiness_checks()
    ready = all(check.get("ok") for check in checks.values())
    return jsonify(status="ready" if ready else "unavailable", checks=checks), 200 if ready else 503
