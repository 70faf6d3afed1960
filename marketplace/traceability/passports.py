"""What a lot's passport shows: product, producer, OCOP status, dates, origin, files, warnings."""
from __future__ import annotations

from flask_babel import gettext as _

from ..catalog.models import Product
from ..timeutil import isoformat_local, local_today
from .files import file_dict, lot_files
from .links import digital_link
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
    if lot.scan_count > max(PLAUSIBLE_SCANS_MIN, PLAUSIBLE_SCANS_PER_UNIT * lot.quantity):
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
