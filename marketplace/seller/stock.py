"""Sellers' stock edits never erase reservations.

`products.stock` is the stock still for sale: a checkout takes its units with one
conditional UPDATE (checkout/services.py), an expiry or cancellation gives them back. A
seller sets the figure absolutely, from a form, the API or a CSV, some time after reading
it; units reserved meanwhile would silently come back (and be sold twice). So every stock
edit is conditional on the figure the seller saw: `UPDATE ... SET stock = :new WHERE id =
:id AND stock = :seen`. When the stock moved meanwhile nothing is written and the seller is
shown the new figure (the form again, 412 on the API, a line error on a CSV import). A figure
left as it was is not written at all, so editing a price never touches the stock.

The API passes the figure seen as an ETag (`If-Match`), the form as a hidden field, the CSV
export as its `stock_seen` column.

A product going from no units to some tells the shoppers waiting for it (marketplace/alerts).
"""
from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm.attributes import set_committed_value

from ..alerts.services import notify_back_in_stock
from ..catalog.models import Product
from ..errors import DomainError, ValidationFailed
from ..extensions import db

_PRODUCTS = Product.__table__
_SET_STOCK = (sa.update(_PRODUCTS)
              .where(_PRODUCTS.c.id == sa.bindparam("pid"), _PRODUCTS.c.stock == sa.bindparam("seen"))
              .values(stock=sa.bindparam("new")))


class StaleStock(DomainError):
    """The stock changed since the seller read it (a checkout reserved units, or they came back)."""

    status = 412
    code = "stale_stock"

    def __init__(self, current: int):
        super().__init__(_("The stock changed since you read it (orders reserved or released units): it is now "
                           "%(n)d. Check the figure and save again.", n=current),
                         fields={"stock": [_("Now %(n)d.", n=current)]}, extra={"stock": current})
        self.current = current


class StockSeenRequired(DomainError):
    """A stock edit that does not say which figure it replaces."""

    status = 428
    code = "precondition_required"


def write_stock(product: Product, new: int, seen: int | None) -> None:
    """Set `product.stock` to `new` if it still is `seen` (StaleStock otherwise); no write when
    `new == seen`, nor without `seen` when `new` is the figure as loaded. Part of the caller's
    transaction."""
    if seen is None:
        if new == product.stock:  # the figure as it stands: nothing to write
            return
        raise StockSeenRequired(_("Say which stock figure you are replacing: send If-Match with the ETag "
                                  "of the listing (API), or export the listings again (CSV)."))
    if new == seen:
        return
    changed = db.session.execute(_SET_STOCK, {"pid": product.id, "seen": seen, "new": new}).rowcount
    if not changed:
        current = db.session.scalar(sa.select(Product.stock).where(Product.id == product.id))
        set_committed_value(product, "stock", current)
        raise StaleStock(current)
    set_committed_value(product, "stock", new)
    if seen <= 0 < new:  # back in stock: whoever asked gets their one message with this commit
        notify_back_in_stock(product)


def parse_seen(value, field: str = "stock_seen") -> int | None:
    """The figure seen, from a form field or a CSV cell (None when absent)."""
    if value is None or str(value).strip() == "":
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValidationFailed(_("Invalid stock figure."), fields={field: [_("Invalid stock figure.")]}) from None


def listing_etag(product: Product) -> str:
    """A strong validator of the listing as the seller edits it: it changes with any of its
    fields, and with the stock whenever orders reserve or release units."""
    state = [product.id, product.name, product.description, product.unit, product.price_vnd, product.stock,
             product.status, product.category_id]
    return hashlib.sha1(json.dumps(state, ensure_ascii=False).encode()).hexdigest()[:27]
