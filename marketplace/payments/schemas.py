"""marshmallow schemas of the payments domain that other domains' schemas nest."""
from __future__ import annotations

from marshmallow import Schema, fields

from ..schema_fields import Vnd


class VietQRSchema(Schema):
    payload = fields.String()
    image_url = fields.String()
    bank_bin = fields.String()
    account_no = fields.String()
    account_name = fields.String()
    amount_vnd = Vnd()
    reference = fields.String()
    expires_at = fields.String()
