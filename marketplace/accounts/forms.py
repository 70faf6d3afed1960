"""Web forms for accounts (Flask-WTF: CSRF token included when CSRF is enabled)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField, TelField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from ..validators import normalise_phone
from .services import MIN_PASSWORD_LENGTH


def vietnamese_phone(form, field) -> None:
    try:
        field.data = normalise_phone(field.data)
    except ValueError as exc:
        raise ValidationError(_l("Enter a Vietnamese phone number, e.g. 0912 345 678.")) from exc


def new_password_fields(label):
    """A new password and its repetition (registration, password change)."""
    password = PasswordField(label, validators=[
        DataRequired(_l("Please choose a password.")),
        Length(min=MIN_PASSWORD_LENGTH, max=200,
               message=_l("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))])
    confirm = PasswordField(_l("Repeat the password"), validators=[
        DataRequired(_l("Please repeat the password.")),
        EqualTo("password", message=_l("The two passwords do not match."))])
    return password, confirm


class RegisterForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[
        DataRequired(_l("Please enter your full name.")), Length(max=120, message=_l("At most 120 characters."))])
    email = EmailField(_l("Email"), validators=[
        DataRequired(_l("Please enter your email address.")), Length(max=254, message=_l("At most 254 characters.")),
        Email(_l("Enter a valid email address, e.g. lan@example.vn."), check_deliverability=False)])
    phone = TelField(_l("Phone"), validators=[DataRequired(_l("Please enter your phone number.")), vietnamese_phone])
    password, confirm = new_password_fields(_l("Password"))
    submit = SubmitField(_l("Create account"))


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Please enter your email address."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Please enter your password."))])
    remember = BooleanField(_l("Keep me signed in"))
    submit = SubmitField(_l("Log in"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[
        DataRequired(_l("Please enter your current password."))])
    password, confirm = new_password_fields(_l("New password"))
    submit = SubmitField(_l("Change password"))


class SignOutEverywhereForm(FlaskForm):
    submit = SubmitField(_l("Sign out everywhere else"))


class ProfileForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[
        DataRequired(_l("Please enter your full name.")), Length(max=120, message=_l("At most 120 characters."))])
    phone = TelField(_l("Phone"))
    submit = SubmitField(_l("Save profile"))


class PasswordResetRequestForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[
        DataRequired(_l("Please enter your email address.")), Length(max=254, message=_l("At most 254 characters."))])
    submit = SubmitField(_l("Send the reset link"))


class PasswordResetForm(FlaskForm):
    password, confirm = new_password_fields(_l("New password"))
    submit = SubmitField(_l("Set the new password"))


def division_code(value) -> int:
    """A division code from a form (0 when it is not one): never an untranslated coercion error."""
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) <= 9 else 0


class AddressForm(FlaskForm):
    """An address; the province's communes/wards are the ward choices (filled by the view).
    Without JavaScript, "Show communes and wards" sends the form back with the province
    chosen so the ward list fits it; with it, static/js/addresses.js fills the list."""

    full_name = StringField(_l("Recipient's name"), validators=[
        DataRequired(_l("Please enter the recipient's name.")), Length(max=120, message=_l("At most 120 characters."))])
    phone = TelField(_l("Phone"), validators=[DataRequired(_l("Please enter your phone number.")), vietnamese_phone])
    line1 = StringField(_l("Street address (house number, street, hamlet)"), validators=[
        DataRequired(_l("Please enter the house number and street.")),
        Length(max=200, message=_l("At most 200 characters."))])
    province_code = SelectField(_l("Province or city"), coerce=division_code, validate_choice=False)
    ward_code = SelectField(_l("Commune, ward or special zone"), coerce=division_code, validate_choice=False)
    is_default = BooleanField(_l("Use as my default address"))
    refresh = SubmitField(_l("Show communes and wards"))
    submit = SubmitField(_l("Save address"))

    def fill_choices(self, provinces, wards) -> None:
        self.province_code.choices = [(0, _l("Choose a province or city"))] + [(p["code"], p["name"]) for p in provinces]
        self.ward_code.choices = [(0, _l("Choose a commune, ward or special zone"))] + [
            (w["code"], w["name"]) for w in wards]


class ConfirmForm(FlaskForm):
    """A bare POST button (CSRF token only): delete, make default."""
    submit = SubmitField(_l("Confirm"))
