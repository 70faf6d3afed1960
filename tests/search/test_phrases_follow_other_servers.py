"""PostgreSQL: the phrases a server keeps for spelling corrections follow changes made on
another server (through the catalogue version), and a reindex. PostgreSQL only."""
from __future__ import annotations

import pytest

from marketplace import create_app
from marketplace.catalog.models import Product
from marketplace.extensions import db as _db
from tests import factories as f
from tests.conftest import new_client

from .conftest import ON_POSTGRES

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL only (set DATABASE_URL)")


@pytest.fixture
def two_servers(app, db):
    """This app ("server A") and a second app on the same database, both on the PostgreSQL backend."""
    previous = app.config["SEARCH_BACKEND"]
    app.config["SEARCH_BACKEND"] = "postgres"
    other = create_app(dict(app.config))
    yield new_client(app, cookies=False), other
    with other.app_context():
        _db.engine.dispose()
    app.config["SEARCH_BACKEND"] = previous


def suggestion(client, q: str) -> str | None:
    body = client.get("/api/v1/products", query_string={"q": q}).get_json()
    return body.get("suggestion")


def test_a_product_renamed_on_another_server_is_suggested_here(two_servers, db):
    here, other = two_servers
    tea = f.product("Trà hoa vàng Ba Chẽ")
    db.session.commit()
    assert suggestion(here, "tra hao vang") == "tra hoa vang"  # this server now keeps the phrases

    with other.app_context():
        renamed = _db.session.get(Product, tea.id)
        renamed.name = "Rượu mơ Yên Tử"
        _db.session.commit()

    assert suggestion(here, "ruou mo yen tuu") == "ruou mo yen tu"


def test_a_reindex_moves_the_catalogue_version(two_servers, db):
    from marketplace.cache import CacheVersion

    f.product("Trà hoa vàng Ba Chẽ")
    db.session.commit()
    before = db.session.get(CacheVersion, "catalog").version
    result = two_servers[1].test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(CacheVersion, "catalog").version == before + 1
