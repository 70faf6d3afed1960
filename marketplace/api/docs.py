"""Swagger UI for the API, served locally from the swagger-ui-bundle package.

The page has no inline script (the Content-Security-Policy forbids it): Swagger UI is
started by static/js/api-docs.js, which reads the spec URL from a data attribute.
"""
from __future__ import annotations

from flask import Blueprint, render_template, send_from_directory
from swagger_ui_bundle import swagger_ui_path

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1/docs")

ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js",
                    "favicon-32x32.png", "favicon-16x16.png"})


@bp.get("/")
def index():
    return render_template("api/docs.html")


@bp.get("/assets/<path:filename>")
def asset(filename: str):
    if filename not in ASSETS:
        from flask import abort

        abort(404)
    return send_from_directory(swagger_ui_path, filename, max_age=86400)
