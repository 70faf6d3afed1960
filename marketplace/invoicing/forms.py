"""The invoice request's fields, nested in the checkout form (`invoice-kind`, `invoice-name`, …)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, Form, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional


class InvoiceRequestForm(Form):
    kind = RadioField(_l("Invoice"), default="", validators=[Optional()], choices=[
        SelectChoice("", _l("No invoice")),
        SelectChoice("company", _l("Invoice to a company")),
        SelectChoice("person", _l("Invoice to a person"))])
    name = StringField(_l("Company or person's name"), validators=[Optional(), Length(max=200)])
    tax_code = StringField(_l("Tax code"), validators=[Optional(), Length(max=20)])
    address = StringField(_l("Address on the invoice"), validators=[Optional(), Length(max=255)])
    email = EmailField(_l("Email for the invoice"), validators=[Optional(), Length(max=254)])

    def request_data(self) -> dict | None:
        if not self.kind.data:
            return None
        return {name: self[name].data for name in ("kind", "name", "tax_code", "address", "email")}
