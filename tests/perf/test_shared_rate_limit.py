"""Rate limits count across app servers when they share Redis (RATELIMIT_STORAGE_URI,
derived from REDIS_URL). Each "server" here is a separate Python process with its own
app, as two gunicorn servers would be; only Redis is shared."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SERVER = r"""
import json, sys
from marketplace import create_app
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "TESTING": True, "RATELIMIT_ENABLED": True,
                  "WTF_CSRF_ENABLED": False, "LOGIN_RATE_LIMIT": "3 per minute"})
client = app.test_client()
codes = [client.post("/api/v1/auth/login", json={"email": "nobody@example.vn", "password": "sai-mat-khau"},
                     environ_base={"REMOTE_ADDR": sys.argv[3]}).status_code
         for _ in range(int(sys.argv[2]))]
print(json.dumps(codes))
"""


def attempts(app, storage_uri: str, count: int, client_ip: str = "203.0.113.7") -> list[int]:
    env = {**os.environ, "RATELIMIT_STORAGE_URI": storage_uri, "PYTHONPATH": str(ROOT)}
    env.pop("REDIS_URL", None)
    done = subprocess.run([sys.executable, "-c", SERVER, app.config["SQLALCHEMY_DATABASE_URI"], str(count), client_ip],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_sign_in_attempts_are_counted_across_servers_sharing_redis(app, redis_db):
    assert attempts(app, redis_db, 2) == [401, 401]          # server A
    assert attempts(app, redis_db, 2) == [401, 429]          # server B: the 4th attempt overall
    assert attempts(app, redis_db, 1, "198.51.100.9") == [401]  # another client has its own budget


def test_without_a_shared_store_each_server_counts_alone(app):
    assert attempts(app, "memory://", 2) == [401, 401]
    assert attempts(app, "memory://", 2) == [401, 401]  # the limit (3) is never reached per process
