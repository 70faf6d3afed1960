"""The development tools run as a local `make run` does (APP_ENV=development), with the
bank settings of the payments tests and a throw-away instance folder."""
import pytest

from tests.payments.helpers import ACCOUNT_NO, SEPAY_KEY


@pytest.fixture(autouse=True)
def development(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "ENV_NAME", "development")
    monkeypatch.setitem(app.config, "SEPAY_API_KEY", SEPAY_KEY)
    monkeypatch.setitem(app.config, "VIETQR_ACCOUNT_NO", ACCOUNT_NO)
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    return app.config


@pytest.fixture
def as_production(app, monkeypatch):
    """The same app, run as a production deployment."""
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
