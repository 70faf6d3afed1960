"""marshmallow schema of the invoice request nested in `POST /checkout`."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields


def _text(description: str, **extra) -> fields.Raw:
    """Checked by invoicing.requests.clean_request (field errors `invoice.<name>`)."""
    return fields.Raw(load_default=None, metadata={"type": "string", "description": description, **extra})


class InvoiceRequestSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    kind = _text("company or person", enum=["company", "person"])
    name = _text("the company's or person's name (at most 200 characters)")
    tax_code = _text("company: 10 digits with a valid check digit, or 10-3 for a branch (0100109106-001)")
    address = _text("company: required (at most 255 characters)")
    email = _text("where the invoice goes; company: required, person: defaults to the contact email")
