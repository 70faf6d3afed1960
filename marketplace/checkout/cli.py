"""`flask checkout …` commands (registered in marketplace/cli.py)."""
from __future__ import annotations

import click
from flask_babel import ngettext


@click.group("checkout")
def checkout_cli():
    """Checkout housekeeping."""


@checkout_cli.command("forget-keys")
def forget_keys():
    """Delete idempotency keys older than 24 hours (run daily; a key past its life is also
    replaced when it is used again)."""
    from .idempotency import forget_expired

    forgotten = forget_expired()
    click.echo(ngettext("forgot %(num)d expired idempotency key", "forgot %(num)d expired idempotency keys",
                        forgotten))
