"""Every `flask` CLI command, registered in one place."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from .i18n import compile_catalogs


@click.group("i18n")
def i18n_cli():
    """Translations."""


@i18n_cli.command("compile")
@click.option("--force", is_flag=True)
def i18n_compile(force: bool):
    """Compile the .po catalogues into .mo files."""
    click.echo(f"compiled {compile_catalogs(force=force)} catalogue(s)")


@click.group("ocop")
def ocop_cli():
    """OCOP certification."""


@ocop_cli.command("expire-certificates")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Local date to judge expiry by (default: today in Asia/Ho_Chi_Minh).")
@with_appcontext
def ocop_expire_certificates(today):
    """Record expired certificates and notify their producers, once each (cron-safe)."""
    from .admin.services import expire_certificates

    expired = expire_certificates(today.date() if today else None)
    for cert in expired:
        click.echo(f"expired {cert.certificate_no} ({cert.stars}★) {cert.product.name}")
    click.echo(f"{len(expired)} certificate(s) newly expired")


def register(app: Flask) -> None:
    app.cli.add_command(i18n_cli)
    app.cli.add_command(ocop_cli)
