"""The development start on an empty database: the commands `make run` runs before it serves
(read from the Makefile itself), in a throw-away instance folder with its own SQLite database;
then the demo accounts it printed sign in and reach their portals."""
from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from marketplace import create_app

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(sys.prefix)
# Settings a developer's shell or the test run may carry that a plain `make run` does not have.
LOCAL_RUN_UNSET = ("DATABASE_URL", "SEARCH_INDEX_DIR", "SEARCH_BACKEND", "UPLOAD_DIR", "MAIL_OUTBOX_DIR",
                   "SEPAY_API_KEY", "REDIS_URL", "RATELIMIT_STORAGE_URI", "STORAGE_BACKEND")


def make_run_commands() -> list[list[str]]:
    """`make run`'s flask commands in order, without the last one, which serves."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    dry_run = subprocess.run(["make", "-n", "run", f"VENV={VENV}"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout
    flask = str(VENV / "bin" / "flask")
    commands = [shlex.split(line) for line in dry_run.splitlines() if line.startswith(flask + " ")]
    assert commands and commands[-1][1] == "run", dry_run
    return commands[:-1]


@pytest.fixture
def local_run_env(tmp_path, monkeypatch):
    for name in LOCAL_RUN_UNSET:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("FLASK_APP", "wsgi.py")  # exported by the Makefile
    return tmp_path / "instance"


def run(command: list[str]) -> str:
    done = subprocess.run(command, cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{shlex.join(command)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def printed_accounts(output: str) -> dict[str, tuple[str, str, str]]:
    """email -> (label, password, start URL), as `flask demo accounts` prints them."""
    return {email: (label, password, url) for label, email, password, url in
            re.findall(r"^  (.+?): (\S+@\S+), mật khẩu (\S+), bắt đầu tại (\S+)", output, re.M)}


def test_make_run_on_an_empty_database_prints_demo_accounts_that_sign_in(local_run_env):
    commands = make_run_commands()
    assert ["demo", "accounts"] in [c[1:] for c in commands]
    outputs = {shlex.join(c[1:]): run(c) for c in commands}

    accounts = printed_accounts(outputs["demo accounts"])
    assert sorted(accounts) == ["admin@example.com", "seller@example.com", "shopper@example.com"]
    for name in ("demo-accounts.json", "dev-sepay-api-key"):
        assert stat.S_IMODE((local_run_env / name).stat().st_mode) == 0o600, name
    # Again (a second `make run`): the same accounts, nothing new.
    again = run([str(VENV / "bin" / "flask"), "demo", "accounts"])
    assert printed_accounts(again) == accounts and "(mới tạo)" not in again
    # Quiet: a migration run with nothing to upgrade prints nothing at all.
    upgrade_again = subprocess.run([str(VENV / "bin" / "flask"), "db", "upgrade"], cwd=ROOT, env=os.environ.copy(),
                                   capture_output=True, text=True, timeout=300)
    assert upgrade_again.returncode == 0 and upgrade_again.stdout + upgrade_again.stderr == ""

    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{local_run_env / 'marketplace.db'}"
    portals = {"admin@example.com": "/admin/", "seller@example.com": "/seller/", "shopper@example.com": "/orders"}
    try:
        for email, (label, password, url) in accounts.items():
            client = app.test_client()
            signed_in = client.post("/login", data={"email": email, "password": password})
            assert signed_in.status_code == 302, f"{email} could not sign in"
            assert client.get(portals[email]).status_code == 200, email
            assert url.endswith(portals[email] if email != "shopper@example.com" else "/")
        seller = accounts["seller@example.com"][0]
        assert seller.startswith("Người bán của ")  # a producer of the seeded catalogue
    finally:
        with app.app_context():
            from marketplace.extensions import db

            db.engine.dispose()
