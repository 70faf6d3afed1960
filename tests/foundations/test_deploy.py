"""Starting the app as the operator does: the Procfile's commands, and `make run PORT=`.

A deploy from the repository, started exactly as the Procfile starts it, speaks Vietnamese.

The compiled catalogues (.mo) are build products, not in git: a fresh clone has none. The
test clones the repository (with the working tree's uncommitted changes applied, so it
checks the code under test), runs the Procfile's `release` command, then its `web` command
on a free port with a temporary SQLite database, and asks for the home page with no
Accept-Language header.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.smtp_inbox import free_port

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def procfile_commands(root: Path) -> dict[str, str]:
    commands = {}
    for line in (root / "Procfile").read_text().splitlines():
        if ":" in line and not line.startswith("#"):
            name, command = line.split(":", 1)
            commands[name.strip()] = command.strip()
    return commands


def clone_working_tree(dest: Path) -> None:
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(REPO), str(dest)], check=True)
    diff = subprocess.run(["git", "-C", str(REPO), "diff", "HEAD", "--binary"], check=True,
                          capture_output=True).stdout
    if diff:
        subprocess.run(["git", "-C", str(dest), "apply", "--whitespace=nowarn"], input=diff, check=True)
    # New files not yet committed belong to the code under test too.
    untracked = subprocess.run(["git", "-C", str(REPO), "ls-files", "--others", "--exclude-standard", "-z"],
                               check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, untracked):
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_for(url: str, process: subprocess.Popen, timeout: float = 90) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the web process exited with {process.returncode}")
        try:
            with urllib.request.urlopen(urllib.request.Request(url), timeout=10) as response:
                return response.read().decode()
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer in {timeout} s")


@pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".git").exists(), reason="needs a git checkout")
def test_the_procfile_deploy_of_a_fresh_clone_serves_the_vietnamese_home_page(tmp_path):
    clone = tmp_path / "clone"
    clone_working_tree(clone)
    assert not list(clone.glob("marketplace/**/*.mo")), "a fresh clone carries no compiled catalogue"
    commands = procfile_commands(clone)
    port = free_port()
    env = {
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.db'}",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    release = subprocess.run(commands["release"], shell=True, cwd=clone, env=env, capture_output=True,
                             text=True, timeout=300)
    assert release.returncode == 0, release.stdout + release.stderr

    web = subprocess.Popen(commands["web"], shell=True, cwd=clone, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, start_new_session=True)
    try:
        page = wait_for(f"http://127.0.0.1:{port}/", web)
    finally:
        stop(web)
    assert '<html lang="vi">' in page
    assert "Chuyển đến nội dung" in page  # base.html's "Skip to content", from the compiled catalogue
    assert "Skip to content" not in page


def test_catalogues_are_compiled_when_the_app_starts(tmp_path, monkeypatch):
    """create_app compiles stale catalogues itself (a bare `gunicorn wsgi:app` too), and never
    leaves a half-written file under the real name."""
    import marketplace.i18n as i18n

    po = tmp_path / "translations" / "vi" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                  'msgid "Hello"\nmsgstr "Xin chào"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "translation_directories", lambda: [str(tmp_path / "translations")])
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    from marketplace import create_app

    create_app({"SEARCH_INDEX_DIR": str(tmp_path / "idx")})
    mo = po.with_suffix(".mo")
    assert mo.exists()
    assert sorted(p.name for p in po.parent.iterdir()) == ["messages.mo", "messages.po"]
    from babel.support import Translations

    with mo.open("rb") as fh:
        assert Translations(fh).gettext("Hello") == "Xin chào"


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_serves_on_the_port_asked_for_and_links_follow_it(tmp_path):
    """`make run PORT=… HOST=…` (migrate, seed, index, serve) with this interpreter's packages:
    the shop answers there, and without PUBLIC_BASE_URL the API's absolute links name it."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    for tool in ("python", "flask"):  # stand-ins for .venv/bin/*: the packages already installed
        script = venv / "bin" / tool
        script.write_text(f'#!/bin/sh\nexec "{VENV_BIN / tool}" "$@"\n')
        script.chmod(0o755)
    (venv / ".installed").touch()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("PUBLIC_BASE_URL", "PORT", "HOST", "BIND")}
    env.update(INSTANCE_PATH=str(tmp_path / "instance"), APP_ENV="development",
               DATABASE_URL=f"sqlite:///{tmp_path / 'run.db'}", SEARCH_INDEX_DIR=str(tmp_path / "index"),
               MAIL_OUTBOX_DIR=str(tmp_path / "outbox"), UPLOAD_DIR=str(tmp_path / "uploads"))
    log = (tmp_path / "make-run.log").open("w")
    run = subprocess.Popen(["make", "-C", str(REPO), "run", f"VENV={venv}", f"PORT={port}", "HOST=127.0.0.1"],
                           env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", run, timeout=180)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/products?per_page=1", timeout=10) as response:
            slug = json.load(response)["items"][0]["slug"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/products/{slug}", timeout=10) as response:
            product = json.load(response)
    finally:
        stop(run)
        log.close()
    assert product["traceability_url"] == f"http://127.0.0.1:{port}/products/{slug}"
    # The demo accounts it prints (no request yet: the address it was started on) point there too.
    printed = (tmp_path / "make-run.log").read_text()
    assert f"http://127.0.0.1:{port}/admin/" in printed and "127.0.0.1:5000" not in printed
