"""Traceability pages: the seller's lots, the Digital Link resolver, the public passport, recalls.

Thin: parse, call one service, render. Seller pages look objects up with the member's
producer id (another producer's lot is a 404).
"""
from __future__ import annotations

from flask import (Blueprint, Response, abort, current_app, flash, make_response, redirect, render_template, request,
                   session, url_for)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.auth import bearer_token, role_required
from ..admin.views import admin_portal
from ..errors import DomainError, NotFound
from ..extensions import limiter
from ..links import public_base_url
from ..orders import line_lots
from ..security import carries_session_cookie
from . import fake_reports, files, labels, links, lots, passports, recalls, shipping

bp = Blueprint("traceability", __name__, template_folder="templates")
# The admin portal's traceability pages (recalls, suspected fakes): admins only.
admin_bp = admin_portal(Blueprint("trace_admin", __name__, url_prefix="/admin", template_folder="templates"))
line_lots.provide(shipping.lots_by_line)  # order lines show the lots they were shipped from


def _pid() -> int:
    return current_user.producer_id


def _lot_form(lot) -> dict:
    return {"code": lot.code, "produced_on": lot.produced_on.isoformat(), "best_before": lot.best_before.isoformat(),
            "quantity": str(lot.quantity), "origin_ward_code": lot.origin.slug if lot.origin else "",
            "process": "\n".join(lot.process or []), "inputs": "\n".join(lot.inputs or [])}


# --------------------------------------------------------------------------- seller portal

@bp.route("/seller/products/<int:product_id>/lots", methods=["GET", "POST"])
@role_required("seller")
def seller_lots(product_id: int):
    product = _or_404(lots.get_product, _pid(), product_id)
    errors: dict = {}
    form = {}
    if request.method == "POST":
        form = request.form
        try:
            lot = lots.create_lot(_pid(), product.id, current_user, request.form)
        except DomainError as exc:
            errors = exc.fields or {"_": [exc.message]}
        else:
            flash(_("Lot %(code)s recorded.", code=lot.code), "success")
            return redirect(url_for("traceability.seller_lot", lot_id=lot.id))
    page = max(1, request.args.get("page", 1, type=int) or 1)
    items, total = lots.list_lots(_pid(), product.id, page=page, per_page=20)
    return render_template("traceability/seller_lots.html", product=product, lots=items, total=total, page=page,
                           form=form, errors=errors, origins=lots.origin_choices()), 422 if errors else 200


@bp.route("/seller/products/<int:product_id>/gtin", methods=["POST"])
@role_required("seller")
def seller_gtin(product_id: int):
    product = _or_404(lots.get_product, _pid(), product_id)
    try:
        lots.set_gtin(product, current_user, request.form.get("gtin"))
    except DomainError as exc:
        flash(exc.message, "danger")
    else:
        flash(_("GTIN saved."), "success")
    return redirect(url_for("traceability.seller_lots", product_id=product.id))


@bp.route("/seller/lots/<int:lot_id>", methods=["GET", "POST"])
@role_required("seller")
def seller_lot(lot_id: int):
    lot = _or_404(lots.get_lot, _pid(), lot_id)
    errors: dict = {}
    form = _lot_form(lot)
    if request.method == "POST":
        form = request.form
        try:
            lots.update_lot(lot, current_user, request.form)
        except DomainError as exc:
            errors = exc.fields or {"_": [exc.message]}
        else:
            flash(_("Lot saved."), "success")
            return redirect(url_for("traceability.seller_lot", lot_id=lot.id))
    return _seller_lot_page(lot, form, errors), 422 if errors else 200


def _seller_lot_page(lot, form, errors: dict, file_errors: dict | None = None):
    return render_template("traceability/seller_lot.html", lot=lot, form=form, errors=errors,
                           origins=lots.origin_choices(), layouts=labels.LAYOUTS,
                           link=links.digital_link(lot, signed=True),
                           files=[files.file_dict(f) for f in files.lot_files(lot.id)],
                           file_errors=file_errors or {})


@bp.route("/seller/lots/<int:lot_id>/files", methods=["POST"])
@role_required("seller")
def seller_add_file(lot_id: int):
    lot = _or_404(lots.get_lot, _pid(), lot_id)
    upload = request.files.get("file")
    try:
        files.add_lot_file(lot, current_user, request.form.get("kind"), upload.read() if upload else b"",
                              request.form.get("title"))
    except DomainError as exc:
        return _seller_lot_page(lot, _lot_form(lot), {}, exc.fields or {"file": [exc.message]}), 422
    flash(_("File added; it is shown on the passport."), "success")
    return redirect(url_for("traceability.seller_lot", lot_id=lot.id))


@bp.route("/seller/lots/<int:lot_id>/files/<int:file_id>/delete", methods=["POST"])
@role_required("seller")
def seller_remove_file(lot_id: int, file_id: int):
    lot = _or_404(lots.get_lot, _pid(), lot_id)
    _or_404(files.remove_lot_file, lot, current_user, file_id)
    flash(_("File removed."), "success")
    return redirect(url_for("traceability.seller_lot", lot_id=lot.id))


