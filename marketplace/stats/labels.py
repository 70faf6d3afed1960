"""Human labels for statistics keys, in the reader's language (one query at most)."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _

from ..catalog.models import Category
from ..extensions import db


class Labeller:
    def __init__(self, group_by: tuple[str, ...]):
        locale = get_locale()
        self.english = locale is not None and locale.language == "en"
        self.categories: dict[str, str] = {}
        if "category" in group_by and self.english:
            self.categories = dict(db.session.execute(
                sa.select(Category.slug, Category.name_en).where(Category.parent_id.is_(None))).all())
        self.kinds = {"enterprise": _("Enterprise"), "cooperative": _("Cooperative"),
                      "cooperative_group": _("Cooperative group"), "household": _("Household")}

    @staticmethod
    def title(name: str) -> str:
        return {"month": _("Month"), "locality": _("Locality"), "region": _("Region"), "category": _("OCOP group"),
                "stars": _("OCOP stars"), "producer_kind": _("Producer kind"), "producer": _("Producer"),
                "product": _("Product")}[name]

    def label(self, name: str, key, raw) -> str:
        if name == "stars":
            return f"{key}★" if str(key) not in ("0", "") else _("No OCOP stars")
        if name == "producer_kind":
            return self.kinds.get(str(key), str(key))
        if name == "category":
            return self.categories.get(str(key), raw)
        return "" if raw is None else str(raw)

    def labels(self, group_by, row) -> str:
        return " · ".join(self.label(n, k, r) for n, k, r in zip(group_by, row.keys, row.labels))
