"""A listing's photos: checked and resized before any is stored, ordered, removed.

Every photo of an upload is checked first (one bad file adds none); the files are stored
before the rows are committed, and a failed commit removes them again. The first photo
(position 0) is the listing's cover.
"""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext

from .. import audit
from ..accounts.models import User
from ..catalog.models import Product, ProductImage
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..storage import new_key
from ..uploads import process_image
from .listings import commit_with_files, delete_files


def check_photos(already: int, files: list[tuple[str, bytes]]) -> list:
    """Photos (filename, content) checked and resized, none stored yet; ValidationFailed on the
    `images` field for the first bad one, or when they would pass MAX_IMAGES_PER_PRODUCT."""
    limit = current_app.config["MAX_IMAGES_PER_PRODUCT"]
    if already + len(files) > limit:
        message = gettext("At most %(limit)s photos per product (%(already)s already)", limit=limit,
                          already=already)
        raise ValidationFailed(message, code="too_many_images", fields={"images": [message]})
    processed = []
    for name, data in files:
        try:
            processed.append(process_image(data, "images"))
        except ValidationFailed as exc:
            label = (name or "?")[:80]
            message = f"{label}: {exc.message}"
            raise ValidationFailed(message, code=exc.code, fields={"images": [message]}) from None
    return processed


def attach_photos(product: Product, processed: list) -> tuple[list[ProductImage], list[tuple[str, bytes, str]]]:
    """Rows for checked photos after the product's others (not committed), and the files to store."""
    position = max((img.position for img in product.images), default=-1) + 1
    writes, created = [], []
    for offset, item in enumerate(processed):
        key = new_key(f"products/{product.id}", item.extension)
        thumb_key = new_key(f"products/{product.id}", item.extension)
        writes += [(key, item.web, item.content_type), (thumb_key, item.thumb, item.content_type)]
        image = ProductImage(product_id=product.id, path=key, thumb_path=thumb_key, width=item.width,
                             height=item.height, position=position + offset, alt=product.name[:200])
        product.images.append(image)
        created.append(image)
    return created, writes


def add_images(product: Product, actor: User, files: list[tuple[str, bytes]]) -> list[ProductImage]:
    """Add photos (filename, content). All are checked before any is stored: one bad file adds none."""
    files = [(name, data) for name, data in files if data or name]
    if not files:
        raise ValidationFailed(gettext("No photo chosen"), fields={"images": [gettext("No photo chosen")]})
    processed = check_photos(len(product.images), files)
    created, writes = attach_photos(product, processed)
    audit.record(actor, "product.images_added", "product", product.id, after={"count": len(created)})
    commit_with_files(writes)
    return created


def _get_image(product: Product, image_id) -> ProductImage:
    for image in product.images:
        if str(image.id) == str(image_id):
            return image
    raise NotFound(gettext("Photo not found"))


def remove_image(product: Product, actor: User, image_id) -> None:
    image = _get_image(product, image_id)
    keys = [image.path, image.thumb_path]
    product.images.remove(image)
    for position, other in enumerate(product.images):
        other.position = position
    audit.record(actor, "product.image_removed", "product", product.id, before={"image": image_id})
    db.session.commit()
    delete_files(keys)


def reorder_images(product: Product, actor: User, image_ids: list) -> list[ProductImage]:
    """`image_ids`: every photo of the product, in the wanted order (the first is the cover)."""
    try:
        wanted = [int(i) for i in image_ids]
    except (TypeError, ValueError):
        wanted = []
    current = {image.id: image for image in product.images}
    if sorted(wanted) != sorted(current):
        message = gettext("The photo list does not match the product's photos")
        raise ValidationFailed(message, fields={"image_ids": [message]})
    for position, image_id in enumerate(wanted):
        current[image_id].position = position
    db.session.commit()
    db.session.refresh(product, ["images"])
    return list(product.images)


def move_image(product: Product, actor: User, image_id, offset: int) -> list[ProductImage]:
    """Move one photo earlier (-1) or later (+1): the portal's arrows, without JavaScript."""
    ids = [image.id for image in product.images]
    image = _get_image(product, image_id)
    index = ids.index(image.id)
    target = max(0, min(len(ids) - 1, index + offset))
    ids.insert(target, ids.pop(index))
    return reorder_images(product, actor, ids)
