"""Web pages for accounts: register, log in, log out."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..errors import DomainError
from ..extensions import db, limiter
from .auth import register_rate_limit
from .forms import LoginForm, RegisterForm
from .services import authenticate, create_user

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


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


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
            login_user(user)
            flash(_("Welcome, %(name)s! Your account is ready.", name=user.full_name), "success")
            return redirect(_next_or_home())
    return render_template("accounts/register.html", form=form), 422 if form.errors else 200


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_next_or_home())
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            db.session.commit()  # last_login_at
            login_user(user, remember=bool(form.remember.data))
            flash(_("You are signed in."), "success")
            return redirect(_next_or_home())
        form.form_errors.append(_("Wrong email or password."))
    return render_template("accounts/login.html", form=form), 422 if form.errors else 200


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("catalog.home"))
