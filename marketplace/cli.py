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


@click.group("stats")
def stats_cli():
    """Sales statistics."""


@stats_cli.command("export")
@click.option("--from", "date_from", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="First local day (default: 1 January of this year).")
@click.option("--to", "date_to", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Last local day (default: today).")
@click.option("--group-by", default="month", show_default=True,
              help="month, locality, region, category, stars, producer_kind or producer (comma-separated to combine).")
@click.option("--level", type=click.Choice(["grouped", "lines"]), default="grouped", show_default=True,
              help="grouped: the statistics; lines: one row per paid order line.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), required=True)
@with_appcontext
def stats_export(date_from, date_to, group_by, level, fmt, output):
    """Export sales (streamed: flat memory however many rows) with a progress bar."""
    from flask import current_app

    from .errors import DomainError
    from .stats.exports import csv_chunks, grouped_table, lines_table, write_xlsx
    from .stats.sales import date_range, sales_report

    with current_app.test_request_context():  # labels in the default language (Vietnamese)
        try:
            rng = date_range(date_from.date() if date_from else None, date_to.date() if date_to else None)
            table = (lines_table(rng) if level == "lines"
                     else grouped_table(sales_report(rng.date_from, rng.date_to, group_by)))
        except DomainError as exc:
            raise click.UsageError(exc.message) from None
        total = table.count()
        with click.progressbar(length=total, label=f"{level} {fmt}") as bar:
            if fmt == "csv":
                with open(output, "wb") as fh:
                    for chunk in csv_chunks(table, progress=bar.update):
                        fh.write(chunk)
            else:
                write_xlsx(table, output, progress=bar.update)
    click.echo(f"{total} row(s) -> {output}")


def register(app: Flask) -> None:
    from .seller.cli import seller_cli

    app.cli.add_command(i18n_cli)
    app.cli.add_command(seller_cli)
    app.cli.add_command(ocop_cli)
    app.cli.add_command(stats_cli)
