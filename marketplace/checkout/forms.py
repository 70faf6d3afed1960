from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, FormField, HiddenField, RadioField, StringField, TelField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from ..invoicing.forms import InvoiceRequestForm


class CheckoutForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    phone = TelField(_l("Phone"), validators=[DataRequired(), Length(max=30)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    line1 = StringField(_l("Street address (house number, street, hamlet)"),
                        validators=[DataRequired(), Length(max=255)])
    ward = StringField(_l("Ward or commune"), validators=[DataRequired(), Length(max=120)])
    province = StringField(_l("Province or city"), validators=[DataRequired(), Length(max=120)])
    payment_method = RadioField(_l("Payment"), default="vietqr", validators=[DataRequired()], choices=[
        SelectChoice("vietqr", _l("Bank transfer (VietQR)")),
        SelectChoice("stripe", _l("International or domestic card (Stripe)"))])
    note = TextAreaField(_l("Note for the producers"), validators=[Optional(), Length(max=1000)])
    # Drawn when the form is shown: a double click, or a reload after a timeout, sends the same
    # key again and gets the order the first submission placed (checkout/idempotency.py).
    idempotency_key = HiddenField()
    invoice = FormField(InvoiceRequestForm)  # optional: the buyer's invoice request

    def retry_body(self) -> dict:
        """What the key stands for: the details typed (the cart itself is gone once ordered)."""
        body = {"web": {name: self[name].data for name in
                        ("full_name", "phone", "email", "line1", "ward", "province", "payment_method", "note")}}
        if self.invoice.form.request_data():
            body["web"]["invoice"] = self.invoice.form.request_data()
        return body

    # Where each service-level field error is shown.
    FIELD_OF = {"contact.full_name": "full_name", "contact.phone": "phone", "contact.email": "email",
                "shipping_address.line1": "line1", "shipping_address.ward": "ward",
                "shipping_address.province": "province", "payment_method": "payment_method", "note": "note"}

