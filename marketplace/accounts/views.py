"""Web pages for accounts: register, log in, log out."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import DomainError
from ..extensions import db
from . import addresses, divisions, passwords
from .auth import password_reset_rate_limit, register_rate_limit, sign_in_limits
from .forms import (AddressForm, ChangePasswordForm, ConfirmForm, LoginForm, PasswordResetForm, PasswordResetRequestForm, ProfileForm,
                    RegisterForm, SignOutEverywhereForm)
from .models import UserSession
from .services import authenticate, change_password, create_user, update_profile
from .sessions import end_other_sessions, live_sessions, live_token_count, sign_in, sign_out

bp = Blueprint("accounts", __name__)


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (no open redirects)."""
    target = (target or "").strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _next_or_home() -> str:
    return safe_next(request.args.get("next")) or url_for("catalog.home")


@bp.route("/register", methods=["GET", "POST"])
@register_rate_limit
def register():
    if current_user.is_authenticated:
        return redirect(_next_or_home())
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = create_user(form.email.data, form.password.data, form.full_name.data, form.phone.data)
        except DomainError as exc:
            db.session.rollback()
            for name, messages in (exc.fields or {"": [exc.message]}).items():
                field = form._fields.get(name)
                (field.errors if field is not None else form.form_errors).extend(messages)
        else:
            sign_in(user)
            flash(_("Welcome, %(name)s! Your account is ready.", name=user.full_name), "success")
            return redirect(_next_or_home())
    return render_template("accounts/register.html", form=form), 422 if form.errors else 200


@bp.route("/login", methods=["GET", "POST"])
@sign_in_limits
def login():
    if current_user.is_authenticated:
        return redirect(_next_or_home())
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            sign_in(user, remember=bool(form.remember.data))  # commits last_login_at too
            flash(_("You are signed in."), "success")
            if user.is_seller and not safe_next(request.args.get("next")):
                return redirect(url_for("seller.dashboard"))  # a seller's work is in the portal
            return redirect(_next_or_home())
        form.form_errors.append(_("Wrong email or password."))
    return render_template("accounts/login.html", form=form), 422 if form.errors else 200


@bp.post("/logout")
def logout():
    sign_out(current_user)
    flash(_("You are signed out."), "info")
    return redirect(url_for("catalog.home"))


def _field_errors(form, exc: DomainError) -> None:
    for name, messages in (exc.fields or {"": [exc.message]}).items():
        field = form._fields.get(name)
        (field.errors if field is not None else form.form_errors).extend(messages)


def _account_page(password_form: ChangePasswordForm | None = None, status: int = 200,
                  profile_form: ProfileForm | None = None):
    if profile_form is None:
        profile_form = ProfileForm(formdata=None, full_name=current_user.full_name, phone=current_user.phone or "")
    return render_template("accounts/account.html", password_form=password_form or ChangePasswordForm(),
                           profile_form=profile_form,
                           everywhere_form=SignOutEverywhereForm(), sessions=live_sessions(current_user.id),
                           token_count=live_token_count(current_user.id),
                           current_session_hash=UserSession.digest(current_user.session_key or "")), status


@bp.get("/account")
@login_required
def account():
    return _account_page()


@bp.post("/account/profile")
@login_required
def profile():
    form = ProfileForm()
    if form.validate_on_submit():
        try:
            update_profile(current_user, form.full_name.data, form.phone.data or "")
        except DomainError as exc:
            db.session.rollback()
            _field_errors(form, exc)
        else:
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("accounts.account"))
    return _account_page(status=422, profile_form=form)


@bp.post("/account/password")
@login_required
def password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, form.current_password.data, form.password.data,
                            keep_session=current_user.session_key)
        except DomainError as exc:
            db.session.rollback()
            for name, messages in (exc.fields or {}).items():
                getattr(form, name).errors = list(getattr(form, name).errors) + messages
        else:
            flash(_("Your password is changed. Every other session and API token is signed out."), "success")
            return redirect(url_for("accounts.account"))
    return _account_page(form, 422)


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    if SignOutEverywhereForm().validate_on_submit():
        sessions, tokens = end_other_sessions(current_user.id, keep_session=current_user.session_key)
        flash(_("Signed out everywhere else: %(sessions)d sessions and %(tokens)d API tokens ended.",
                sessions=sessions, tokens=tokens), "success")
    return redirect(url_for("accounts.account"))


