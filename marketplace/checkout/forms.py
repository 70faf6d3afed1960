from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, FormField, HiddenField, RadioField, StringField, TelField, TextAreaField
from wtforms.fields.choices import SelectChoice

from ..payments.providers import GATEWAYS, default_method
from .rules import LENGTHS


def _attrs(name: str, required: bool = True) -> dict:
    """What the browser checks before sending; the rules (checkout/rules.py) decide on the server."""
    return {"maxlength": LENGTHS[name], **({"required": True} if required else {})}

from ..invoicing.forms import InvoiceRequestForm


class CheckoutForm(FlaskForm):
    """The checkout page's fields. They carry the values only: `rules.validate_details` checks
    them (the same function as for the API) and the view shows its errors on these fields."""

    full_name = StringField(_l("Full name"), render_kw=_attrs("full_name"))
    phone = TelField(_l("Phone"), render_kw=_attrs("phone"))
    email = EmailField(_l("Email (optional)"), render_kw=_attrs("email", required=False))
    line1 = StringField(_l("Street address (house number, street, hamlet)"), render_kw=_attrs("line1"))
    ward = StringField(_l("Ward or commune"), render_kw=_attrs("ward"))
    province = StringField(_l("Province or city"), render_kw=_attrs("province"))
    # The registered gateways, in their order; read when a form is made, once every provider is in.
    payment_method = RadioField(_l("Payment"), default=default_method, choices=lambda: [
        SelectChoice(method, gateway.choice_label) for method, gateway in GATEWAYS.items()])
    note = TextAreaField(_l("Note for the producers"), render_kw=_attrs("note", required=False))
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

