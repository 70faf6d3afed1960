"""Seller portal pages under /seller. Thin: parse the form, call one service, render.

Every page except joining and accepting an invitation needs a signed-in seller;
objects are looked up through the services with the member's producer id, so
another producer's product is a 404 here too.
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..accounts.auth import register_rate_limit, role_required
from ..accounts.sessions import sign_in
from ..catalog.models import PRODUCER_KINDS, PRODUCT_STATUSES
from ..errors import Conflict, DomainError, NotFound, ValidationFailed
from ..extensions import db
from ..storage import PRIVATE_PREFIX, file_response, get_storage, new_key, valid_key
from ..timeutil import local_today
from ..uploads import check_size
from . import bulk, certificates, edit, first_save, listings, photos
from . import members as seller_members
from . import tokens as seller_tokens
from .stock import StaleStock, StockSeenRequired, parse_seen
from . import orders as seller_orders
from . import sales as seller_sales

bp = Blueprint("seller", __name__, url_prefix="/seller")

PUBLIC_ENDPOINTS = {"seller.join", "seller.invitation"}
# Extra portal sections (endpoint, label) shown in the portal's menu and on the product list.
SELLER_NAV: list = [("seller.orders", _l("Orders")), ("seller.sales", _l("Sales")), ("invoicing.seller_invoices", _l("E-invoices")),
                     ("seller.tokens", _l("API tokens"))]
BULK_LINKS: list = [("seller.products_export_csv", _l("Export CSV")),
                    ("seller.products_export_xlsx", _l("Export Excel")),
                    ("seller.products_import", _l("Import CSV"))]


@bp.before_request
def _require_seller():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    return role_required("seller")(lambda: None)()


@bp.context_processor
def _portal_globals():
    producer = current_user.producer if getattr(current_user, "is_seller", False) else None
    return {"producer": producer, "producer_kinds": PRODUCER_KINDS, "product_statuses": PRODUCT_STATUSES,
            "seller_nav": [(endpoint, str(label)) for endpoint, label in SELLER_NAV],
            "seller_bulk_links": [(endpoint, str(label)) for endpoint, label in BULK_LINKS]}


def _pid() -> int:
    return current_user.producer_id


def _files(field: str) -> list[tuple[str, bytes]]:
    return [(f.filename or "", f.read()) for f in request.files.getlist(field) if f and (f.filename or "")]


# --------------------------------------------------------------------------- joining

@bp.route("/join", methods=["GET", "POST"])
@register_rate_limit  # it creates an account: the sign-up budget of /register and the API
def join():
    if getattr(current_user, "is_seller", False):
        return redirect(url_for("seller.dashboard"))
    errors: dict = {}
    if request.method == "POST":
        try:
            _producer, user = seller_members.register_producer(request.form)
        except DomainError as exc:
            errors = exc.fields or {"_": [exc.message]}
        else:
            sign_in(user)
            flash(_("Registration received. An administrator will approve your organisation; "
                    "meanwhile you can prepare your listings."), "success")
            return redirect(url_for("seller.dashboard"))
    return render_template("seller/join.html", form=request.form, errors=errors,
                           localities=seller_members.localities()), 422 if errors else 200


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str):
    invitation = seller_members.read_invitation(token)  # 404/409 page when invalid, expired or used
    errors: dict = {}
    if request.method == "POST":
        try:
            user = seller_members.accept_invitation(token, request.form.get("full_name", ""),
                                                    request.form.get("password", ""), request.form.get("phone"))
        except DomainError as exc:
            errors = exc.fields or {"_": [exc.message]}
        else:
            sign_in(user)
            flash(_("Welcome! You are now a member of %(name)s.", name=invitation.producer.name), "success")
            return redirect(url_for("seller.dashboard"))
    return render_template("seller/invitation.html", invitation=invitation, form=request.form,
                           errors=errors), 422 if errors else 200


@bp.get("/")
def dashboard():
    counts = listings.product_counts(_pid())
    return render_template("seller/dashboard.html", counts=counts, order_counts=seller_orders.filter_counts(_pid()),
                           expiring=certificates.expiring_certificates(_pid()))


@bp.route("/members", methods=["GET", "POST"])
def members():
    errors: dict = {}
    if request.method == "POST":
        try:
            seller_members.invite_member(_pid(), current_user, request.form.get("email", ""))
        except DomainError as exc:
            errors = exc.fields or {"email": [exc.message]}
        else:
            flash(_("Invitation sent to %(email)s.", email=request.form.get("email", "").strip()), "success")
            return redirect(url_for("seller.members"))
    return render_template("seller/members.html", members=seller_members.members(_pid()), errors=errors,
                           form=request.form), 422 if errors else 200


# --------------------------------------------------------------------------- listings

@bp.get("/products")
def products():
    page = request.args.get("page", 1, type=int) or 1
    status = request.args.get("status") or None
    q = (request.args.get("q") or "").strip()[:100] or None
    items, total = listings.list_products(_pid(), status=status, q=q, page=page, per_page=20)
    return render_template("seller/products.html", items=items, total=total, page=page, per_page=20,
                           status=status, q=q or "")


@bp.route("/products/new", methods=["GET", "POST"])
def product_new():
    errors: dict = {}
    if request.method == "POST":
        try:
            scan = request.files.get("scan")
            product = first_save.create_listing(_pid(), current_user, request.form, _files("images"),
                                                (scan.filename, scan.read()) if scan and scan.filename else None)
        except ValidationFailed as exc:
            db.session.rollback()
            errors = exc.fields or {}
        else:
            flash(_("Listing created. Check it below; photos and the certificate can be changed here too."),
                  "success")
            return redirect(url_for("seller.product_edit", product_id=product.id))
    return render_template("seller/product_form.html", product=None, form=request.form, errors=errors,
                           categories=listings.categories()), 422 if errors else 200


@bp.route("/products/<int:product_id>", methods=["GET", "POST"])
def product_edit(product_id: int):
    product = listings.get_product(_pid(), product_id)
    errors: dict = {}
    if request.method == "POST":
        fields = {k: request.form.get(k, "") for k in ("name", "description", "unit", "price_vnd", "stock",
                                                        "status", "category_id")}
        try:
            # The figure the page showed: a new stock is written only if it still is that.
            seen = parse_seen(request.form.get("stock_seen"))
            edit.patch_product(product, current_user, fields, stock_seen=seen)
        except StaleStock as exc:  # orders reserved or released units since the page was shown
            db.session.rollback()
            errors = exc.fields
            form = {**request.form.to_dict(), "stock": str(exc.current), "stock_seen": str(exc.current)}
            flash(exc.message, "error")
            return render_template("seller/product_form.html", product=product, form=form, errors=errors,
                                   categories=listings.categories()), 409
        except (ValidationFailed, StockSeenRequired) as exc:
            db.session.rollback()
            errors = exc.fields or {"stock": [exc.message]}
        else:
            flash(_("Listing saved."), "success")
            return redirect(url_for("seller.product_edit", product_id=product.id))
    return render_template("seller/product_form.html", product=product, form=request.form if errors else None,
                           errors=errors, categories=listings.categories()), 422 if errors else 200


@bp.post("/products/<int:product_id>/archive")
def product_archive(product_id: int):
    listings.archive_product(listings.get_product(_pid(), product_id), current_user)
    flash(_("Listing archived: it is no longer shown in the shop."), "success")
    return redirect(url_for("seller.products"))


@bp.post("/products/<int:product_id>/images")
def image_upload(product_id: int):
    product = listings.get_product(_pid(), product_id)
    try:
        added = photos.add_images(product, current_user, _files("images"))
    except ValidationFailed as exc:
        flash(exc.message, "error")
        return render_template("seller/product_form.html", product=product, form=None,
                               errors={"images": (exc.fields or {}).get("images", [exc.message])},
                               categories=listings.categories()), 422
    flash(_("%(n)d photo(s) added.", n=len(added)), "success")
    return redirect(url_for("seller.product_edit", product_id=product.id) + "#photos")


@bp.post("/products/<int:product_id>/images/<int:image_id>/delete")
def image_delete(product_id: int, image_id: int):
    product = listings.get_product(_pid(), product_id)
    photos.remove_image(product, current_user, image_id)
    flash(_("Photo removed."), "success")
    return redirect(url_for("seller.product_edit", product_id=product.id) + "#photos")


@bp.post("/products/<int:product_id>/images/<int:image_id>/move")
def image_move(product_id: int, image_id: int):
    product = listings.get_product(_pid(), product_id)
    photos.move_image(product, current_user, image_id, -1 if request.form.get("direction") == "up" else 1)
    return redirect(url_for("seller.product_edit", product_id=product.id) + "#photos")


# --------------------------------------------------------------------------- bulk export / import

def _download(data: bytes, mimetype: str, name: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/products/export.csv")
def products_export_csv():
    return _download(bulk.export_csv(_pid()), "text/csv; charset=utf-8",
                     f"san-pham-{current_user.producer.slug}-{local_today():%Y%m%d}.csv")


@bp.get("/products/export.xlsx")
def products_export_xlsx():
    return _download(bulk.export_xlsx(_pid()), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     f"san-pham-{current_user.producer.slug}-{local_today():%Y%m%d}.xlsx")


def _import_key_ok(key: str) -> bool:
    return valid_key(key) and key.startswith(f"{PRIVATE_PREFIX}imports/{_pid()}/")


@bp.route("/products/import", methods=["GET", "POST"])
def products_import():
    """Step 1: upload a CSV and see every row checked (nothing is written yet)."""
    if request.method == "GET":
        return render_template("seller/import.html", preview=None, key=None, errors={})
    upload = request.files.get("file")
    data = upload.read() if upload else b""
    try:
        check_size(data, current_app.config["IMPORT_MAX_BYTES"], "file")
    except ValidationFailed as exc:
        return render_template("seller/import.html", preview=None, key=None, errors=exc.fields), 422
    preview = bulk.preview_import(_pid(), data)
    key = None
    if preview.ok:
        key = new_key(f"{PRIVATE_PREFIX}imports/{_pid()}", ".csv")
        get_storage().save(key, data, "text/csv")
    return render_template("seller/import.html", preview=preview, key=key, errors={}), 200 if preview.ok else 422


@bp.post("/products/import/apply")
def products_import_apply():
    """Step 2: write every row of the previewed file in one transaction, or none."""
    key = request.form.get("key", "")
    storage = get_storage()
    if not _import_key_ok(key) or not storage.exists(key):
        abort(404)
    try:
        preview = bulk.apply_import(_pid(), current_user, storage.read(key))
    except ValidationFailed:
        # The listings changed since the preview: show the new check; nothing was written.
        return render_template("seller/import.html", preview=bulk.preview_import(_pid(), storage.read(key)),
                               key=None, errors={}), 422
    storage.delete(key)
    flash(_("Import done: %(created)d created, %(updated)d updated.", created=preview.creates,
            updated=preview.updates), "success")
    return redirect(url_for("seller.products", status="all"))


# --------------------------------------------------------------------------- certificates

@bp.route("/products/<int:product_id>/certificate", methods=["GET", "POST"])
def certificate(product_id: int):
    product = listings.get_product(_pid(), product_id)
    errors: dict = {}
    if request.method == "POST":
        scan = request.files.get("scan")
        try:
            certificates.claim_certificate(product, current_user, request.form,
                                           (scan.filename, scan.read()) if scan and scan.filename else None)
        except ValidationFailed as exc:
            db.session.rollback()
            errors = exc.fields or {}
        else:
            flash(_("Certificate submitted: it shows as pending verification until an administrator checks it."),
                  "success")
            return redirect(url_for("seller.product_edit", product_id=product.id) + "#certificate")
    return render_template("seller/certificate_form.html", product=product, cert=product.certificate,
                           form=request.form if errors else None, errors=errors), 422 if errors else 200


@bp.get("/products/<int:product_id>/certificate/scan")
def certificate_scan(product_id: int):
    product = listings.get_product(_pid(), product_id)
    if product.certificate is None or not product.certificate.scan_path:
        abort(404)
    return file_response(product.certificate.scan_path, private=True)


# --------------------------------------------------------------------------- orders

@bp.get("/orders")
def orders():
    page = request.args.get("page", 1, type=int) or 1
    part_filter = request.args.get("filter") or None
    if part_filter not in seller_orders.PART_FILTERS:
        part_filter = None
    items, total = seller_orders.list_parts(_pid(), part_filter, page=page, per_page=20)
    return render_template("seller/orders.html", items=items, total=total, page=page, per_page=20,
                           part_filter=part_filter, counts=seller_orders.filter_counts(_pid()))


@bp.get("/orders/<int:part_id>")
def order_part(part_id: int):
    part = seller_orders.get_part(_pid(), part_id)
    return _part_page(part, {}, {})


def _part_page(part, errors: dict, form):
    moves = seller_orders.seller_moves(part)
    return render_template("seller/order_part.html", part=part, order=part.order,
                           history=seller_orders.history(part), moves=moves, carriers=seller_orders.carriers(),
                           lot_choices=seller_orders.lot_choices(part) if "shipped" in moves else {},
                           shipped_lots=seller_orders.shipped_lots(part), errors=errors, form=form)


@bp.post("/orders/<int:part_id>/status")
def order_part_move(part_id: int):
    part = seller_orders.get_part(_pid(), part_id)
    form = request.form
    try:
        seller_orders.move_part(part, current_user, form.get("status", ""), carrier=form.get("carrier"),
                                tracking_number=form.get("tracking_number"), note=form.get("reason", ""),
                                lots=seller_orders.lots_from_form(form))
    except ValidationFailed as exc:
        db.session.rollback()
        part = seller_orders.get_part(_pid(), part_id)
        return _part_page(part, exc.fields or {}, form), 422
    except Conflict as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("seller.order_part", part_id=part_id))
    flash(_("Order updated."), "success")
    return redirect(url_for("seller.order_part", part_id=part_id))


@bp.get("/orders/<int:part_id>/packing-slip")
def packing_slip(part_id: int):
    part = seller_orders.get_part(_pid(), part_id)
    return render_template("seller/packing_slip.html", part=part, order=part.order)


# --------------------------------------------------------------------------- sales summary

def _date_arg(name: str):
    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(_("Dates look like 2025-01-31."), fields={name: ["YYYY-MM-DD"]}) from None


def _sales_range():
    try:
        return _date_arg("from"), _date_arg("to")
    except ValidationFailed as exc:
        flash(exc.message, "error")
        return None, None


@bp.get("/sales")
def sales():
    date_from, date_to = _sales_range()
    try:
        summary = seller_sales.producer_sales(_pid(), date_from, date_to)
    except ValidationFailed as exc:
        flash(exc.message, "error")
        summary = seller_sales.producer_sales(_pid())
    args = {"from": summary.date_from.isoformat(), "to": summary.date_to.isoformat()}
    return render_template("seller/sales.html", summary=summary, args=args)


@bp.get("/sales.csv")
def sales_csv():
    date_from, date_to = _sales_range()
    data = seller_sales.sales_csv(_pid(), date_from, date_to)
    return _download(data, "text/csv; charset=utf-8", f"doanh-thu-{current_user.producer.slug}.csv")


# --------------------------------------------------------------------------- API tokens

@bp.route("/tokens", methods=["GET", "POST"])
def tokens():
    errors: dict = {}
    new_token = None
    if request.method == "POST":
        try:
            new_token = seller_tokens.create_api_token(current_user, request.form.get("name", ""))
        except ValidationFailed as exc:
            errors = exc.fields or {}
    return render_template("seller/tokens.html", tokens=seller_tokens.api_tokens(current_user), new_token=new_token,
                           errors=errors, form=request.form), 422 if errors else 200


@bp.post("/tokens/<int:token_id>/revoke")
def token_revoke(token_id: int):
    seller_tokens.revoke_api_token(current_user, token_id)
    flash(_("Token revoked: programs using it can no longer sign in."), "success")
    return redirect(url_for("seller.tokens"))


@bp.errorhandler(NotFound)
def _not_found(exc):
    return render_template("errors/generic.html", status=404, message=exc.message), 404


@bp.errorhandler(Conflict)
def _conflict(exc):
    return render_template("errors/generic.html", status=409, message=exc.message), 409
