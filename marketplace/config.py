"""Settings from the environment, with safe defaults for a local run.

Every setting a deployment may change is read here and nowhere else.
"""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-only-not-secret"


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for every PostgreSQL URL."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def served_base_url(env) -> str:
    """http://HOST:PORT of this server: gunicorn's BIND when set, else HOST and PORT (a
    wildcard host such as 0.0.0.0 is reached on the loopback address)."""
    bind = (env.get("BIND") or "").strip()
    host, _, port = bind.rpartition(":") if ":" in bind and not bind.startswith("unix:") else ("", "", "")
    host = host or env.get("HOST") or "127.0.0.1"
    port = port or env.get("PORT") or "5000"
    if host in ("0.0.0.0", "::", "[::]", ""):
        host = "127.0.0.1"
    return f"http://{host}:{port}"


class Config:
    def __init__(self, instance_path: str):
        env = os.environ
        self.ENV_NAME = env.get("APP_ENV", "development")
        self.SECRET_KEY = env.get("SECRET_KEY") or DEV_SECRET_KEY
        default_db = "sqlite:///" + os.path.join(instance_path, "marketplace.db")
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(env.get("DATABASE_URL") or default_db)
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        if self.SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
            self.SQLALCHEMY_ENGINE_OPTIONS["connect_args"] = {
                # A database host that drops packets (down, or cut off by the network) would hold
                # a new connection for the kernel's ~2 minutes of retries, past gunicorn's timeout:
                # give up sooner, and the request answers 503.
                "connect_timeout": _int("DATABASE_CONNECT_TIMEOUT_S", 5),
                # A sequential scan starts at the first block, never where another one has got to:
                # a search's estimated counts assume the rows it read came first (search/postgres_backend).
                "options": "-c synchronize_seqscans=off"}
        self.SQLALCHEMY_RECORD_QUERIES = False
        # While the database cannot be reached, requests answer 503 with this Retry-After.
        self.UNAVAILABLE_RETRY_AFTER_S = _int("UNAVAILABLE_RETRY_AFTER_S", 5)

        self.SEARCH_BACKEND = env.get("SEARCH_BACKEND", "whoosh")
        # PostgreSQL backend: a search counts its matches exactly up to this many; past it the
        # total and facets are estimates ("more than 1,000 products"), so that a common word is
        # not counted row by row. Whoosh always counts exactly.
        self.SEARCH_EXACT_COUNT_LIMIT = _int("SEARCH_EXACT_COUNT_LIMIT", 1000)
        self.SEARCH_INDEX_DIR = env.get("SEARCH_INDEX_DIR") or os.path.join(instance_path, "search-index")
        self.UPLOAD_DIR = env.get("UPLOAD_DIR") or os.path.join(instance_path, "uploads")
        self.STORAGE_BACKEND = env.get("STORAGE_BACKEND", "local")  # local | s3
        self.S3_BUCKET = env.get("S3_BUCKET", "")
        self.S3_ENDPOINT_URL = env.get("S3_ENDPOINT_URL", "")  # empty for AWS; MinIO/R2/Ceph URL otherwise
        self.S3_REGION = env.get("S3_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
        self.S3_PREFIX = env.get("S3_PREFIX", "")
        self.AWS_ACCESS_KEY_ID = env.get("AWS_ACCESS_KEY_ID", "")
        self.AWS_SECRET_ACCESS_KEY = env.get("AWS_SECRET_ACCESS_KEY", "")
        self.IMAGE_MAX_BYTES = _int("IMAGE_MAX_BYTES", 8 * 1024 * 1024)
        self.IMAGE_MAX_PIXELS = _int("IMAGE_MAX_PIXELS", 40_000_000)
        self.IMAGE_WEB_SIZE = _int("IMAGE_WEB_SIZE", 1600)
        self.IMAGE_THUMB_SIZE = _int("IMAGE_THUMB_SIZE", 400)
        self.SCAN_MAX_BYTES = _int("SCAN_MAX_BYTES", 10 * 1024 * 1024)
        self.IMPORT_MAX_BYTES = _int("IMPORT_MAX_BYTES", 2 * 1024 * 1024)
        self.MAX_IMAGES_PER_PRODUCT = _int("MAX_IMAGES_PER_PRODUCT", 8)
        self.SELLER_API_RATE_LIMIT = env.get("SELLER_API_RATE_LIMIT", "120 per minute")
        self.CERT_EXPIRY_WARNING_DAYS = _int("CERT_EXPIRY_WARNING_DAYS", 60)
        self.INVITATION_MAX_AGE_S = _int("INVITATION_MAX_AGE_S", 7 * 24 * 3600)
        self.MAIL_OUTBOX_DIR = env.get("MAIL_OUTBOX_DIR") or os.path.join(instance_path, "outbox")

        self.BABEL_DEFAULT_LOCALE = "vi"
        self.BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
        self.BOOTSTRAP_SERVE_LOCAL = True

        self.WTF_CSRF_ENABLED = _bool("WTF_CSRF_ENABLED", True)
        self.WTF_CSRF_TIME_LIMIT = None
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", self.ENV_NAME == "production")
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        # A sign-in lasts at most this long: the remember-me cookie's lifetime, and the age
        # past which the server refuses the session record behind any cookie (then purged
        # by `flask users purge-sessions`).
        self.SESSION_MAX_AGE_DAYS = max(1, _int("SESSION_MAX_AGE_DAYS", 30))
        self.REMEMBER_COOKIE_DURATION = timedelta(days=self.SESSION_MAX_AGE_DAYS)
        self.PERMANENT_SESSION_LIFETIME = timedelta(days=self.SESSION_MAX_AGE_DAYS)
        self.MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 16 * 1024 * 1024)

        # Behind a load balancer: how many proxies in front of the app add X-Forwarded-For /
        # -Proto / -Host (0 = none: the peer address is the client). Rate limits and logs
        # use the client address this gives.
        self.TRUSTED_PROXY_COUNT = _int("TRUSTED_PROXY_COUNT", 0)
        self.REDIS_URL = env.get("REDIS_URL", "")
        # Shared cache (facet counts, home page): Redis when REDIS_URL is set, else in-process.
        self.CACHE_ENABLED = _bool("CACHE_ENABLED", True)
        self.CACHE_TTL_S = _int("CACHE_TTL_S", 300)
        self.HTTP_CACHE_ENABLED = _bool("HTTP_CACHE_ENABLED", True)
        # While Redis is unreachable the cache is bypassed, and tried again this often.
        self.CACHE_REDIS_RETRY_S = float(env.get("CACHE_REDIS_RETRY_S") or 5)
        self.RATELIMIT_STORAGE_URI = env.get("RATELIMIT_STORAGE_URI") or self.REDIS_URL or "memory://"
        # A shared store (Redis) that goes away must not stop the shop: Flask-Limiter then
        # counts in each process's memory (logging a warning) until the store answers again,
        # and a store that hangs is given up after half a second.
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        if self.RATELIMIT_STORAGE_URI.startswith(("redis://", "rediss://", "redis+")):
            self.RATELIMIT_STORAGE_OPTIONS = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
        self.RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
        self.RATELIMIT_HEADERS_ENABLED = True
        self.LOGIN_RATE_LIMIT = env.get("LOGIN_RATE_LIMIT", "10 per minute")
        # Failed sign-ins per account from all addresses together; the window is short so
        # that someone spending it on purpose keeps the owner out for minutes at most.
        self.ACCOUNT_LOGIN_RATE_LIMIT = env.get("ACCOUNT_LOGIN_RATE_LIMIT", "10 per 5 minutes")
        # Per client address; web and API share each budget.
        self.REGISTER_RATE_LIMIT = env.get("REGISTER_RATE_LIMIT", "10 per hour")
        # Password-reset requests per client address (web form and API together); reset mails
        # per account an hour; how long a reset link works.
        self.PASSWORD_RESET_RATE_LIMIT = env.get("PASSWORD_RESET_RATE_LIMIT", "10 per hour")
        self.PASSWORD_RESET_MAILS_PER_HOUR = _int("PASSWORD_RESET_MAILS_PER_HOUR", 3)
        self.PASSWORD_RESET_MAX_AGE_MIN = _int("PASSWORD_RESET_MAX_AGE_MIN", 60)
        # "Report a suspected fake" on a lot's passport, per client address.
        self.FAKE_REPORT_RATE_LIMIT = env.get("FAKE_REPORT_RATE_LIMIT", "5 per hour")
        self.CHECKOUT_RATE_LIMIT = env.get("CHECKOUT_RATE_LIMIT", "20 per minute")
        # Per provider address: bank and card providers send bursts when they retry.
        self.WEBHOOK_RATE_LIMIT = env.get("WEBHOOK_RATE_LIMIT", "300 per minute")
        # Back-in-stock alerts (marketplace/alerts): sign-ups per client address, and products
        # one address may wait for at once.
        self.STOCK_ALERT_RATE_LIMIT = env.get("STOCK_ALERT_RATE_LIMIT", "10 per hour")
        self.STOCK_ALERTS_PER_EMAIL = _int("STOCK_ALERTS_PER_EMAIL", 20)

        self.MAIL_SERVER = env.get("MAIL_SERVER", "")
        self.MAIL_PORT = _int("MAIL_PORT", 25)
        self.MAIL_USERNAME = env.get("MAIL_USERNAME", "")
        self.MAIL_PASSWORD = env.get("MAIL_PASSWORD", "")
        self.MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
        self.MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
        self.MAIL_DEFAULT_SENDER = env.get("MAIL_DEFAULT_SENDER", "OCOP Quảng Ninh <no-reply@ocop.quangninh.local>")
        self.MAIL_TIMEOUT_S = _int("MAIL_TIMEOUT_S", 10)
        # "inline": the process that queued a message sends it right after the commit;
        # "worker": `flask mail worker` sends it (no request waits for the mail server).
        self.MAIL_DELIVERY = env.get("MAIL_DELIVERY", "inline").strip().lower()
        self.MAIL_MAX_ATTEMPTS = _int("MAIL_MAX_ATTEMPTS", 10)  # then the message is given up
        self.MAIL_KEEP_DAYS = _int("MAIL_KEEP_DAYS", 30)  # sent and given-up messages are then deleted

        # Viettel S-Invoice: where producers' connections send invoices (not theirs to choose,
        # so a producer cannot point the server at another host); seconds a call may take.
        self.SINVOICE_BASE_URL = env.get("SINVOICE_BASE_URL", "https://api-vinvoice.viettel.vn")
        self.SINVOICE_TIMEOUT_S = float(env.get("SINVOICE_TIMEOUT_S") or 8)
        self.SINVOICE_RETRY_PAUSE_S = float(env.get("SINVOICE_RETRY_PAUSE_S") or 1)
        self.STRIPE_SECRET_KEY = env.get("STRIPE_SECRET_KEY", "")
        self.STRIPE_WEBHOOK_SECRET = env.get("STRIPE_WEBHOOK_SECRET", "")
        self.STRIPE_API_BASE = env.get("STRIPE_API_BASE", "")
        self.VIETQR_BANK_BIN = env.get("VIETQR_BANK_BIN", "970436")
        self.VIETQR_ACCOUNT_NO = env.get("VIETQR_ACCOUNT_NO", "0011004123456")
        self.VIETQR_ACCOUNT_NAME = env.get("VIETQR_ACCOUNT_NAME", "TRUNG TAM OCOP QUANG NINH")
        self.SEPAY_API_KEY = env.get("SEPAY_API_KEY", "")
        # How this deployment's SePay webhook is authenticated: "apikey" (Authorization: Apikey
        # SEPAY_API_KEY) or "hmac" (signed with SEPAY_WEBHOOK_SECRET, with a timestamp header).
        self.SEPAY_WEBHOOK_AUTH = env.get("SEPAY_WEBHOOK_AUTH", "apikey").strip().lower()
        self.SEPAY_WEBHOOK_SECRET = env.get("SEPAY_WEBHOOK_SECRET", "")
        self.CASSO_CHECKSUM_KEY = env.get("CASSO_CHECKSUM_KEY", "")
        self.BANK_WEBHOOK_MAX_AGE_S = _int("BANK_WEBHOOK_MAX_AGE_S", 300)
        self.PAYMENT_WINDOW_STRIPE_MIN = _int("PAYMENT_WINDOW_STRIPE_MIN", 30)
        self.PAYMENT_WINDOW_VIETQR_MIN = _int("PAYMENT_WINDOW_VIETQR_MIN", 24 * 60)
        # What unpaid orders may hold (checkout/limits.py; 0 = no limit): open unpaid orders per
        # contact phone, per contact email and per client address (several people may share
        # one, behind a carrier's or an office's NAT), and units of one product across the
        # unpaid orders of one contact (phone or email).
        self.UNPAID_ORDERS_PER_PHONE = _int("UNPAID_ORDERS_PER_PHONE", 3)
        self.UNPAID_ORDERS_PER_EMAIL = _int("UNPAID_ORDERS_PER_EMAIL", 3)
        self.UNPAID_ORDERS_PER_CLIENT = _int("UNPAID_ORDERS_PER_CLIENT", 10)
        self.UNPAID_UNITS_PER_PRODUCT = _int("UNPAID_UNITS_PER_PRODUCT", 50)

        self.DEFAULT_SHIPPING_VND = _int("DEFAULT_SHIPPING_VND", 30000)
        self.DEFAULT_FREE_SHIPPING_VND = _int("DEFAULT_FREE_SHIPPING_VND", 500000)
        self.ECOMMERCE_TARGET_PERCENT = env.get("ECOMMERCE_TARGET_PERCENT", "")  # empty: stats/ecommerce_targets.csv
        # Absolute links (API answers, e-mails, QR labels) use PUBLIC_BASE_URL when set, else
        # the address a request came to, else (no request: CLI, cron) SERVED_BASE_URL, the
        # address the server was started on (HOST/PORT, as `make run` and gunicorn use them).
        # See marketplace/links.py.
        self.PUBLIC_BASE_URL = env.get("PUBLIC_BASE_URL", "").strip()
        self.SERVED_BASE_URL = served_base_url(env)

        # Who runs the site, shown in every page's footer and on /about, as Decree 52/2013/NĐ-CP
        # (amended by Decree 85/2021/NĐ-CP) asks of an e-commerce website: name, address,
        # business registration / tax code, phone and email, and the notice to (or registration
        # with) the Ministry of Industry and Trade on online.gov.vn. The defaults are samples.
        self.OPERATOR_NAME = env.get("OPERATOR_NAME", "Sàn OCOP Quảng Ninh")
        self.OPERATOR_ADDRESS = env.get("OPERATOR_ADDRESS", "Phường Hồng Gai, tỉnh Quảng Ninh")
        self.OPERATOR_TAX_CODE = env.get("OPERATOR_TAX_CODE", "5700000000")
        self.OPERATOR_REGISTRATION = env.get("OPERATOR_REGISTRATION", "")  # e.g. "do Sở KH&ĐT cấp ngày …"
        self.OPERATOR_EMAIL = env.get("OPERATOR_EMAIL", "hotro@ocop.quangninh.local")
        self.OPERATOR_HOTLINE = env.get("OPERATOR_HOTLINE", "0203 3800 000")
        self.MOIT_NOTICE_URL = env.get("MOIT_NOTICE_URL", "")  # the site's record on online.gov.vn
        # A marketplace where many producers sell is an e-commerce trading platform: it registers
        # with the Ministry ("registered"); a shop selling only its own goods notifies it ("notified").
        self.MOIT_NOTICE_KIND = env.get("MOIT_NOTICE_KIND", "registered").strip().lower()

    def check(self) -> None:
        """Refuse to start a production deployment with unsafe settings."""
        if self.ENV_NAME == "production" and self.SECRET_KEY == DEV_SECRET_KEY:
            raise RuntimeError("SECRET_KEY must be set in production (APP_ENV=production).")
        if self.ENV_NAME == "production" and len(self.SECRET_KEY) < 32:
            raise RuntimeError("SECRET_KEY must be at least 32 characters in production.")
        from .payments.vietqr import validate_account

        try:
            validate_account(self.VIETQR_BANK_BIN, self.VIETQR_ACCOUNT_NO)
        except ValueError as exc:
            raise RuntimeError(str(exc)) from None
        if self.SEPAY_WEBHOOK_AUTH not in ("apikey", "hmac"):
            raise RuntimeError("SEPAY_WEBHOOK_AUTH must be 'apikey' or 'hmac'.")
        if self.MOIT_NOTICE_KIND not in ("registered", "notified"):
            raise RuntimeError("MOIT_NOTICE_KIND must be 'registered' or 'notified'.")
        if self.MAIL_DELIVERY not in ("inline", "worker"):
            raise RuntimeError("MAIL_DELIVERY must be 'inline' or 'worker'.")
        if not self.VIETQR_ACCOUNT_NAME.strip():
            raise RuntimeError("VIETQR_ACCOUNT_NAME must be set (the receiving account holder's name).")