@bp.route("/seller/lots/<int:lot_id>/recall", methods=["POST"])
@role_required("seller")
def seller_recall(lot_id: int):
    lot = _or_404(lots.get_lot, _pid(), lot_id)
    _recall(lot)
    return redirect(url_for("traceability.seller_lot", lot_id=lot.id))


@bp.route("/seller/lots/<int:lot_id>/labels.pdf")
@role_required("seller")
def seller_labels(lot_id: int):
    lot = _or_404(lots.get_lot, _pid(), lot_id)
    return labels_response(lot, request.args)


def labels_response(lot, args) -> Response:
    """The label sheet PDF (shared with the API); bad `layout`/`count` raise ValidationFailed."""
    layout, count = labels.parse_request(args)
    pdf = labels.render(lot, links.digital_link(lot, signed=True), layout, count)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="labels-{lot.code}.pdf"', "Cache-Control": "private, no-store"})


# --------------------------------------------------------------------------- admin

@bp.route("/admin/lots/<int:lot_id>/recall", methods=["POST"])
@role_required("admin")
def admin_recall(lot_id: int):
    lot = _or_404(lots.get_public_lot, lot_id)
    _recall(lot)
    return redirect(url_for("traceability.passport", lot_id=lot.id))


def _recall(lot) -> None:
    try:
        recalls.recall(lot, current_user, request.form.get("reason"))
    except DomainError as exc:
        flash(exc.message, "danger")
    else:
        flash(_("Lot %(code)s recalled.", code=lot.code), "success")


# --------------------------------------------------------------------------- public

@bp.route("/01/<gtin>/10/<code>")
def resolve_gtin(gtin: str, code: str):
    return _resolve(links.scan(code, request.args.get("s"), gtin=gtin))


@bp.route("/p/<slug>/10/<code>")
def resolve_slug(slug: str, code: str):
    return _resolve(links.scan(code, request.args.get("s"), slug=slug))


def _resolve(lot_id: int | None):
    """A genuine label's scan is counted and sent to the passport; any other code is not genuine.

    Nothing may keep the redirect (no-store): every scan must reach the app to be counted."""
    if lot_id is None:
        response = make_response(render_template("traceability/not_genuine.html"), 404)
    else:
        response = redirect(url_for("traceability.passport", lot_id=lot_id))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/lots/<int:lot_id>")
def passport(lot_id: int):
    """The passport; never reused without asking (no-cache): its scan count is live."""
    # A visitor without credentials (most scans) gets the page from the cache, without any
    # user being loaded; signed-in members see their own navigation (and an admin the
    # recall form), rendered each time.
    if carries_session_cookie() or bearer_token() is not None:
        lot = _or_404(lots.get_public_lot, lot_id)
        html = _passport_page(lot, passports.scans_line(lot.scan_count, lot.first_scanned_at))
    else:
        def render(lot):
            page = _passport_page(lot, passports.SCANS_MARK)
            return page, not session.modified

        html = passports.public_page(lot_id, render, (str(get_locale()), request.full_path, public_base_url()))
        if html is None:
            abort(404)
    response = make_response(html)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _passport_page(lot, scans) -> str:
    return render_template("traceability/passport.html", lot=lot, p=passports.passport(lot), scans=scans)


@bp.route("/lots/<int:lot_id>/report", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["FAKE_REPORT_RATE_LIMIT"], scope="fake-report", methods=["POST"])
def report_fake(lot_id: int):
    """Anyone may report a suspected fake (the passport links here); it lands in the admin's
    queue (/admin/fake-reports)."""
    lot = _or_404(lots.get_public_lot, lot_id)
    errors: dict = {}
    if request.method == "POST":
        try:
            fake_reports.report_fake(lot, request.form)
        except DomainError as exc:
            errors = exc.fields or {"message": [exc.message]}
        else:
            flash(_("Thank you: the OCOP office will look into your report."), "success")
            return redirect(url_for("traceability.passport", lot_id=lot.id))
    return render_template("traceability/report_fake.html", lot=lot, errors=errors,
                           form=request.form), 422 if errors else 200


# --------------------------------------------------------------------------- admin pages

@admin_bp.get("/recalls", endpoint="recalls")
def recalls_page():
    page = max(1, request.args.get("page", 1, type=int) or 1)
    rows, total = recalls.recalls(page=page, per_page=20)
    return render_template("traceability/admin_recalls.html", rows=rows, total=total, page=page, per_page=20)


@admin_bp.get("/fake-reports", endpoint="fake_reports")
def fake_reports_page():
    status = "resolved" if request.args.get("status") == "resolved" else "open"
    page = max(1, request.args.get("page", 1, type=int) or 1)
    items, total = fake_reports.fake_reports(status, page=page, per_page=20)
    return render_template("traceability/admin_fake_reports.html", items=items, total=total, page=page,
                           per_page=20, status=status)


@admin_bp.post("/fake-reports/<int:report_id>/resolve")
def resolve_fake_report(report_id: int):
    _or_404(fake_reports.resolve_fake_report, report_id, current_user)
    flash(_("Report marked as handled."), "success")
    return redirect(url_for("trace_admin.fake_reports"))


def _or_404(func, *args):
    try:
        return func(*args)
    except NotFound:
        abort(404)
