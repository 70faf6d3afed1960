"""Flask extensions, created unbound and initialised in create_app()."""
import logging

from flask import current_app, request
from flask.logging import default_handler
from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData

# Deterministic constraint names so migrations are identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
bootstrap = Bootstrap5()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
# Flask-Limiter logs behind a NullHandler, so where nothing configures logging (gunicorn sets
# up only its own loggers) its word that the shared store (Redis) is unreachable and that it
# counts in memory, and later that the store is back, would be lost: log it like the app's.
_limiter_log = logging.getLogger("flask-limiter")
_limiter_log.setLevel(logging.INFO)
if default_handler not in _limiter_log.handlers:
    _limiter_log.addHandler(default_handler)


@limiter.request_filter
def rate_limits_switched_off() -> bool:
    """Limits apply only while app.config["RATELIMIT_ENABLED"] is true (read per request)."""
    return not current_app.config.get("RATELIMIT_ENABLED", True)


LANGUAGES = ("vi", "en")


def select_locale():
    """Vietnamese unless asked otherwise: `?lang=`, then for pages the language remembered in
    the session, for the API (no session) the Accept-Language header."""
    from flask import has_request_context, session

    if not has_request_context():  # CLI jobs and background work (e.g. emails from cron)
        return "vi"
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        return lang
    if request.path.startswith("/api/"):
        return request.accept_languages.best_match(LANGUAGES, default="vi")
    lang = session.get("lang")
    if lang in LANGUAGES:
        return lang
    return "vi"
