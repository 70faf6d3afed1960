"""Pages and static files travel compressed; static URLs carry their content's hash and are
cached for a year."""
from __future__ import annotations

import gzip
import re

import brotli


def _static_links(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="((?:/bootstrap)?/static/[^"]+)"', html)


def test_pages_are_compressed_for_browsers_that_ask(client, db):
    plain = client.get("/about")
    assert "Content-Encoding" not in plain.headers  # a client that does not ask gets the page as it is
    packed = client.get("/about", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data).decode() == plain.get_data(as_text=True)
    assert len(packed.data) < len(plain.data) / 2


def test_static_urls_carry_a_content_hash_and_are_cached_for_a_year(client, db):
    html = client.get("/about").get_data(as_text=True)
    links = _static_links(html)
    assert any("css/site.css?v=" in link for link in links) and any("bootstrap" in link for link in links)
    assert all(re.search(r"\?v=[0-9a-f]{12}$", link) for link in links), links
    css = next(link for link in links if "site.css" in link)
    response = client.get(css, headers={"Accept-Encoding": "br"})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "br"
    assert b".btn-ocop" in brotli.decompress(response.data)
    cache = response.cache_control
    assert cache.public and cache.max_age == 365 * 24 * 3600 and cache.immutable
    again = client.get(css, headers={"Accept-Encoding": "br", "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    # Without the hash (an old link), the file is still served, revalidated as before.
    bare = client.get(css.split("?")[0])
    assert bare.status_code == 200 and not bare.cache_control.immutable


def test_a_changed_file_gets_a_new_url(app, client, db, tmp_path):
    import os

    from marketplace.assets import file_version

    path = os.path.join(app.static_folder, "css", "site.css")
    before = file_version(app, "static", "css/site.css")
    assert before and file_version(app, "static", "../config.py") is None
    assert file_version(app, "static", "css/none.css") is None
    stat = os.stat(path)
    try:
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        with open(path, "ab") as fh:
            fh.write(b"\n")
        assert file_version(app, "static", "css/site.css") != before
    finally:
        with open(path, "rb+") as fh:
            content = fh.read()
            fh.seek(0)
            fh.write(content[:-1])
            fh.truncate()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert file_version(app, "static", "css/site.css") == before
