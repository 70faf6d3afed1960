"""What a lot's passport shows: product, producer, OCOP status, dates, origin, files, warnings."""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache

import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from .. import cache
from ..cache import CATALOG, CacheVersion
from ..catalog.models import Product
from ..i18n import format_local_datetime
from ..timeutil import isoformat_local, local_today
from .files import file_dict, lot_files
from .links import digital_link, execute_alone
from .lots import get_public_lot
from .models import Lot

# A genuine label is scanned a few times (shop, buyer, family); far more scans than the lot
# has units suggests its labels were copied.
PLAUSIBLE_SCANS_PER_UNIT = 3
PLAUSIBLE_SCANS_MIN = 20


def certificate_status(product: Product) -> tuple[int | None, str]:
    """(stars, status): status `live`, `expired`, `unverified` or `none`."""
    cert = product.certificate
    if cert is None:
        return None, "none"
    if not cert.verified or cert.rejected_reason:
        return None, "unverified"
    return cert.stars, ("live" if cert.is_live() else "expired")


def warnings(lot: Lot) -> list[dict]:
    found = []
    if lot.recalled:
        found.append({"code": "recalled", "message": _("This lot has been recalled: do not eat or use it. "
                                                         "Reason: %(reason)s", reason=lot.recall_reason)})
    if lot.best_before < local_today():
        found.append({"code": "past_best_before", "message": _("This lot is past its best-before date.")})
    if _implausible(lot.scan_count, lot.quantity):
        found.append({"code": "implausible_scans", "message": _(
            "This code was scanned far more often than the lot has units: its labels may have been copied.")})
    return found


def passport(lot: Lot) -> dict:
    """Everything a passport shows, in the shape of the public JSON."""
    product = lot.product
    producer = product.producer
    stars, status = certificate_status(product)
    cert = product.certificate
    locality = producer.locality
    return {
        "id": lot.id,
        "code": lot.code,
        "product": {"id": product.id, "slug": product.slug, "name": product.name, "unit": product.unit,
                    "gtin": product.gtin},
        "producer": {"id": producer.id, "name": producer.name, "kind": producer.kind},
        "locality": {"slug": locality.slug, "name": locality.name, "region": locality.region},
        "ocop": {"stars": stars, "status": status,
                 "certificate_no": cert.certificate_no if cert is not None and stars else None,
                 "expires_on": cert.expires_on.isoformat() if cert is not None and stars else None},
        "produced_on": lot.produced_on.isoformat(),
        "best_before": lot.best_before.isoformat(),
        "quantity": lot.quantity,
        "origin": ({"ward_code": lot.origin.slug, "name": lot.origin.name} if lot.origin else None),
        "process": list(lot.process or []),
        "inputs": list(lot.inputs or []),
        "scans": {"count": lot.scan_count, "first_at": isoformat_local(lot.first_scanned_at)},
        "digital_link": digital_link(lot),
        "recalled": lot.recalled,
        "recall": ({"at": isoformat_local(lot.recalled_at), "reason": lot.recall_reason} if lot.recalled else None),
        "warnings": warnings(lot),
        **_files_of(lot.id),
    }


def _files_of(lot_id: int) -> dict:
    files = [file_dict(item) for item in lot_files(lot_id)]
    return {"documents": [f for f in files if f["kind"] == "document"],
            "photos": [f for f in files if f["kind"] == "photo"]}


# --------------------------------------------------------------------------- the page, cached for visitors

# Stands for the scan sentence in a cached page; replaced on every request with the live count.
SCANS_MARK = Markup("<!--ocop:passport-scans-->")

_STATE = (sa.select(Lot.scan_count, Lot.first_scanned_at, Lot.quantity, Lot.updated_at, Lot.recalled_at,
                    CacheVersion.version, CacheVersion.changed_at)
          .select_from(Lot).outerjoin(CacheVersion, CacheVersion.name == CATALOG)
          .where(Lot.id == sa.bindparam("lot_id")))


def scans_line(count: int, first_at) -> Markup:
    """The passport's scan sentence (live: never cached)."""
    if count:
        text = _("This code was scanned %(n)d time(s), first on %(at)s.", n=count,
                 at=_first_scan_time(first_at, str(get_locale())) if first_at else "")
    else:
        text = _("This code has not been scanned yet.")
    return Markup('<p class="small text-muted" data-scans="%d">%s</p>') % (count, text)


@lru_cache(maxsize=4096)
def _first_scan_time(first_at, locale: str) -> str:
    """A lot's first scan time as the language writes it (it never changes once set)."""
    return format_local_datetime(first_at, locale)


def _implausible(scan_count: int, quantity: int) -> bool:
    return scan_count > max(PLAUSIBLE_SCANS_MIN, PLAUSIBLE_SCANS_PER_UNIT * quantity)


def _lot_state(lot_id: int):
    """The lot's live columns and the catalogue version, in one statement outside any transaction."""
    return execute_alone(_STATE, {"lot_id": lot_id})


def _page_key(lot_id: int, updated_at, recalled_at, implausible: bool, version, changed_at, parts) -> str:
    # Everything the cached page depends on besides the scan sentence: the lot's edits
    # (updated_at, also touched by its files), its recall, the copied-labels warning, the
    # catalogue (product, certificate, producer, locality), the day (best-before and
    # certificate expiry) and the request's language, path and public address.
    basis = json.dumps([lot_id, str(updated_at), str(recalled_at), implausible, version, str(changed_at),
                        local_today().isoformat(), *parts], default=str)
    return "passport:" + hashlib.sha1(basis.encode()).hexdigest()


def public_page(lot_id: int, render, parts) -> str | None:
    """The passport page as a visitor without a session sees it, or None for an unknown lot.

    One statement on a cache hit. `render(lot)` renders the page with `SCANS_MARK` where the
    scan sentence goes and returns (html, cacheable); `parts` are the request's own keys
    (language, path, public address). A recall, an edit of the lot or its files, or any
    catalogue change gives a new key at once; the scan count is filled in on every request."""
    if not cache.enabled():
        lot = get_public_lot(lot_id)
        html, _cacheable = render(lot)
        return html.replace(str(SCANS_MARK), str(scans_line(lot.scan_count, lot.first_scanned_at)))
    state = _lot_state(lot_id)
    if state is None:
        return None
    scan_count, first_at, quantity, updated_at, recalled_at, version, changed_at = state
    key = _page_key(lot_id, updated_at, recalled_at, _implausible(scan_count, quantity), version, changed_at, parts)
    store = cache.get_cache()
    html = store.get(key)
    if html is None:
        lot = get_public_lot(lot_id)
        html, cacheable = render(lot)
        if cacheable:
            # Keyed by what was rendered (the lot may have changed since the state was read).
            own = _page_key(lot.id, lot.updated_at, lot.recalled_at, _implausible(lot.scan_count, lot.quantity),
                            version, changed_at, parts)
            store.set(own, html, current_app.config.get("CACHE_TTL_S", 300))
        scan_count, first_at = lot.scan_count, lot.first_scanned_at
    return html.replace(str(SCANS_MARK), str(scans_line(scan_count, first_at)))
