"""Translations: Vietnamese first (the default locale), English second.

Message ids are English; each package keeps its Vietnamese catalogue in
`<package>/translations/vi/LC_MESSAGES/messages.po` and Flask-Babel merges them,
so domains never edit one shared file.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from urllib.parse import urlencode

PACKAGE_DIR = Path(__file__).resolve().parent


def translation_directories() -> list[str]:
    return sorted(str(p) for p in PACKAGE_DIR.glob("**/translations") if p.is_dir())


def compile_catalogs(force: bool = False) -> int:
    """Compile every messages.po into messages.mo (when stale). Returns how many were written.

    Runs at every app start (create_app), so the app serves Vietnamese however it is
    started (`make run`, the Procfile's release and web commands, a bare gunicorn): the .mo
    files are build products, never committed. Each file is written under a temporary name
    and renamed into place, so several processes starting at once (gunicorn workers without
    preload, the release step beside a running server) never read a half-written catalogue.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = 0
    for directory in translation_directories():
        for po_path in Path(directory).glob("*/LC_MESSAGES/*.po"):
            mo_path = po_path.with_suffix(".mo")
            if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            with po_path.open("rb") as fh:
                catalog = read_po(fh)
            fd, tmp_name = tempfile.mkstemp(prefix=".messages-", suffix=".mo", dir=mo_path.parent)
            try:
                with os.fdopen(fd, "wb") as fh:
                    write_mo(fh, catalog)
                os.replace(tmp_name, mo_path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp_name)
                raise
            written += 1
    return written


def compile_catalogs_at_start(logger) -> None:
    """Compile stale catalogues when the app starts; a read-only install (catalogues built
    into the image) is not an error, but missing catalogues there are worth a warning."""
    try:
        compile_catalogs()
    except OSError as exc:
        logger.warning("Could not compile the translation catalogues (%s): pages may be served "
                       "in English. Run `flask --app wsgi i18n compile` where the code is writable.", exc)


def switch_language_url(lang: str) -> str:
    """The current page in another language: same path and query, `lang` replaced."""
    from flask import request

    args = request.args.to_dict(flat=False)
    args["lang"] = [lang]
    return request.path + "?" + urlencode(args, doseq=True)
