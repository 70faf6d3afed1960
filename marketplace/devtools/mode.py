"""Whether the development conveniences are switched on (a module of its own so that the
package's wiring and its parts both read it without importing each other)."""
from __future__ import annotations

from flask import Flask, current_app


def enabled(app: Flask | None = None) -> bool:
    """Read on every use, not at start-up, so that a test may run the app as production."""
    return (app or current_app).config.get("ENV_NAME") == "development"
