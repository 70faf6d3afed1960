"""The admin portal (HTML) under /admin. Role admin only; thin views over admin.services."""
from __future__ import annotations

import os
from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.auth import role_required
from ..errors import DomainError
from ..extensions import db
from ..mail import outbox
from ..storage import file_response
from . import register, services

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

def admin_context() -> dict:
    """Template globals of the admin pages (also used by the stats pages)."""
    return {"admin_endpoints": set(current_app.view_functions),
            "producer_kinds": {"enterprise": _("Enterprise"), "cooperative": _("Cooperative"),
                               "cooperative_group": _("Cooperative group"), "household": _("Household")}}


@role_required("admin")
def _admin_only():
    """Every page here: anonymous -> login page, signed in but not admin -> 403."""
    return None


def admin_portal(blueprint: Blueprint) -> Blueprint:
    """Make a blueprint part of the admin portal: admins only, with the portal's template globals."""
    blueprint.before_request(_admin_only)
    blueprint.context_processor(admin_context)
    return blueprint


admin_portal(bp)


def _int_arg(name: str, default: int = 1) -> int:
    try:
        return max(1, int(request.args.get(name, default)))
    except (TypeError, ValueError):
        return default


def date_arg(name: str) -> date | None:
    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        flash(_("Invalid date: %(value)s", value=value), "error")
        return None


def _back(default: str):
    target = request.form.get("next") or ""
    if target.startswith("/admin/") and not target.startswith("//"):
        return redirect(target)
    return redirect(default)


@bp.get("/")
def index():
    pending_producers = services.list_producers(status="pending", per_page=1).total
    pending_certificates = services.pending_certificates(per_page=1).total
    dashboard = services.star_dashboard()
    # Panels other parts of the portal add (the statistics: this month at a glance), each a
    # template and a function giving its context.
    panels = [(template, context()) for template, context in current_app.extensions.get("admin_dashboard_panels", ())]
    return render_template("admin/index.html", pending_producers=pending_producers,
                           pending_certificates=pending_certificates, totals=dashboard["totals"], panels=panels)


# --- accounts ------------------------------------------------------------------------------------

@bp.get("/users")
def users():
    q = request.args.get("q", "").strip()
    page = services.list_users(q, _int_arg("page"), _int_arg("per_page", 50))
    return render_template("admin/users.html", page=page, q=q)


@bp.post("/users/<int:user_id>/sign-out-everywhere")
def sign_out_user(user_id: int):
    return _act(services.sign_out_everywhere, user_id, back=url_for("admin.users"),
                success=_("Every session and API token of the account is ended."))


# --- producers -----------------------------------------------------------------------------------

@bp.get("/producers")
def producers():
    status = request.args.get("status", "all")
    if status not in services.PRODUCER_STATUSES:
        status = "all"
    q = request.args.get("q", "").strip()
    page = services.list_producers(q, status, _int_arg("page"), _int_arg("per_page", 50))
    return render_template("admin/producers.html", page=page, q=q, status=status,
                           statuses=services.PRODUCER_STATUSES)


def _act(action, *args, success: str, back: str):
    """Run one service action for the signed-in admin; flash its outcome; go back to the list."""
    try:
        obj = action(current_user, *args)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(success % {"name": getattr(obj, "name", ""), "no": getattr(obj, "certificate_no", "")}, "success")
    return _back(back)


def _producer_action(action, producer_id: int, success: str, *args):
    return _act(action, producer_id, *args, success=success, back=url_for("admin.producers"))


@bp.post("/producers/<int:producer_id>/approve")
def approve_producer(producer_id: int):
    return _producer_action(services.approve_producer, producer_id, _("%(name)s is approved."))


@bp.post("/producers/<int:producer_id>/suspend")
def suspend_producer(producer_id: int):
    return _producer_action(services.suspend_producer, producer_id,
                            _("%(name)s is suspended; its listings have left the shop."),
                            request.form.get("reason", ""))


@bp.post("/producers/<int:producer_id>/reinstate")
def reinstate_producer(producer_id: int):
    return _producer_action(services.reinstate_producer, producer_id, _("%(name)s may sell again."))


# --- certificates --------------------------------------------------------------------------------

@bp.get("/certificates")
def certificates():
    page = services.pending_certificates(_int_arg("page"), _int_arg("per_page", 50))
    return render_template("admin/certificates.html", page=page)


@bp.get("/certificates/<int:cert_id>/scan")
def certificate_scan(cert_id: int):
    """The scan a producer attached to a claim, from the private upload storage (admins only)."""
    cert = services.get_certificate(cert_id)
    if not cert.scan_path:
        abort(404)
    return file_response(cert.scan_path, private=True)


@bp.post("/certificates/<int:cert_id>/verify")
def verify_certificate(cert_id: int):
    return _act(services.verify_certificate, cert_id, request.form.get("note", ""),
                success=_("Certificate %(no)s verified."), back=url_for("admin.certificates"))


@bp.post("/certificates/<int:cert_id>/reject")
def reject_certificate(cert_id: int):
    return _act(services.reject_certificate, cert_id, request.form.get("reason", ""),
                success=_("Certificate %(no)s rejected."), back=url_for("admin.certificates"))


@bp.route("/certificates/register", methods=["GET", "POST"])
def register_import():
    report = None
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(_("Choose the register CSV file."), "error")
        else:
            try:
                report = register.import_register(current_user, upload.read(), os.path.basename(upload.filename))
            except DomainError as exc:
                flash(exc.message, "error")
            else:
                flash(_("%(n)s claims verified from the register.", n=len(report.verified)), "success")
    return render_template("admin/register.html", report=report)


@bp.get("/certificates/stars")
def stars():
    return render_template("admin/stars.html", dashboard=services.star_dashboard())


# --- outgoing email --------------------------------------------------------------------------------

@bp.get("/mail")
def mail():
    return render_template("admin/mail.html", state=outbox.status(), given_up=outbox.given_up(),
                           worker=not outbox.sends_inline())


@bp.post("/mail/<int:mail_id>/resend")
def resend_mail(mail_id: int):
    try:
        message = outbox.resend(current_user, mail_id)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin.mail"))
    if not outbox.sends_inline():
        flash(_("The message is queued again; the mail worker sends it within seconds."), "success")
        return redirect(url_for("admin.mail"))
    outbox.deliver_due()  # no worker here: send it now (with anything else that is due)
    db.session.refresh(message)
    if message.status == "sent":
        flash(_("Sent again: %(subject)s", subject=message.subject), "success")
    else:
        flash(_("Not sent this time either; it will be tried again later."), "error")
    return redirect(url_for("admin.mail"))


# --- audit log -----------------------------------------------------------------------------------

@bp.get("/audit")
def audit():
    filters = {name: (request.args.get(name) or "").strip() or None
               for name in ("action", "object_type", "object_id", "actor")}
    page = services.audit_entries(**filters, date_from=date_arg("from"), date_to=date_arg("to"),
                                  page=_int_arg("page"), per_page=_int_arg("per_page", 50))
    return render_template("admin/audit.html", page=page, filters=filters,
                           date_from=request.args.get("from", ""), date_to=request.args.get("to", ""))