@bp.route("/account/password-reset", methods=["GET", "POST"])
@password_reset_rate_limit
def password_reset():
    """Ask for a reset link: the same answer whether or not the address has an account."""
    form = PasswordResetRequestForm()
    if form.validate_on_submit():
        passwords.request_reset(form.email.data)
        return render_template("accounts/password_reset_sent.html", email=form.email.data)
    return render_template("accounts/password_reset.html", form=form), 422 if form.errors else 200


@bp.route("/account/password-reset/<token>", methods=["GET", "POST"])
def password_reset_confirm(token: str):
    if not passwords.token_is_valid(token):
        return render_template("accounts/password_reset_invalid.html"), 404
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            passwords.reset_password(token, form.password.data)
        except DomainError as exc:
            db.session.rollback()
            _field_errors(form, exc)
        else:
            if current_user.is_authenticated:
                sign_out(current_user)
            flash(_("Your password is changed and every session is signed out. Sign in with the new password."),
                  "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/password_reset_confirm.html", form=form), 422 if form.errors else 200


# ---- the address book ----------------------------------------------------------------------------

def _address_form(address=None) -> AddressForm:
    if address is not None and request.method == "GET":
        form = AddressForm(obj=address)
    elif request.method == "GET":
        form = AddressForm(full_name=current_user.full_name, phone=current_user.phone or "")
    else:
        form = AddressForm()
    form.fill_choices(divisions.provinces(), divisions.wards(form.province_code.data) or ())
    return form


def _address_page(form: AddressForm, address=None, status: int = 200):
    return render_template("accounts/addresses.html", form=form, address=address,
                           addresses=addresses.list_addresses(current_user), confirm_form=ConfirmForm()), status


def _save_address(form: AddressForm, address=None):
    """Validate and save (or, for "Show communes and wards", show the form again)."""
    if form.refresh.data:
        form.ward_code.data = 0
        return _address_page(form, address)
    if form.validate_on_submit():
        data = {name: form[name].data for name in addresses.FIELDS}
        if address is not None and not data["is_default"]:
            data.pop("is_default")  # unticking does not unset the default; another address takes it
        try:
            if address is None:
                addresses.create_address(current_user, data)
            else:
                addresses.update_address(current_user, address.id, data)
        except DomainError as exc:
            db.session.rollback()
            _field_errors(form, exc)
        else:
            flash(_("The address is saved."), "success")
            return redirect(url_for("accounts.address_book"))
    return _address_page(form, address, 422)


@bp.route("/account/addresses", methods=["GET", "POST"])
@login_required
def address_book():
    form = _address_form()
    if request.method == "POST":
        return _save_address(form)
    return _address_page(form)


@bp.route("/account/addresses/<int:address_id>/edit", methods=["GET", "POST"])
@login_required
def address_edit(address_id: int):
    address = addresses.get_address(current_user, address_id)
    form = _address_form(address)
    if request.method == "POST":
        return _save_address(form, address)
    return _address_page(form, address)


@bp.post("/account/addresses/<int:address_id>/delete")
@login_required
def address_delete(address_id: int):
    if ConfirmForm().validate_on_submit():
        addresses.delete_address(current_user, address_id)
        flash(_("The address is removed."), "info")
    return redirect(url_for("accounts.address_book"))


@bp.post("/account/addresses/<int:address_id>/default")
@login_required
def address_default(address_id: int):
    if ConfirmForm().validate_on_submit():
        addresses.update_address(current_user, address_id, {"is_default": True})
        flash(_("This is now your default address."), "success")
    return redirect(url_for("accounts.address_book"))
