"""An existing listing edited in one save: fields, photo order and removals, certificate claim.

The API's PATCH and the portal's edit form: everything is validated first and written in
one transaction, or nothing is written. The new listing's one save is seller/first_save.py.
"""
from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext

from ..accounts.models import User
from ..catalog.models import Product
from ..catalog.rules import clean_certificate_claim, clean_product_fields
from ..errors import ValidationFailed
from ..extensions import db
from .certificates import apply_certificate_claim
from .listings import assign_fields, delete_files
from .stock import StaleStock


def patch_product(product: Product, actor: User, data: Mapping, stock_seen: int | None = None,
                  stale: bool = False) -> Product:
    """The API's PATCH: listing fields, `image_order`, `remove_image_ids` and `certification`,
    all validated first and written in one transaction (or not at all). A new `stock` needs
    `stock_seen`, the figure it replaces (StaleStock when the stock has moved since); `stale`
    (the client's validator is out of date) refuses valid input with StaleStock too."""
    data = dict(data)
    order = data.pop("image_order", None)
    remove = data.pop("remove_image_ids", None)
    claim_data = data.pop("certification", None)
    cleaned, errors = clean_product_fields(data, partial=True)
    image_ids = {image.id for image in product.images}
    removed: set[int] = set()
    wanted: list[int] | None = None
    if remove is not None:
        try:
            removed = {int(i) for i in remove}
        except (TypeError, ValueError):
            removed = {-1}
        if not removed <= image_ids:
            errors["remove_image_ids"] = [gettext("Photo not found on this product")]
    if order is not None:
        try:
            wanted = [int(i) for i in order]
        except (TypeError, ValueError):
            wanted = []
        if sorted(wanted) != sorted(image_ids - removed):
            errors["image_order"] = [gettext("The photo list does not match the product's photos")]
    claim = None
    if claim_data is not None:
        if not isinstance(claim_data, Mapping):
            errors["certification"] = [gettext("Must be an object")]
        else:
            claim, claim_errors = clean_certificate_claim(claim_data)
            errors.update({f"certification.{k}": v for k, v in claim_errors.items()})
    if errors:
        raise ValidationFailed(gettext("Invalid input"), fields=errors)
    if stale:
        raise StaleStock(product.stock)

    assign_fields(product, actor, cleaned, stock_seen=stock_seen)
    deleted_keys = []
    for image in [img for img in product.images if img.id in removed]:
        deleted_keys += [image.path, image.thumb_path]
        product.images.remove(image)
    positions = {image_id: n for n, image_id in enumerate(wanted)} if wanted is not None else None
    for n, image in enumerate(sorted(product.images, key=lambda img: (
            positions[img.id] if positions is not None else img.position))):
        image.position = n
    if claim is not None:
        apply_certificate_claim(product, actor, claim)
    db.session.commit()
    delete_files(deleted_keys)
    db.session.refresh(product, ["images"])
    return product
