"""Orders know their lots: which lots each shipped line came from (oldest best-before first)."""
from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _

from .. import audit
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..timeutil import local_today
from .models import LineLot, Lot

def _allocated(lot_ids, exclude_lines=()) -> dict[int, int]:
    """Units of each lot already recorded on order lines (other than `exclude_lines`)."""
    if not lot_ids:
        return {}
    query = sa.select(LineLot.lot_id, sa.func.sum(LineLot.quantity)).where(LineLot.lot_id.in_(list(lot_ids)))
    if exclude_lines:
        query = query.where(LineLot.order_line_id.not_in(list(exclude_lines)))
    return {lot_id: int(total or 0) for lot_id, total in db.session.execute(query.group_by(LineLot.lot_id))}


def shipping_choices(producer_id: int, part) -> dict[int, list[dict]]:
    """For each line of the part: the product's usable lots (not recalled, not past best-before),
    oldest best-before first, with the units still free and the suggested units (first expiring,
    first out) -> {line_id: [{lot, free, suggested}]}."""
    lines = list(part.lines)
    product_ids = {line.product_id for line in lines}
    if not product_ids:
        return {}
    lots = db.session.scalars(sa.select(Lot).where(
        Lot.producer_id == producer_id, Lot.product_id.in_(product_ids), Lot.recalled_at.is_(None),
        Lot.best_before >= local_today()).order_by(Lot.best_before, Lot.produced_on, Lot.id)).all()
    used = _allocated([lot.id for lot in lots], [line.id for line in lines])
    free = {lot.id: lot.quantity - used.get(lot.id, 0) for lot in lots}
    choices: dict[int, list[dict]] = {}
    for line in lines:
        need = line.quantity
        rows = []
        for lot in lots:
            if lot.product_id != line.product_id:
                continue
            take = max(0, min(need, free[lot.id]))
            need -= take
            free[lot.id] -= take
            rows.append({"lot": lot, "free": free[lot.id] + take, "suggested": take})
        choices[line.id] = rows
    return choices


def _int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def clean_line_lots(producer_id: int, part, lines) -> dict[int, dict[int, int]]:
    """Check what the producer says each line of its part was shipped from; nothing is written.

    `lines`: [{line_id, lots: [{lot_id, quantity}]}] (or `lot_ids: [id]`, one lot for the whole
    line). Each listed line's units must add up to the line's quantity, from the producer's
    lots of the line's product that are not recalled, without taking more than a lot has left.
    Returns {line_id: {lot_id: units}}.
    """
    if not isinstance(lines, list) or not all(isinstance(item, Mapping) for item in lines):
        raise ValidationFailed(_("Invalid input."), fields={"lines": [_("Must be a list of {line_id, lots}.")]})
    part_lines = {line.id: line for line in part.lines}
    errors: list[str] = []
    wanted: dict[int, dict[int, int]] = {}
    for item in lines:
        line = part_lines.get(_int(item.get("line_id")))
        if line is None:
            errors.append(_("Line %(id)s is not in this order part.", id=item.get("line_id")))
            continue
        if "lots" in item:
            raw = item.get("lots")
            if not isinstance(raw, list) or not all(isinstance(x, Mapping) for x in raw):
                errors.append(_("Line %(id)s: lots must be a list of {lot_id, quantity}.", id=line.id))
                continue
            pairs = [(_int(x.get("lot_id", x.get("id"))), _int(x.get("quantity"))) for x in raw]
        else:
            raw = item.get("lot_ids")
            if not isinstance(raw, list) or any(_int(x) is None for x in raw) or len(raw) > 1:
                errors.append(_("Line %(id)s: give lots as [{lot_id, quantity}].", id=line.id))
                continue
            pairs = [(_int(x), line.quantity) for x in raw]
        if any(lot_id is None or quantity is None or quantity < 1 for lot_id, quantity in pairs):
            errors.append(_("Line %(id)s: each lot needs its id and a whole number of units.", id=line.id))
            continue
        units: dict[int, int] = {}
        for lot_id, quantity in pairs:
            units[lot_id] = units.get(lot_id, 0) + quantity
        if units and sum(units.values()) != line.quantity:
            errors.append(_("Line %(id)s: the lots' units (%(given)d) must add up to the line's quantity "
                            "(%(quantity)d).", id=line.id, given=sum(units.values()), quantity=line.quantity))
            continue
        lots = {lot.id: lot for lot in db.session.scalars(sa.select(Lot).where(
            Lot.id.in_(list(units)), Lot.producer_id == producer_id, Lot.product_id == line.product_id))}
        if set(lots) != set(units):
            errors.append(_("Line %(id)s: a lot is not a lot of this product.", id=line.id))
            continue
        if any(lot.recalled for lot in lots.values()):
            errors.append(_("Line %(id)s: a recalled lot cannot be shipped.", id=line.id))
            continue
        wanted[line.id] = units
    if not errors:
        used = _allocated({lot_id for units in wanted.values() for lot_id in units}, list(wanted))
        taken: dict[int, int] = {}
        for units in wanted.values():
            for lot_id, quantity in units.items():
                taken[lot_id] = taken.get(lot_id, 0) + quantity
        for lot in db.session.scalars(sa.select(Lot).where(Lot.id.in_(list(taken)))):
            if used.get(lot.id, 0) + taken[lot.id] > lot.quantity:
                errors.append(_("Lot %(code)s has only %(left)d units left.", code=lot.code,
                                left=max(0, lot.quantity - used.get(lot.id, 0))))
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields={"lines": errors})
    return wanted


