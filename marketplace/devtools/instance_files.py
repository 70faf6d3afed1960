"""Per-installation secrets of a development run, kept in the instance folder (mode 0600)."""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Callable

from flask import Flask

SEPAY_KEY_FILE = "dev-sepay-api-key"


def read_or_create(path: Path, make: Callable[[], str]) -> str:
    """The file's text; created first with `make()` (readable by its owner only) when absent.

    O_EXCL makes the first writer win when two processes start together (the dev server's
    reloader and a CLI command): the loser reads what the winner wrote.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8")
    text = make()
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    return text


def write_private_json(path: Path, data: dict) -> None:
    """Replace `path` with `data` as JSON, readable by its owner only (also while being written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2)
    os.replace(tmp, path)


def ensure_sepay_key(app: Flask) -> str:
    """The SePay API key the webhook checks: the configured one, or this installation's own."""
    if not app.config.get("SEPAY_API_KEY"):
        path = Path(app.instance_path) / SEPAY_KEY_FILE
        app.config["SEPAY_API_KEY"] = read_or_create(path, lambda: secrets.token_urlsafe(24)).strip()
    return app.config["SEPAY_API_KEY"]
