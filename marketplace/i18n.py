"""Translations: Vietnamese first (the default locale), English second.

Message ids are English; each package keeps its Vietnamese catalogue in
`<package>/translations/vi/LC_MESSAGES/messages.po` and Flask-Babel merges them,
so domains never edit one shared file.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

PACKAGE_DIR = Path(__file__).resolve().parent


def translation_directories() -> list[str]:
    return sorted(str(p) for p in PACKAGE_DIR.glob("**/translations") if p.is_dir())


def compile_catalogs(force: bool = False) -> int:
    """Compile every messages.po into messages.mo (when stale). Returns how many were written."""
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
            with mo_path.open("wb") as fh:
                write_mo(fh, catalog)
            written += 1
    return written


def switch_language_url(lang: str) -> str:
    """The current page in another language: same path and query, `lang` replaced."""
    from flask import request

    args = request.args.to_dict(flat=False)
    args["lang"] = [lang]
    return request.path + "?" + urlencode(args, doseq=True)
