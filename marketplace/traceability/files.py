"""A lot's documents (certificates, test reports) and photos, shown on its passport."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import audit
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..storage import get_storage, media_url, new_key
from ..timeutil import utcnow
from ..uploads import check_document, process_image
from .models import Lot, LotFile

FILE_KINDS = ("document", "photo")
MAX_FILES_PER_LOT = 12
MAX_TITLE_LENGTH = 120


def lot_files(lot_id: int) -> list:
    return list(db.session.scalars(sa.select(LotFile).where(LotFile.lot_id == lot_id)
                                   .order_by(LotFile.kind, LotFile.id)))


def add_lot_file(lot: Lot, actor, kind, data: bytes, title=None):
    """A document (VietGAP/organic certificate, test report: a photo or a plain PDF, checked like
    certificate scans) or a photo of the lot, stored under a fresh key and shown on its passport."""
    if kind not in FILE_KINDS:
        message = _("Kind: document or photo.")
        raise ValidationFailed(message, fields={"kind": [message]})
    title = title.strip() if isinstance(title, str) else ""
    if len(title) > MAX_TITLE_LENGTH:
        message = _("At most %(n)d characters.", n=MAX_TITLE_LENGTH)
        raise ValidationFailed(message, fields={"title": [message]})
    count = db.session.scalar(sa.select(sa.func.count(LotFile.id)).where(LotFile.lot_id == lot.id)) or 0
    if count >= MAX_FILES_PER_LOT:
        message = _("A lot may have at most %(n)d documents and photos.", n=MAX_FILES_PER_LOT)
        raise ValidationFailed(message, fields={"file": [message]})
    storage = get_storage()
    prefix = f"lots/{lot.id}"
    if kind == "photo":
        image = process_image(data, "file")
        key, thumb = new_key(prefix, image.extension), new_key(prefix, image.extension)
        storage.save(key, image.web, image.content_type)
        storage.save(thumb, image.thumb, image.content_type)
    else:
        body, extension, content_type = check_document(data, "file")
        key, thumb = new_key(prefix, extension), None
        storage.save(key, body, content_type)
    item = LotFile(lot_id=lot.id, kind=kind, title=title, key=key, thumb_key=thumb)
    db.session.add(item)
    db.session.flush()
    lot.updated_at = utcnow()  # the passport's cached page is keyed by it
    audit.record(actor, "lot.file_add", "lot", lot.id, after={"file_id": item.id, "kind": kind, "title": title})
    db.session.commit()
    return item


def remove_lot_file(lot: Lot, actor, file_id: int) -> None:
    item = db.session.scalar(sa.select(LotFile).where(LotFile.id == file_id, LotFile.lot_id == lot.id))
    if item is None:
        raise NotFound(_("File not found."))
    keys = [k for k in (item.key, item.thumb_key) if k]
    db.session.delete(item)
    lot.updated_at = utcnow()  # the passport's cached page is keyed by it
    audit.record(actor, "lot.file_remove", "lot", lot.id, after={"file_id": file_id})
    db.session.commit()
    storage = get_storage()
    for key in keys:
        storage.delete(key)


def file_dict(item) -> dict:
    return {"id": item.id, "kind": item.kind, "title": item.title, "url": media_url(item.key),
            "thumb_url": media_url(item.thumb_key)}
