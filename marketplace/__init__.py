"""OCOP Marketplace: the application factory."""
from __future__ import annotations

import os
import sqlite3

import sqlalchemy as sa
from flask import Flask, session
from flask_smorest import Api
from werkzeug.routing import IntegerConverter

from .api.common import ErrorSchema
from .config import Config
from .extensions import LANGUAGES, babel, bootstrap, csrf, db, limiter, login_manager, migrate, select_locale
from .i18n import compile_catalogs_at_start, init_form_translations


class BoundedIntConverter(IntegerConverter):
    """`<int:id>` URLs stop at the largest id a database INTEGER holds: beyond it, 404."""

    def __init__(self, map, *args, **kwargs):
        from .validators import MAX_DB_ID

        kwargs.setdefault("max", MAX_DB_ID)
        super().__init__(map, *args, **kwargs)


class MarketplaceApi(Api):
    """flask-smorest Api whose errors use the project's envelope (registered app-wide)."""

    ERROR_SCHEMA = ErrorSchema  # documents {"error": {"code", "message", "fields"}}

    def _register_error_handlers(self):
        pass


# Not named `api`: importing the subpackage marketplace.api would rebind that module attribute.
smorest_api = MarketplaceApi()


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def create_app(overrides: dict | None = None) -> Flask:
    # INSTANCE_PATH moves everything a local run keeps (SQLite database, search index, outbox,
    # uploads, development secrets) elsewhere, e.g. a throw-away folder for a test.
    instance_path = os.environ.get("INSTANCE_PATH")
    app = Flask(__name__, instance_relative_config=True,
                instance_path=os.path.abspath(instance_path) if instance_path else None)
    os.makedirs(app.instance_path, exist_ok=True)
    config = Config(app.instance_path)
    config.check()
    app.config.from_object(config)
    app.config.update(
        API_TITLE="OCOP Marketplace API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        JSON_AS_ASCII=False,
        WTF_CSRF_CHECK_DEFAULT=False,
        CSRF_EXEMPT_BLUEPRINTS=set(),
        BABEL_TRANSLATION_DIRECTORIES=";".join(_translation_dirs()),
    )
    if overrides:
        app.config.update(overrides)
    compile_catalogs_at_start(app.logger)
    init_form_translations()
    if app.config["ENV_NAME"] == "production" and not app.config.get("PUBLIC_BASE_URL"):
        app.logger.warning("PUBLIC_BASE_URL is not set: links in e-mails and API answers will use the "
                           "Host header of each request (which a client chooses). Set it to the "
                           "shop's public address, e.g. https://ocop.example.vn.")
    app.url_map.converters["int"] = BoundedIntConverter
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    if app.config.get("TRUSTED_PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)
    _register_template_helpers(app)
    return app


def _translation_dirs() -> list[str]:
    from .i18n import translation_directories

    return translation_directories()


def _init_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (every table known to SQLAlchemy and Alembic)
    from .accounts import auth  # noqa: F401  (login loaders)
    from .errors import register_error_handlers
    from .inputguard import reject_unsafe_input
    from .search import init_app as init_search
    from . import assets, security

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
                     render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Asia/Ho_Chi_Minh")
    bootstrap.init_app(app)
    # The limiter is always initialised; RATELIMIT_ENABLED is read on each request
    # (extensions.rate_limits_switched_off), so a test can switch limits on and off.
    rate_limits_enabled = app.config.get("RATELIMIT_ENABLED", True)
    app.config["RATELIMIT_ENABLED"] = True
    limiter.init_app(app)
    app.config["RATELIMIT_ENABLED"] = rate_limits_enabled
    smorest_api.init_app(app)
    register_error_handlers(app)
    init_search(app)
    app.before_request(reject_unsafe_input)  # before any other hook reads the request
    security.init_app(app)
    assets.init_app(app)  # compression, and year-long caching of fingerprinted static files


def _register_blueprints(app: Flask) -> None:
    from .accounts.views import bp as accounts_bp
    from .alerts.views import bp as alerts_bp
    from .admin.views import bp as admin_bp
    from .api import register_api
    from .api.docs import bp as api_docs_bp
    from .cart.views import bp as cart_bp
    from .catalog.views import bp as catalog_bp
    from .checkout.views import bp as checkout_bp
    from .devtools import init_app as init_devtools
    from .health import bp as health_bp
    from .orders.views import bp as orders_bp
    from .payments.views import bp as payments_bp
    from .payments.webhooks import bp as payment_webhooks_bp
    from .seller.views import bp as seller_bp
    from .stats.views import bp as stats_bp
    from .storage import bp as media_bp
    from .traceability.views import admin_bp as trace_admin_bp
    from .traceability.views import bp as traceability_bp
    from .invoicing.views import admin_bp as invoicing_admin_bp
    from .invoicing.views import bp as invoicing_bp

    for blueprint in (health_bp, catalog_bp, accounts_bp, api_docs_bp, media_bp, seller_bp, payments_bp,
                      payment_webhooks_bp, cart_bp, checkout_bp, orders_bp, admin_bp, stats_bp,
                      traceability_bp, trace_admin_bp, alerts_bp, invoicing_bp, invoicing_admin_bp):
        app.register_blueprint(blueprint)
    # Providers call the webhooks with their own authentication, never with a CSRF token.
    app.config["CSRF_EXEMPT_BLUEPRINTS"].add(payment_webhooks_bp.name)
    init_devtools(app)  # development only: the simulated bank transfer (404 elsewhere)
    register_api(smorest_api)
    # Browsers ask for /favicon.ico on pages without an icon link (JSON, files): answer with ours.
    app.add_url_rule("/favicon.ico", "favicon", lambda: app.send_static_file("img/favicon.svg"))


def _register_cli(app: Flask) -> None:
    from .cli import register

    register(app)


def _local_time(value, fmt: str | None = None) -> str:
    """A time as people here read it, in Asia/Ho_Chi_Minh: a datetime, or an ISO 8601 string
    such as the payment receipts' '2025-03-01T09:15:00+07:00'; written as the request's
    locale writes it, or with an explicit strftime format."""
    from datetime import datetime

    from .i18n import format_local_datetime
    from .timeutil import to_local

    if not value:
        return ""
    if fmt is None:
        return format_local_datetime(value)
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return to_local(value).strftime(fmt)


def _register_template_helpers(app: Flask) -> None:
    from flask_babel import get_locale

    from .i18n import format_local_date, format_number, format_percent, other_languages, switch_language_url
    from .money import format_vnd_here
    from .payments.banks import bank_by_bin
    from .timeutil import month_name

    app.jinja_env.globals["switch_language_url"] = switch_language_url
    app.jinja_env.globals["other_languages"] = other_languages
    app.jinja_env.filters["vnd"] = format_vnd_here
    app.jinja_env.filters["local"] = _local_time
    app.jinja_env.filters["local_date"] = format_local_date
    app.jinja_env.filters["percent"] = format_percent
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["month_name"] = lambda key, with_year=True: month_name(
        key, str(get_locale() or "vi"), with_year)
    app.jinja_env.globals["bank_by_bin"] = bank_by_bin

    @app.context_processor
    def _globals():
        return {"current_locale": str(get_locale() or "vi")}

    @app.before_request
    def _remember_language():
        from flask import request

        lang = request.args.get("lang")
        if lang in LANGUAGES:
            session["lang"] = lang
            from .accounts.sessions import remember_language

            remember_language(lang)
