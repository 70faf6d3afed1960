"""Development conveniences: demo accounts and a simulated bank transfer.

They exist so that a newcomer can try every role and pay an order on a laptop,
without a bank account or a provider. They are switched on only when
`APP_ENV=development` (the default of a local run); in any other environment the
commands refuse and the page route answers 404, so a production deployment never
offers them. Nothing here bypasses the real code paths: demo accounts are ordinary
users, and a simulated transfer is a SePay notification sent through the real
webhook endpoint with the real API key.
"""
from __future__ import annotations

from flask import Flask

from .mode import enabled


def init_app(app: Flask) -> None:
    from .instance_files import ensure_sepay_key
    from .views import bp

    app.register_blueprint(bp)
    # Tests configure their own keys; a local run without SEPAY_API_KEY gets one per installation,
    # so the webhook accepts the simulated transfers (and nothing unauthenticated).
    if enabled(app) and not app.testing:
        ensure_sepay_key(app)
