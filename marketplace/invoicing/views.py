"""Invoice pages: the producer's invoice panel, XML downloads and issued-invoice record;
the admins' VAT rate table. Thin: parse, call one service, render."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.auth import role_required
from ..admin.views import admin_portal
from ..errors import DomainError, NotFound, ValidationFailed
from ..extensions import db
from ..timeutil import local_today
from . import connection, rates, services
from .requests import request_for

bp = Blueprint("invoicing", __name__, template_folder="templates")
admin_bp = admin_portal(Blueprint("invoicing_admin", __name__, url_prefix="/admin", template_folder="templates"))


def _pid() -> int:
    return current_user.producer_id


def _part(part_id: int):
    try:
        return services.get_part(_pid(), part_id)
    except NotFound:
        abort(404)


def xml_response(data: bytes, name: str, mimetype: str = "application/xml") -> Response:
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"',
                                                      "Cache-Control": "private, no-store"})


@bp.app_template_global("invoice_state")
def invoice_state(part):
    """The invoice panel's data for a part (the seller's order page and the buyer's order page)."""
    return services.state(part)


@bp.app_template_global("part_invoice")
def part_invoice(part):
    return services.invoice_of(part.id)


@bp.app_template_global("invoice_connection")
def invoice_connection():
    """The name of the signed-in producer's connected provider, if any (the part page's issue button)."""
    found = connection.connection_of(_pid()) if getattr(current_user, "producer_id", None) else None
    return connection.PROVIDERS[found.provider] if found else None


@bp.app_template_global("invoice_connection_template")
def invoice_connection_template():
    """The template code of the signed-in producer's connection, if any (the adjustment hint)."""
    found = connection.connection_of(_pid()) if getattr(current_user, "producer_id", None) else None
    return found.template_code if found else None


@bp.app_template_global("invoice_test_message")
def invoice_test_message(saved):
    """The connection test's outcome in the reader's language."""
    return connection.outcome_message(saved)


@bp.app_template_global("invoice_request_of")
def invoice_request_of(order):
    return request_for(order.id)


@bp.get("/seller/orders/<int:part_id>/invoice.xml")
@role_required("seller")
def part_xml(part_id: int):
    return _xml_download(part_id, adjustment=False)


@bp.get("/seller/orders/<int:part_id>/invoice-adjustment.xml")
@role_required("seller")
def adjustment_xml(part_id: int):
    return _xml_download(part_id, adjustment=True)


def _xml_download(part_id: int, adjustment: bool):
    part = _part(part_id)
    try:
        return xml_response(*services.xml_file(part, adjustment))
    except DomainError as exc:  # a rate missing, no adjustment due: said on the part's page
        flash(exc.message, "error")
        return redirect(url_for("seller.order_part", part_id=part_id))


@bp.post("/seller/orders/<int:part_id>/invoice")
@role_required("seller")
def record(part_id: int):
    part = _part(part_id)
    adjustment = request.form.get("adjustment") == "1"
    try:
        if adjustment:
            services.record_adjustment(part, request.form)
        else:
            services.record_issue(part, request.form)
    except DomainError as exc:
        _flash_error(exc)
    else:
        flash(_("Invoice recorded. The buyer can see it on the order page.") if not adjustment
              else _("Adjusting invoice recorded."), "success")
    return redirect(url_for("seller.order_part", part_id=part_id))


@bp.get("/seller/invoices")
@role_required("seller")
def seller_invoices():
    month = (request.args.get("month") or "").strip()
    if month:
        try:
            data, count = services.month_batch(_pid(), month)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            if count:
                return xml_response(data, f"hoadon-{month}.zip", "application/zip")
            flash(_("No paid orders in %(month)s.", month=month), "info")
    return render_template("invoicing/seller_invoices.html", month=month or local_today().strftime("%Y-%m"),
                           connection=connection.connection_of(_pid()), providers=connection.PROVIDERS,
                           errors={}, form={})


def _flash_error(exc: DomainError) -> None:
    db.session.rollback()
    messages = [f"{key}: {'; '.join(value)}" for key, value in (exc.fields or {}).items()]
    flash(" ".join([exc.message, *messages]), "error")


@bp.post("/seller/invoices/connection")
@role_required("seller")
def save_connection():
    try:
        connection.save(_pid(), request.form)
    except ValidationFailed as exc:
        db.session.rollback()
        return render_template("invoicing/seller_invoices.html", month=local_today().strftime("%Y-%m"),
                               connection=connection.connection_of(_pid()), providers=connection.PROVIDERS,
                               errors=exc.fields or {}, form=request.form), 422
    flash(_("E-invoice provider connected. Test the connection before issuing."), "success")
    return redirect(url_for("invoicing.seller_invoices"))


@bp.post("/seller/invoices/connection/test")
@role_required("seller")
def test_connection():
    try:
        tried = connection.try_connection(_pid())
    except DomainError as exc:
        _flash_error(exc)
    else:
        flash(connection.outcome_message(tried), "success" if tried.last_test_ok else "error")
    return redirect(url_for("invoicing.seller_invoices"))


@bp.post("/seller/invoices/connection/delete")
@role_required("seller")
def delete_connection():
    try:
        connection.disconnect(_pid())
    except DomainError as exc:
        _flash_error(exc)
    else:
        flash(_("E-invoice provider disconnected; the saved password is deleted."), "success")
    return redirect(url_for("invoicing.seller_invoices"))


@bp.post("/seller/orders/<int:part_id>/invoice/issue")
@role_required("seller")
def issue_part(part_id: int):
    _part(part_id)  # another producer's part: 404 before anything else
    try:
        invoice = connection.issue(_pid(), part_id)
    except DomainError as exc:
        _flash_error(exc)
    else:
        flash(_("Invoice issued by the provider: %(series)s No. %(number)s. The buyer can see it on the order page.",
                series=invoice.series, number=invoice.number), "success")
    return redirect(url_for("seller.order_part", part_id=part_id))


@bp.post("/seller/orders/<int:part_id>/invoice/adjust")
@role_required("seller")
def adjust_part(part_id: int):
    _part(part_id)
    try:
        invoice = connection.adjust(_pid(), part_id)
    except DomainError as exc:
        _flash_error(exc)
    else:
        flash(_("Adjusting invoice issued by the provider: %(series)s No. %(number)s. The buyer can see it on the "
                "order page.", series=invoice.adjust_series, number=invoice.adjust_number), "success")
    return redirect(url_for("seller.order_part", part_id=part_id))


@admin_bp.route("/vat-rates", methods=["GET", "POST"])
def vat_rates():
    errors, form = {}, {}
    if request.method == "POST":
        form = request.form
        try:
            rates.set_rate(current_user, form.get("category_slug"), form.get("valid_from"), form.get("rate"),
                           form.get("source"))
        except ValidationFailed as exc:
            db.session.rollback()
            errors = exc.fields or {}
        else:
            flash(_("VAT rate saved."), "success")
            return redirect(url_for("invoicing_admin.vat_rates"))
    return render_template("invoicing/vat_rates.html", rates=rates.all_rates(), errors=errors, form=form,
                           slugs=rates.category_slugs()), (422 if errors else 200)
