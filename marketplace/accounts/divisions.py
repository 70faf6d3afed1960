"""Vietnam's administrative divisions since the reform of 1 July 2025: 34 provinces and
cities, 3,321 communes, wards and special zones (two tiers, no districts), from the
maintained package `vietnam-provinces` (its data is pinned with the package version in
requirements.txt). Read once per process."""
from __future__ import annotations

import functools

from vietnam_provinces import Province, Ward

# The package's division types, as the API names them.
KINDS = {"phường": "ward", "xã": "commune", "đặc khu": "special_zone",
         "tỉnh": "province", "thành phố trung ương": "city"}


def _kind(division) -> str:
    return KINDS.get(division.division_type.value, division.division_type.value)


@functools.cache
def _tables() -> tuple[dict[int, dict], dict[int, dict], dict[int, tuple[dict, ...]]]:
    provinces = {int(p.code): {"code": int(p.code), "name": p.name, "kind": _kind(p)} for p in Province.iter_all()}
    wards: dict[int, dict] = {}
    by_province: dict[int, list[dict]] = {code: [] for code in provinces}
    for w in Ward.iter_all():
        row = {"code": int(w.code), "name": w.name, "kind": _kind(w), "province_code": int(w.province_code)}
        wards[row["code"]] = row
        by_province[row["province_code"]].append(row)
    return provinces, wards, {code: tuple(rows) for code, rows in by_province.items()}


def provinces() -> list[dict]:
    """Every province and centrally-run city: {code, name, kind}, in the official order."""
    return list(_tables()[0].values())


def province(code) -> dict | None:
    return _tables()[0].get(code) if isinstance(code, int) else None


def wards(province_code) -> tuple[dict, ...] | None:
    """The communes, wards and special zones of a province ({code, name, kind,
    province_code}), or None for an unknown province."""
    return _tables()[2].get(province_code) if isinstance(province_code, int) else None


def ward(code) -> dict | None:
    return _tables()[1].get(code) if isinstance(code, int) else None


def wards_of(province_code) -> tuple[dict, ...]:
    """As wards(), raising NotFound for an unknown province."""
    from flask_babel import gettext as _

    from ..errors import NotFound

    rows = wards(province_code)
    if rows is None:
        raise NotFound(_("No province with this code."))
    return rows
