"""Reports of suspected fakes from passport visitors, and the admin's queue of them."""
from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import audit
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..timeutil import utcnow
from .models import FakeReport, Lot

MAX_REPORT_LENGTH = 2000
MAX_REPORT_FIELD = 200


def report_fake(lot: Lot, data: Mapping) -> FakeReport:
    """A passport visitor reports a suspected fake of the lot (the view rate-limits it)."""
    def text(name: str, limit: int, required: bool = False) -> str:
        raw = data.get(name)
        value = raw.strip() if isinstance(raw, str) else ""
        if required and not value:
            errors[name] = [_("This field is required.")]
        elif len(value) > limit:
            errors[name] = [_("At most %(n)d characters.", n=limit)]
        return value

    errors: dict = {}
    message = text("message", MAX_REPORT_LENGTH, required=True)
    place = text("place", MAX_REPORT_FIELD)
    contact = text("contact", MAX_REPORT_FIELD)
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=errors)
    report = FakeReport(lot_id=lot.id, message=message, place=place, contact=contact)
    db.session.add(report)
    db.session.commit()
    return report


def fake_reports(status: str = "open", page: int = 1, per_page: int = 20) -> tuple[list, int]:
    """The admin's queue: open (default) or resolved reports, newest first (two queries)."""
    where = FakeReport.resolved_at.is_(None) if status != "resolved" else FakeReport.resolved_at.is_not(None)
    total = db.session.scalar(sa.select(sa.func.count(FakeReport.id)).where(where)) or 0
    items = db.session.scalars(sa.select(FakeReport).where(where).order_by(FakeReport.created_at.desc(),
                                                                           FakeReport.id.desc())
                               .limit(per_page).offset((max(page, 1) - 1) * per_page)).unique().all()
    return list(items), total


def resolve_fake_report(report_id: int, actor) -> None:
    report = db.session.get(FakeReport, report_id)
    if report is None:
        raise NotFound(_("Report not found."))
    if report.resolved_at is None:
        report.resolved_at = utcnow()
        audit.record(actor, "fake_report.resolve", "fake_report", report.id, after={"lot_id": report.lot_id})
        db.session.commit()
