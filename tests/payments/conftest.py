"""Provider credentials for every payments test (restored afterwards)."""
import pytest

from .helpers import ACCOUNT_NO, CASSO_KEY, SEPAY_KEY, STRIPE_WHSEC


@pytest.fixture(autouse=True)
def payment_settings(app):
    saved = {k: app.config.get(k) for k in ("SEPAY_API_KEY", "CASSO_CHECKSUM_KEY", "STRIPE_WEBHOOK_SECRET",
                                            "VIETQR_ACCOUNT_NO", "VIETQR_BANK_BIN", "VIETQR_ACCOUNT_NAME")}
    app.config.update(SEPAY_API_KEY=SEPAY_KEY, CASSO_CHECKSUM_KEY=CASSO_KEY, STRIPE_WEBHOOK_SECRET=STRIPE_WHSEC,
                      VIETQR_ACCOUNT_NO=ACCOUNT_NO, VIETQR_BANK_BIN="970436",
                      VIETQR_ACCOUNT_NAME="TRUNG TAM OCOP QUANG NINH")
    yield app.config
    app.config.update(saved)
