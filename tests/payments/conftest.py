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


@pytest.fixture(scope="session")
def localstripe_url():
    """The `localstripe` server (PyPI) on a free loopback port, for the whole run."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 20
    while True:
        try:
            urllib.request.urlopen(url + "/v1/customers", timeout=1)
            break
        except urllib.error.HTTPError:
            break  # the server answers (401 without a key): it is up
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("localstripe did not start")
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def stripe_env(app, localstripe_url):
    """Stripe calls go to localstripe; Checkout Sessions (which localstripe lacks) are served by
    the transport-level stand-in in helpers.CheckoutTransport. Yields that transport."""
    from tests.stripe_stub import CheckoutTransport

    transport = CheckoutTransport()
    keys = ("STRIPE_SECRET_KEY", "STRIPE_API_BASE", "STRIPE_HTTP_CLIENT")
    saved = {k: app.config.get(k) for k in keys}
    app.config.update(STRIPE_SECRET_KEY="sk_test_localstripe", STRIPE_API_BASE=localstripe_url,
                      STRIPE_HTTP_CLIENT=transport)
    yield transport
    app.config.update(saved)
