"""Statistics pages of the admin portal: sales, the e-commerce share indicator, exports."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..admin.views import admin_portal, date_arg
from ..errors import DomainError
from ..i18n import format_percent
from ..money import format_vnd, parse_vnd
from ..timeutil import local_today
from ..traceability.coverage import coverage
from . import share
from .charts import column_chart, horizontal_bars
from .glance import month_at_a_glance
from .labels import Labeller
from .sales import GROUPINGS, producer_choices, sales_report

bp = admin_portal(Blueprint("stats", __name__, url_prefix="/admin/stats", template_folder="templates"))


@bp.record_once
def _show_the_month_on_the_admin_overview(state) -> None:
    """The admin portal's first page shows this month at a glance (admin/views.py: dashboard panels)."""
    state.app.extensions.setdefault("admin_dashboard_panels", []).append(
        ("stats/_glance.html", lambda: {"glance": month_at_a_glance()}))


@bp.get("/sales")
def sales():
    group_by = request.args.get("group_by", "month")
    if group_by not in GROUPINGS:
        group_by = "month"
    producers = producer_choices()
    producer_id = request.args.get("producer_id", type=int)
    if producer_id not in producers:
        producer_id = None
    try:
        report = sales_report(date_arg("from"), date_arg("to"), group_by, producer_id)
    except DomainError as exc:
        flash(exc.message, "error")
        report = sales_report(None, None, group_by, producer_id)
    labeller = Labeller(report.group_by)
    rows = [(labeller.label(group_by, r.key, r.label), r) for r in report.rows]
    chart = horizontal_bars([(label, r.value_vnd, format_vnd(r.value_vnd)) for label, r in rows])
    args = {"from": report.date_from.isoformat(), "to": report.date_to.isoformat(), "group_by": group_by}
    if producer_id is not None:
        args["producer_id"] = producer_id
    return render_template("stats/sales.html", report=report, rows=rows, chart=chart, groupings=GROUPINGS,
                           group_by=group_by, title=labeller.title, args=args, producers=producers,
                           producer_id=producer_id)


@bp.get("/traceability")
def traceability():
    """The province's traceability coverage: active products with a current lot passport."""
    figures = coverage()
    english = get_locale().language == "en"

    def bars(rows, name):
        return horizontal_bars([(name(r), r["share_percent"] or 0, f"{r['share_percent'] or 0}% "
                                 f"({r['with_passport']}/{r['products']})") for r in rows])

    return render_template("stats/traceability.html", figures=figures, english=english,
                           locality_chart=bars(figures["by_locality"], lambda r: r["name"]),
                           group_chart=bars(figures["by_group"], lambda r: r["name_en" if english else "name_vi"]))


@bp.get("/share")
def share_page():
    key = (request.args.get("period") or str(local_today().year)).strip()
    try:
        trend = share.share_trend(key)
    except DomainError as exc:
        flash(exc.message, "error")
        key = str(local_today().year)
        trend = share.share_trend(key)
    figures = trend[-1]
    # A negative share (refunds above sales) is drawn as no bar; its label keeps the table's asterisk.
    chart = column_chart([(f.period.key,
                           max(float(f.share_percent), 0.0) if f.share_percent is not None else None,
                           format_percent(f.share_percent) + ("*" if f.net_negative else "") if f.share_percent is not None else "")
                          for f in trend],
                         target=float(figures.target_percent))
    return render_template("stats/share.html", figures=figures, trend=trend, chart=chart, period=key,
                           record=share.retail_record(key), own_channels=share.own_channels(key))


def _share_form(save, success: str, bad_amount: str):
    """Run `save(period)` for one of the indicator's forms; flash the outcome; back to the period."""
    period = request.form.get("period", "")
    try:
        save(period)
    except ValueError:  # an amount that is not a number of dong
        flash(bad_amount, "error")
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(success % {"period": period}, "success")
    return redirect(url_for("stats.share_page", period=period))


@bp.post("/share/retail")
def save_retail_total():
    form = request.form
    return _share_form(
        lambda period: share.set_retail_total(current_user, period, parse_vnd(form.get("total_retail_vnd", "")),
                                              form.get("source", ""), form.get("note", "")),
        _("Total retail sales for %(period)s saved."), _("Enter the total retail sales in dong."))


@bp.post("/share/channels")
def save_channels():
    cashless = request.form.getlist("cashless_vnd")
    entries = [(name, amount, cashless[i] if i < len(cashless) else "")
               for i, (name, amount) in enumerate(zip(request.form.getlist("channel"),
                                                      request.form.getlist("amount_vnd")))
               if name.strip() or amount.strip()]
    return _share_form(
        lambda period: share.set_channel_sales(current_user, period, [
            {"channel": name, "amount_vnd": parse_vnd(amount) if amount.strip() else None,
             "cashless_vnd": parse_vnd(paid_cashless) if paid_cashless.strip() else None}
            for name, amount, paid_cashless in entries]),
        _("Other channels for %(period)s saved."), _("Enter each channel's sales in dong."))


@bp.get("/exports")
def exports():
    today = local_today()
    return render_template("stats/exports.html", groupings=GROUPINGS, title=Labeller.title,
                           date_from=date(today.year, 1, 1).isoformat(), date_to=today.isoformat())
