"""`flask mail ...`: send the outbox (a worker, or cron) and look at it."""
from __future__ import annotations

import logging
import os
import signal
import threading
import time

import click
from flask_babel import gettext, ngettext

from . import outbox

PURGE_EVERY_S = 3600
log = logging.getLogger(__name__)


@click.group("mail")
def mail_cli():
    """Outgoing email (the outbox)."""


def _summary(report) -> str:
    return gettext("%(sent)d sent, %(retry)d to retry, %(failed)d failed", sent=report.get("sent", 0),
                   retry=report.get("retry", 0), failed=report.get("failed", 0))


@mail_cli.command("send-due")
@click.option("--batch", type=click.IntRange(min=1), default=50, show_default=True,
              help="Messages taken (and sent over one connection) at a time.")
def send_due(batch: int):
    """Send every message that is due, then delete those older than MAIL_KEEP_DAYS (for cron;
    safe to run on several machines at once)."""
    report = outbox.deliver_due(batch=batch)
    click.echo(ngettext("mail: %(summary)s; %(num)d old message deleted",
                        "mail: %(summary)s; %(num)d old messages deleted", outbox.purge(), summary=_summary(report)))


def run_worker(interval: float, batch: int, stop: threading.Event, echo=click.echo) -> None:
    """Every `interval` seconds, send all that is due, until `stop` is set. Waiting between
    passes even after a busy one lets messages gather: under a steady flow each pass sends
    many over one connection and records them in one statement, instead of a few each time."""
    purged_at = 0.0
    while not stop.is_set():
        try:
            report = outbox.deliver_due(batch=batch)
            if report:
                echo(gettext("mail: %(summary)s", summary=_summary(report)))
            if time.monotonic() - purged_at > PURGE_EVERY_S:
                purged_at = time.monotonic()
                outbox.purge()
        except Exception:  # noqa: BLE001 - e.g. the database restarting: keep going, try again
            log.exception("mail worker: this pass failed; trying again in %g s", interval)
        stop.wait(interval)


@mail_cli.command("worker")
@click.option("--interval", type=click.FloatRange(min=0.1), default=1.0, show_default=True,
              help="Seconds between passes over the outbox (the longest a message waits).")
@click.option("--batch", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--nice", "niceness", type=click.IntRange(min=0, max=19), default=10, show_default=True,
              help="Lower this process's CPU priority by this much (0: unchanged).")
def worker(interval: float, batch: int, niceness: int):
    """Send the outbox as messages come in (the Procfile's `worker`; run with MAIL_DELIVERY=worker).
    Stops cleanly on SIGTERM or Ctrl-C, after the batch in hand.

    Email can wait a moment; a shopper at the checkout cannot. Each pass sends a second's
    worth of messages in one burst, and where the worker shares its cores with the web
    workers (one machine, or a small one) that burst would otherwise take a core from the
    requests in flight, so by default it runs at a lower priority: it takes only the CPU
    the web workers leave, which at any load short of saturation is plenty."""
    if niceness:
        os.nice(niceness)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    every = f"{interval:g}"
    click.echo(gettext("mail worker: looking every %(seconds)s s, nice %(nice)d", seconds=every, nice=os.nice(0))
               if niceness else gettext("mail worker: looking every %(seconds)s s", seconds=every))
    run_worker(interval, batch, stop)
    click.echo(gettext("mail worker: stopped"))


@mail_cli.command("status")
def status():
    """How many messages wait, were sent or were given up; the last ten given up."""
    state = outbox.status()
    counts = state["counts"]
    click.echo(gettext("pending %(pending)d, sent %(sent)d, failed %(failed)d", pending=counts["pending"],
                       sent=counts["sent"], failed=counts["failed"]))
    if state["oldest_pending_age"] is not None:
        click.echo(gettext("oldest pending: %(minutes)d min old",
                           minutes=int(state["oldest_pending_age"].total_seconds() // 60)))
    for mail in outbox.given_up(limit=10):
        click.echo(gettext("failed #%(id)d after %(tries)d tries: %(subject)s (%(error)s)", id=mail.id,
                           tries=mail.attempts, subject=mail.subject, error=mail.last_error))
