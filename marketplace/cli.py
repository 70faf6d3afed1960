"""Every `flask` CLI command, registered in one place."""
from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from flask_babel import gettext, ngettext

from .clilang import add_language_option
from .i18n import compile_catalogs


@click.group("i18n")
def i18n_cli():
    """Translations."""


@i18n_cli.command("compile")
@click.option("--force", is_flag=True)
def i18n_compile(force: bool):
    """Compile the .po catalogues into .mo files."""
    written = compile_catalogs(force=force)
    click.echo(ngettext("compiled %(num)d catalogue", "compiled %(num)d catalogues", written))


@click.command("seed")
@click.option("--file", "catalogue", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Catalogue CSV to load instead of seeds/ocop_products.csv.")
@with_appcontext
def seed_command(catalogue: Path | None):
    """Load localities, OCOP groups, the seed catalogue and the VAT rates (idempotent; all or nothing)."""
    from .catalog.seed import CATALOGUE_CSV, SeedError, load_seed

    try:
        report = load_seed(catalogue, progress=_terminal_progress)
    except SeedError as exc:
        for error in exc.errors:
            click.echo(str(error), err=True)
        raise click.ClickException(exc.message) from exc
    click.echo(seed_summary((catalogue or CATALOGUE_CSV).name, report))
    from .invoicing.rates import seed_rates

    added = seed_rates()  # the VAT rates the invoice data uses (admins' edits stay)
    if added:
        click.echo(gettext("VAT rates: added %(count)d from %(file)s.", count=added,
                           file="marketplace/invoicing/vat_rates.csv"))


def _terminal_progress(items, label):
    """A progress bar on a terminal's stderr; nothing at all in a log or a pipe."""
    if not sys.stderr.isatty():
        return nullcontext(items)
    return click.progressbar(items, label=label, show_pos=True, file=sys.stderr)


def _counted(kind: str, n: int) -> str:
    """`n` rows of one kind the seed loads, in words ("3 products")."""
    if kind == "products":
        return ngettext("%(num)d product", "%(num)d products", n)
    if kind == "producers":
        return ngettext("%(num)d producer", "%(num)d producers", n)
    if kind == "localities":
        return ngettext("%(num)d locality", "%(num)d localities", n)
    return ngettext("%(num)d OCOP group", "%(num)d OCOP groups", n)


def seed_summary(name: str, report) -> str:
    """One line: what the seed created (or that it had nothing to do)."""
    created, existing = report.created, report.existing
    if not report.changed:
        return gettext("Seed %(file)s: already loaded, nothing to do (%(counts)s).", file=name, counts=", ".join(
            _counted(kind, existing.get(kind, 0)) for kind in ("products", "producers", "localities")))
    line = gettext("Seed %(file)s: created %(products)s (%(sample)d sample), %(others)s", file=name,
                   products=_counted("products", created.get("products", 0)),
                   sample=created.get("sample products", 0), others=", ".join(
                       _counted(kind, created.get(kind, 0)) for kind in ("producers", "localities", "categories")))
    updated = [_counted(what, n) for what, n in report.updated.items() if n]
    present = [_counted(what, existing[what]) for what in ("products", "producers") if existing.get(what)]
    if updated:
        line += gettext("; updated %(counts)s", counts=", ".join(updated))
    if present:
        line += gettext("; already present %(counts)s", counts=", ".join(present))
    return line + "."


users_cli = AppGroup("users", help="User accounts.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="At least 8 characters; asked for when left out.")
@click.option("--role", type=click.Choice(["admin", "seller", "shopper"]), default="shopper", show_default=True)
@click.option("--producer", "producer_ref", default=None,
              help="The seller's producer: id, slug or tax code (sellers only).")
@click.option("--name", "full_name", default=None, help="Full name (default: the part of the email before @).")
@click.option("--phone", default=None)
def users_create(email: str, password: str, role: str, producer_ref: str | None, full_name: str | None,
                 phone: str | None):
    """Create an account (a seller is bound to one producer)."""
    from .accounts.services import create_user
    from .errors import DomainError

    producer_id = None
    if producer_ref is not None:
        producer = _find_producer(producer_ref.strip())
        if producer is None:
            raise click.ClickException(gettext("No producer %(ref)s (give its id, slug or tax code)",
                                               ref=repr(producer_ref)))
        producer_id = producer.id
    name = full_name or email.split("@")[0]
    try:
        user = create_user(email, password, name, phone, role=role, producer_id=producer_id)
    except DomainError as exc:
        details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in (exc.fields or {}).items())
        raise click.ClickException(f"{exc.message}" + (f" — {details}" if details else "")) from exc
    if user.producer_id:
        click.echo(gettext("Created %(role)s #%(id)d %(email)s for producer #%(producer_id)d %(producer)s.",
                           role=user.role, id=user.id, email=user.email, producer_id=user.producer_id,
                           producer=user.producer.name))
    else:
        click.echo(gettext("Created %(role)s #%(id)d %(email)s.", role=user.role, id=user.id, email=user.email))


@users_cli.command("purge-sessions")
@click.option("--batch", type=click.IntRange(1, 100_000), default=1000, show_default=True,
              help="Rows deleted per transaction.")
def users_purge_sessions(batch: int):
    """Delete sign-in session records that are revoked or older than SESSION_MAX_AGE_DAYS."""
    from flask import current_app

    from .accounts.sessions import purge_sessions

    def progress(done: int, total: int) -> None:
        click.echo(gettext("sessions: %(done)d/%(total)d deleted", done=done, total=total))

    deleted = purge_sessions(batch=batch, progress=progress)
    click.echo(ngettext("Purged %(num)d expired or revoked session (sessions last %(days)d days).",
                        "Purged %(num)d expired or revoked sessions (sessions last %(days)d days).",
                        deleted, days=current_app.config["SESSION_MAX_AGE_DAYS"]))


def _find_producer(ref: str):
    import sqlalchemy as sa

    from .catalog.models import Producer
    from .extensions import db

    clause = sa.or_(Producer.slug == ref, Producer.tax_code == ref)
    if ref.isdigit() and int(ref) < 2**31:  # an id (a 10-digit tax code may look like one)
        clause = sa.or_(clause, Producer.id == int(ref))
    return db.session.scalars(sa.select(Producer).where(clause).order_by(Producer.id)).first()


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
        click.echo(gettext("expired %(number)s (%(stars)d★) %(product)s", number=cert.certificate_no,
                           stars=cert.stars, product=cert.product.name))
    click.echo(ngettext("%(num)d certificate newly expired", "%(num)d certificates newly expired", len(expired)))


@click.group("stats")
def stats_cli():
    """Sales statistics."""


@stats_cli.command("export")
@click.option("--from", "date_from", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="First local day (default: 1 January of this year).")
@click.option("--to", "date_to", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Last local day (default: today).")
@click.option("--group-by", default="month", show_default=True,
              help="month, locality, region, category, stars, producer_kind, producer or product (comma-separated to combine).")
@click.option("--level", type=click.Choice(["grouped", "lines"]), default="grouped", show_default=True,
              help="grouped: the statistics; lines: one row per paid order line.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("--producer-id", type=click.IntRange(min=1), default=None, help="Only this producer's sales.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), required=True)
@with_appcontext
def stats_export(date_from, date_to, group_by, level, fmt, producer_id, output):
    """Export sales (streamed: flat memory however many rows) with a progress bar."""
    from flask import current_app

    from .errors import DomainError
    from .stats.exports import csv_chunks, grouped_table, lines_table, write_xlsx
    from .stats.sales import check_producer, date_range, sales_report

    with current_app.test_request_context():  # labels in the command's language (`--lang`)
        try:
            rng = date_range(date_from.date() if date_from else None, date_to.date() if date_to else None)
            check_producer(producer_id)
            table = (lines_table(rng, producer_id) if level == "lines"
                     else grouped_table(sales_report(rng.date_from, rng.date_to, group_by, producer_id)))
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
    click.echo(ngettext("%(num)d row -> %(file)s", "%(num)d rows -> %(file)s", total, file=output))


def register(app: Flask) -> None:
    from .checkout.cli import checkout_cli
    from .invoicing.cli import invoices_cli
    from .devtools.cli import register as register_devtools
    from .mail.cli import mail_cli
    from .orders.cli import orders_cli
    from .payments.cli import payments_cli
    from .search.cli import search_cli
    from .seller.cli import seller_cli

    app.cli.add_command(i18n_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(seed_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(seller_cli)
    app.cli.add_command(orders_cli)
    app.cli.add_command(checkout_cli)
    app.cli.add_command(invoices_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(payments_cli)
    app.cli.add_command(ocop_cli)
    app.cli.add_command(stats_cli)
    register_devtools(app)
    add_language_option(app.cli)  # every command above: Vietnamese, or English with --lang en
