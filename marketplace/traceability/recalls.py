"""Recalling a lot: the passport warns at once, every buyer of the lot is emailed, the admin sees who."""
from __future__ import annotations

import json

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _

from .. import audit
from ..audit import AuditEntry
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..mail.language import send_in
from ..timeutil import utcnow
from .models import LineLot, Lot

MAX_REASON_LENGTH = 1000


def recall(lot: Lot, actor, reason) -> Lot:
    """Recall the lot (once): its passport warns at once."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not text or len(text) > MAX_REASON_LENGTH:
        message = _("Give the reason for the recall (at most %(n)d characters).", n=MAX_REASON_LENGTH)
        raise ValidationFailed(message, fields={"reason": [message]})
    # Conditional so that two recalls at once record one reason, not the last writer's.
    result = db.session.execute(sa.update(Lot).where(Lot.id == lot.id, Lot.recalled_at.is_(None)).values(
        recalled_at=utcnow(), recall_reason=text, recalled_by_id=getattr(actor, "id", None))
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict(_("This lot has already been recalled."), code="already_recalled")
    told = _tell_buyers(lot, text)
    # The audit row is where the admin sees who was told.
    audit.record(actor, "lot.recall", "lot", lot.id, after={"reason": text, "buyers_emailed": told})
    db.session.commit()
    db.session.refresh(lot)
    return lot


def buyers_of(lot_id: int) -> dict[str, str]:
    """The contact email of every order that has a line shipped from the lot, once each, with the
    language of the buyer's latest such order."""
    from ..orders.models import Order, OrderLine, OrderPart

    rows = db.session.execute(
        sa.select(Order.contact_email, Order.contact_lang).join(OrderPart, OrderPart.order_id == Order.id)
        .join(OrderLine, OrderLine.part_id == OrderPart.id).join(LineLot, LineLot.order_line_id == OrderLine.id)
        .where(LineLot.lot_id == lot_id, Order.contact_email.is_not(None)).order_by(Order.id))
    buyers = {email: lang for email, lang in rows if email}
    return dict(sorted(buyers.items()))


def _tell_buyers(lot: Lot, reason: str) -> list[str]:
    """One email per buyer of the lot, in the buyer's language, through the outbox in the recall's
    transaction."""
    buyers = buyers_of(lot.id)
    link = url_for("traceability.passport", lot_id=lot.id, _external=True)
    for email, lang in buyers.items():
        send_in(lang, email, lambda: (
            _("Recall: %(product)s, lot %(code)s", product=lot.product.name, code=lot.code),
            _("The producer or the OCOP office has recalled lot %(code)s of %(product)s, which you bought "
              "on the OCOP Marketplace. Do not eat or use it.\n\nReason: %(reason)s\n\nPassport: %(link)s",
              code=lot.code, product=lot.product.name, reason=reason, link=link)))
    return list(buyers)


def recalls(page: int = 1, per_page: int = 20) -> tuple[list[dict], int]:
    """Recalled lots, newest first, each with who recalled it and the buyers emailed (from the
    recall's audit row): [{lot, by, buyers}] in three queries whatever the page size."""
    where = Lot.recalled_at.is_not(None)
    total = db.session.scalar(sa.select(sa.func.count(Lot.id)).where(where)) or 0
    lots = db.session.scalars(sa.select(Lot).where(where).order_by(Lot.recalled_at.desc(), Lot.id.desc())
                              .limit(per_page).offset((max(page, 1) - 1) * per_page)).unique().all()
    entries = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "lot.recall", AuditEntry.object_type == "lot",
        AuditEntry.object_id.in_([str(lot.id) for lot in lots]))).all() if lots else []
    by_lot = {entry.object_id: entry for entry in entries}
    rows = []
    for lot in lots:
        entry = by_lot.get(str(lot.id))
        after = json.loads(entry.after) if entry is not None and entry.after else {}
        rows.append({"lot": lot, "by": entry.actor if entry is not None else None,
                     "buyers": list(after.get("buyers_emailed", []))})
    return rows, total
