"""Traceability pages: the seller's lots, the Digital Link resolver, the public passport, recalls.

Thin: parse, call one service, render. Seller pages look objects up with the member's
producer id (another producer's lot is a 404).
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.auth import role_required
from ..errors import DomainError, NotFound
from . import labels, services

bp = Blueprint("traceability", __name__, template_folder="templates")


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
    product = _or_404(services.get_product, _pid(), product_id)
    errors: dict = {}
    form = {}
    if request.method == "POST":
        form = request.form
        try:
            lot = services.create_lot(_pid(), product.id, current_user, request.form)
        except DomainError as exc:
            errors = exc.fields or {"_": [exc.message]}
        else:
            flash(_("Lot %(code)s recorded.", code=lot.code), "success")
            return redirect(url_for("traceability.seller_lot", lot_id=lot.id))
    page = max(1, request.args.get("page", 1, type=int) or 1)
    lots, total = services.list_lots(_pid(), product.id, page=page, per_page=20)
    return render_template("traceability/seller_lots.html", product=product, lots=lots, total=total, page=page,
                           form=form, errors=errors, origins=services.origin_choices()), 422 if errors else 200


@bp.route("/seller/products/<int:product_id>/gtin", methods=["POST"])
@role_required("seller")
def seller_gtin(product_id: int):
    product = _or_404(services.get_product, _pid(), product_id)
    try:
        services.set_gtin(product, current_user, request.form.get("gtin"))
    except DomainError as exc:
        flash(exc.message, "danger")
    else:
        flash(_("GTIN saved."), "success")
    return redirect(url_for("traceability.seller_lots", product_id=product.id))


@bp.route("/seller/lots/<int:lot_id>", methods=["GET", "POST"])
@role_required("seller")
def seller_lot(lot_id: int):
    lot = _or_404(services.get_lot, _pid(), lot_id)
    errors: dict = {}
    form = _lot_form(lot)
    if request.method == "POST":
        form = request.form
        try:
            services.update_lot(lot, current_user, request.form)
        except DomainError as exc:
            errors = exc.fields or {"_": [exc.message]}
        else:
            flash(_("Lot saved."), "success")
            return redirect(url_for("traceability.seller_lot", lot_id=lot.id))
    return render_template("traceability/seller_lot.html", lot=lot, form=form, errors=errors,
                           origins=services.origin_choices(), layouts=labels.LAYOUTS,
                           link=services.digital_link(lot, signed=True)), 422 if errors else 200


@bp.route("/seller/lots/<int:lot_id>/recall", methods=["POST"])
@role_required("seller")
def seller_recall(lot_id: int):
    lot = _or_404(services.get_lot, _pid(), lot_id)
    _recall(lot)
    return redirect(url_for("traceability.seller_lot", lot_id=lot.id))


@bp.route("/seller/lots/<int:lot_id>/labels.pdf")
@role_required("seller")
def seller_labels(lot_id: int):
    lot = _or_404(services.get_lot, _pid(), lot_id)
    return labels_response(lot, request.args)


def labels_response(lot, args) -> Response:
    """The label sheet PDF (shared with the API); bad `layout`/`count` raise ValidationFailed."""
    layout, count = labels.parse_request(args)
    pdf = labels.render(lot, services.digital_link(lot, signed=True), layout, count)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="labels-{lot.code}.pdf"', "Cache-Control": "private, no-store"})


# --------------------------------------------------------------------------- admin

@bp.route("/admin/lots/<int:lot_id>/recall", methods=["POST"])
@role_required("admin")
def admin_recall(lot_id: int):
    lot = _or_404(services.get_public_lot, lot_id)
    _recall(lot)
    return redirect(url_for("traceability.passport", lot_id=lot.id))


def _recall(lot) -> None:
    try:
        services.recall(lot, current_user, request.form.get("reason"))
    except DomainError as exc:
        flash(exc.message, "danger")
    else:
        flash(_("Lot %(code)s recalled.", code=lot.code), "success")


# --------------------------------------------------------------------------- public

@bp.route("/01/<gtin>/10/<code>")
def resolve_gtin(gtin: str, code: str):
    return _resolve(services.resolve(code, gtin=gtin))


@bp.route("/p/<slug>/10/<code>")
def resolve_slug(slug: str, code: str):
    return _resolve(services.resolve(code, slug=slug))


def _resolve(lot):
    """A genuine label's scan is counted and sent to the passport; any other code is not genuine."""
    if lot is None or not services.signature_valid(lot.id, request.args.get("s")):
        return render_template("traceability/not_genuine.html"), 404
    services.record_scan(lot.id)
    return redirect(url_for("traceability.passport", lot_id=lot.id))


@bp.route("/lots/<int:lot_id>")
def passport(lot_id: int):
    lot = _or_404(services.get_public_lot, lot_id)
    return render_template("traceability/passport.html", lot=lot, p=services.passport(lot))


def _or_404(func, *args):
    try:
        return func(*args)
    except NotFound:
        abort(404)
