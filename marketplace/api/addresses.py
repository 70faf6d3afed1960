"""The signed-in user's address book, and the administrative divisions its pickers use."""
from __future__ import annotations

from flask_login import current_user

from ..accounts import addresses, divisions
from ..accounts.schemas import (AddressCreateSchema, AddressListSchema, AddressSchema, AddressUpdateSchema,
                                DivisionListSchema)
from .common import ApiBlueprint

blp = ApiBlueprint("Addresses", __name__,
                   description="Your delivery addresses (one default, filled in at checkout), and Vietnam's "
                               "provinces and communes/wards since 1 July 2025 for the pickers.")


@blp.route("/me/addresses", methods=["GET"])
@blp.auth_required()
@blp.response(200, AddressListSchema)
def list_addresses():
    """Your addresses, the default first"""
    return {"items": addresses.list_addresses(current_user)}


@blp.route("/me/addresses", methods=["POST"])
@blp.auth_required()
@blp.arguments(AddressCreateSchema())
@blp.response(201, AddressSchema)
@blp.errors(400, 409, 415)
def create_address(data):
    """Add an address

    `full_name`, `phone`, `line1`, `province_code` and `ward_code` (a commune, ward or
    special zone of that province) are required. The first address, or one sent with
    `is_default: true`, becomes the default. 409 `too_many_addresses` past 20.
    """
    return addresses.create_address(current_user, data)


@blp.route("/me/addresses/<int:address_id>", methods=["GET"])
@blp.auth_required()
@blp.response(200, AddressSchema)
@blp.errors(404)
def get_address(address_id: int):
    """One of your addresses (another user's is 404)"""
    return addresses.get_address(current_user, address_id)


@blp.route("/me/addresses/<int:address_id>", methods=["PATCH"])
@blp.auth_required()
@blp.arguments(AddressUpdateSchema())
@blp.response(200, AddressSchema)
@blp.errors(400, 404, 415)
def update_address(data, address_id: int):
    """Change an address

    Any of the fields; a new `province_code` needs a `ward_code` of that province.
    `is_default: true` moves the default here.
    """
    return addresses.update_address(current_user, address_id, data)


@blp.route("/me/addresses/<int:address_id>", methods=["DELETE"])
@blp.auth_required()
@blp.response(204)
@blp.errors(400, 404)
def delete_address(address_id: int):
    """Remove an address (if it was the default, the newest other one becomes the default)"""
    addresses.delete_address(current_user, address_id)


@blp.route("/divisions/provinces", methods=["GET"])
@blp.response(200, DivisionListSchema)
def list_provinces():
    """The 34 provinces and centrally-run cities (since 1 July 2025)"""
    return {"items": divisions.provinces()}


@blp.route("/divisions/provinces/<int:code>/wards", methods=["GET"])
@blp.response(200, DivisionListSchema)
@blp.errors(404)
def list_wards(code: int):
    """The communes, wards and special zones of a province"""
    return {"items": list(divisions.wards_of(code))}