def write_line_lots(part, actor, wanted: dict[int, dict[int, int]]) -> None:
    """Replace the listed lines' lots (in the caller's transaction)."""
    if not wanted:
        return
    db.session.execute(sa.delete(LineLot).where(LineLot.order_line_id.in_(list(wanted))))
    db.session.add_all(LineLot(order_line_id=line_id, lot_id=lot_id, quantity=quantity)
                       for line_id, units in wanted.items() for lot_id, quantity in units.items())
    audit.record(actor, "order_part.lots", "order_part", part.id,
                 after={str(line_id): units for line_id, units in wanted.items()})


def assign_line_lots(producer_id: int, part_id: int, actor, lines) -> list[dict]:
    """Record which of the producer's lots each line of its order part was shipped from.

    Another producer's part is a 404; see `clean_line_lots` for the rules.
    """
    from ..orders.models import OrderPart

    part = db.session.scalar(sa.select(OrderPart).where(OrderPart.id == part_id,
                                                        OrderPart.producer_id == producer_id))
    if part is None:
        raise NotFound(_("Order part not found."))
    write_line_lots(part, actor, clean_line_lots(producer_id, part, lines))
    db.session.commit()
    return line_lots(part.id)


def lots_by_line(line_ids) -> dict[int, list[dict]]:
    """{line_id: [{id, code, quantity, passport_url}]} in one query (orders' lines show them)."""
    if not line_ids:
        return {}
    rows = db.session.execute(sa.select(LineLot.order_line_id, Lot.id, Lot.code, LineLot.quantity)
                              .join(Lot, Lot.id == LineLot.lot_id)
                              .where(LineLot.order_line_id.in_(list(line_ids))).order_by(Lot.best_before, Lot.id))
    found: dict[int, list[dict]] = {}
    for line_id, lot_id, code, quantity in rows:
        found.setdefault(line_id, []).append({"id": lot_id, "code": code, "quantity": quantity,
                                              "passport_url": url_for("traceability.passport", lot_id=lot_id)})
    return found


def line_lots(part_id: int) -> list[dict]:
    """[{line_id, product_id, lots [{id, code, quantity}]}] for every line of the part."""
    from ..orders.models import OrderLine

    lines = db.session.scalars(sa.select(OrderLine).where(OrderLine.part_id == part_id).order_by(OrderLine.id)).all()
    by_line = lots_by_line([line.id for line in lines])
    return [{"line_id": line.id, "product_id": line.product_id,
             "lots": [{"id": x["id"], "code": x["code"], "quantity": x["quantity"]} for x in by_line.get(line.id, [])]}
            for line in lines]
