"""gunicorn settings; each can be overridden from the environment."""
import gc
import multiprocessing
import os

bind = os.environ.get("BIND", f"0.0.0.0:{os.environ.get('PORT', '5000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", min(4, multiprocessing.cpu_count() * 2 + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then (guards against slow leaks) without restarting them often:
# each restart costs a cold worker (connection pool, caches, search index handles).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
# Load the app once in the master: workers fork ready (faster start and restarts, shared
# memory); each worker then drops the database connections it inherited (post_fork).
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"
accesslog = "-"
# Query strings may carry phone numbers (order tracking): log the path only.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def pre_fork(server, worker):
    """Right before each fork, move what the master has loaded (the app, its modules and
    mappers) out of the garbage collector's sight, as the gc module's documentation advises
    for fork without exec: a worker's collections then never walk those objects (less CPU
    per collection), nor write to their pages (which stay shared between workers)."""
    if preload_app:
        gc.freeze()


def post_fork(server, worker):
    """A forked worker must never share the master's database sockets: start with empty pools."""
    if preload_app:
        from marketplace.cache import dispose_engines

        dispose_engines(server.app.wsgi())
