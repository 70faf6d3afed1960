"""An app started with APP_ENV=production has none of the development tools: no generated
SePay key, no simulated-transfer route, and `flask demo accounts` refuses."""
from __future__ import annotations

import os

from marketplace import create_app


def test_a_production_app_offers_no_development_tool(monkeypatch, tmp_path):
    instance = tmp_path / "instance"
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-production-secret-of-at-least-32-characters")
    monkeypatch.setenv("INSTANCE_PATH", str(instance))
    for name in ("DATABASE_URL", "SEPAY_API_KEY"):
        monkeypatch.delenv(name, raising=False)

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.db'}", "WTF_CSRF_ENABLED": False})

    assert app.instance_path == str(instance)
    assert app.config["SEPAY_API_KEY"] == "" and not os.path.exists(instance / "dev-sepay-api-key")
    assert app.test_client().post("/dev/payments/orders/ANY/simulate-transfer").status_code == 404
    result = app.test_cli_runner().invoke(args=["demo", "accounts"])
    assert result.exit_code == 1 and "APP_ENV=development" in result.output
    assert not os.path.exists(instance / "demo-accounts.json")
