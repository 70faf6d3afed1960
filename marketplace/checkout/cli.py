"""`flask checkout …` commands (registered in marketplace/cli.py)."""
from __future__ import annotations

import click


@click.group("checkout")
def checkout_cli():
    """Checkout housekeeping."""


@checkout_cli.command("forget-keys")
def forget_keys():
    """Delete idempotency keys older than 24 hours (run daily; a key past its life is also
    replaced when it is used again)."""
    from .idempotency import forget_expired

    click.echo(f"forgot {forget_expired()} expired idempotency key(s)")
