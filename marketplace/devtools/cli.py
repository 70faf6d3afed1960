"""`flask demo accounts` and `flask payments simulate-transfer`: development only."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from ..errors import DomainError
from ..links import public_base_url


@click.group("demo")
def demo_cli():
    """Development conveniences (APP_ENV=development only)."""


@demo_cli.command("accounts")
@with_appcontext
def demo_accounts():
    """Create the demo admin, seller and shopper once; print their e-mails and passwords."""
    from .demo import HOMES, demo_file, ensure_demo_accounts

    app = current_app._get_current_object()
    try:
        accounts = ensure_demo_accounts(app)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    base = public_base_url()  # PUBLIC_BASE_URL, else the address `make run` serves on (HOST, PORT)
    click.echo(_("Demo accounts (development only; kept in %(path)s):", path=str(demo_file(app))))
    for account in accounts:
        label = {"admin": _("Admin"), "seller": _("Seller of %(producer)s", producer=account.producer),
                 "shopper": _("Shopper")}[account.role]
        line = _("%(label)s: %(email)s, password %(password)s, start at %(url)s", label=label, email=account.email,
                 password=account.password, url=base + HOMES[account.role])
        click.echo("  " + line + ("  (" + _("new") + ")" if account.created else ""))
        if not account.password_works:
            click.echo("    " + _("The password of %(email)s was changed since; the one above no longer works.",
                                  email=account.email))


@click.command("simulate-transfer")
@click.argument("code")
@click.option("--amount", type=click.IntRange(min=1), default=None,
              help="VND transferred (default: what is left to pay).")
@with_appcontext
def simulate_transfer_command(code: str, amount: int | None):
    """Pay order CODE by a simulated bank transfer, sent through the real SePay webhook."""
    from .transfers import describe, simulate_transfer

    try:
        result = simulate_transfer(current_app._get_current_object(), code, amount)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(describe(result))


def register(app) -> None:
    """`flask demo ...`, and `simulate-transfer` under the payments group that payments/cli.py defines."""
    from ..payments.cli import payments_cli

    app.cli.add_command(demo_cli)
    payments_cli.add_command(simulate_transfer_command)
