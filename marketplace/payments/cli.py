"""`flask payments ...`: jobs for cron and for the finance desk."""
from __future__ import annotations

import click
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..money import format_vnd
from . import refunds
from .models import Refund


@click.group("payments")
def payments_cli():
    """Payments."""


# What `refunds.retry_refund` did, as the finance desk reads it (its words stay in the audit log).
OUTCOMES = {"adopted": _l("adopted"), "refunded": _l("refunded"), "pending": _l("pending"), "failed": _l("failed"),
            "skipped": _l("skipped")}


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
        click.echo(f"{OUTCOMES.get(outcome, outcome)!s:10} {_describe(refund)}: {detail}")
        still_failing += outcome == "failed"
    by_hand = refunds.to_pay_back_by_hand(refunds.due_refunds())
    by_hand_word = gettext("by hand")
    pay_back = gettext("pay back by bank transfer, then mark it paid in the admin portal")
    for refund in by_hand:
        click.echo(f"{by_hand_word:10} {_describe(refund)}: {pay_back}")
    click.echo(ngettext("%(num)d failed refund retried, %(failing)d still failing",
                        "%(num)d failed refunds retried, %(failing)d still failing", len(ids), failing=still_failing)
               + "; " + ngettext("%(num)d bank-transfer refund waiting to be paid back by hand",
                                 "%(num)d bank-transfer refunds waiting to be paid back by hand", len(by_hand)))
    if still_failing:
        click.get_current_context().exit(1)
