"""`flask orders ...`: housekeeping jobs for cron."""
from __future__ import annotations

import click
from flask_babel import ngettext

from ..extensions import db
from . import services


@click.group("orders")
def orders_cli():
    """Orders."""


@orders_cli.command("expire-unpaid")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Handle at most this many orders.")
def expire_unpaid(limit: int | None):
    """Expire orders unpaid past their payment window and put their stock back.

    Safe to run from cron on several machines at once: each order is expired once.
    """
    ids = services.due_unpaid_order_ids(limit=limit)
    db.session.rollback()  # end the read before the long loop
    expired = 0
    label = ngettext("%(num)d unpaid order past due", "%(num)d unpaid orders past due", len(ids))
    with click.progressbar(ids, label=label, show_pos=True) as bar:
        for order_id in bar:
            expired += services.expire_unpaid([order_id])
    click.echo(ngettext("expired %(num)d order", "expired %(num)d orders", expired))
