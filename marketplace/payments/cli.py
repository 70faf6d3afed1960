"""`flask payments ...`: jobs for cron and for the finance desk."""
from __future__ import annotations

import click

from ..extensions import db
from ..money import format_vnd
from . import refunds
from .models import Refund


@click.group("payments")
def payments_cli():
    """Payments."""


def _describe(refund: Refund) -> str:
    return f"#{refund.id} {refund.order.code} {format_vnd(refund.amount_vnd)} ({refund.method})"


@payments_cli.command("retry-refunds")
def retry_refunds():
    """Try failed card refunds again; list bank-transfer refunds still to be paid back by hand.

    A refund Stripe already holds (the answer was lost on the way back) is adopted, never
    made twice. Exits with 1 while any refund is still failing (for cron alerts), else 0.
    Safe to run on several machines at once: each refund is locked while it is retried.
    """
    ids = [refund.id for refund in refunds.failed_refunds()]
    db.session.rollback()  # end the read before talking to Stripe
    still_failing = 0
    for refund_id in ids:
        outcome, detail = refunds.retry_refund(refund_id)
        refund = db.session.get(Refund, refund_id)
        click.echo(f"{outcome:8} {_describe(refund)}: {detail}")
        still_failing += outcome == "failed"
    by_hand = refunds.to_pay_back_by_hand(refunds.due_refunds())
    for refund in by_hand:
        click.echo(f"by hand  {_describe(refund)}: pay back by bank transfer, then mark it paid in the admin portal")
    click.echo(f"{len(ids)} failed refund(s) retried, {still_failing} still failing; "
               f"{len(by_hand)} bank-transfer refund(s) waiting to be paid back by hand")
    if still_failing:
        click.get_current_context().exit(1)
