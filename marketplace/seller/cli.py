"""`flask seller …` commands (registered in marketplace/cli.py)."""
from __future__ import annotations

from datetime import date

import click
from flask_babel import ngettext


@click.group("seller")
def seller_cli():
    """Seller portal jobs."""


@seller_cli.command("warn-expiring")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Pretend today is this local date (YYYY-MM-DD).")
def warn_expiring(today):
    """Email producers whose OCOP certificates expire within CERT_EXPIRY_WARNING_DAYS (run daily; safe to repeat)."""
    from .certificates import warn_expiring_certificates

    day: date | None = today.date() if today else None
    sent = warn_expiring_certificates(day)
    click.echo(ngettext("sent %(num)d expiry warning", "sent %(num)d expiry warnings", sent))
