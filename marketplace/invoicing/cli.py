"""`flask invoices ...`: VAT rates from the data file; issuing through a provider connector."""
from __future__ import annotations

import os

import click
from flask_babel import gettext, ngettext

from ..errors import DomainError
from ..extensions import db
from . import rates
from .connectors.base import ConnectorError
from .connectors.viettel import ViettelSInvoice
from .issuing import adjust_with, issue_with
from .services import get_part


@click.group("invoices")
def invoices_cli():
    """E-invoices."""


@invoices_cli.command("seed-rates")
def seed_rates():
    """Load the VAT rates of marketplace/invoicing/vat_rates.csv the table lacks (admins' edits stay)."""
    click.echo(ngettext("added %(num)d VAT rate", "added %(num)d VAT rates", rates.seed_rates()))


@invoices_cli.command("issue")
@click.option("--producer", "producer_id", type=int, required=True, help="The producer's id.")
@click.option("--part", "part_id", type=int, required=True, help="The order part's id.")
@click.option("--provider", type=click.Choice(["viettel"]), default="viettel")
@click.option("--base-url", default="https://api-vinvoice.viettel.vn", show_default=True)
@click.option("--username", required=True, help="The producer's S-Invoice API user.")
@click.option("--password-env", default="SINVOICE_PASSWORD", show_default=True,
              help="Environment variable holding the password (never on the command line).")
@click.option("--supplier-tax-code", required=True)
@click.option("--template-code", required=True, help="The registered template, e.g. 1/001.")
@click.option("--series", required=True, help="The registered series, e.g. C26TAA.")
@click.option("--timeout", type=float, default=20.0, show_default=True)
@click.option("--attempts", type=click.IntRange(1, 10), default=3, show_default=True)
@click.option("--adjust", is_flag=True, help="Issue the adjusting invoice a refund after issue made due.")
def issue(producer_id, part_id, provider, base_url, username, password_env, supplier_tax_code, template_code,
          series, timeout, attempts, adjust):
    """Issue a part's invoice (or with --adjust its adjusting invoice) through the producer's
    provider and record it (emails the buyer).

    Safe to run again: the part's keys at the provider are fixed, so a retry never issues twice."""
    password = os.environ.get(password_env)
    if not password:
        raise click.ClickException(gettext("Set %(variable)s to the S-Invoice password.", variable=password_env))
    connector = ViettelSInvoice(base_url, username, password, supplier_tax_code, template_code, series,
                                timeout=timeout)
    try:
        part = get_part(producer_id, part_id)
        invoice = (adjust_with if adjust else issue_with)(part, connector, attempts=attempts)
    except (DomainError, ConnectorError) as exc:
        db.session.rollback()
        raise click.ClickException(f"{getattr(exc, 'code', '')}: {exc.message}") from exc
    if adjust:
        click.echo(gettext("adjusted by %(series)s %(number)s, lookup code %(code)s", series=invoice.adjust_series,
                           number=invoice.adjust_number, code=invoice.adjust_lookup_code))
    else:
        click.echo(gettext("issued %(series)s %(number)s, lookup code %(code)s", series=invoice.series,
                           number=invoice.number, code=invoice.lookup_code))
