"""Every `flask` CLI command, registered in one place."""
from __future__ import annotations

import click
from flask import Flask

from .i18n import compile_catalogs


@click.group("i18n")
def i18n_cli():
    """Translations."""


@i18n_cli.command("compile")
@click.option("--force", is_flag=True)
def i18n_compile(force: bool):
    """Compile the .po catalogues into .mo files."""
    click.echo(f"compiled {compile_catalogs(force=force)} catalogue(s)")


def register(app: Flask) -> None:
    from .search.cli import search_cli
    from .seller.cli import seller_cli

    app.cli.add_command(i18n_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(seller_cli)
