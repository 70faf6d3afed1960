"""Import of the official OCOP register (CSV) to verify pending certificate claims in bulk.

The register lists, one certificate a row: certificate number, product, producer
(optionally its tax code), stars and the issue and expiry dates. A pending claim
whose certificate number appears in the register is verified when its stars,
dates and producer agree with the register; otherwise it is reported as a
mismatch and left pending for a person to decide.

Headers are matched without accents or case, in Vietnamese or English
(`so_chung_nhan` or `certificate_no`, ...). Comma, semicolon or tab separated,
UTF-8 (with or without the BOM Excel writes). Dates as 2025-03-01 or 01/03/2025.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from flask_babel import gettext

from ..audit import record
from ..catalog.models import Certificate
from ..errors import ValidationFailed
from ..extensions import db
from ..validators import fold_vietnamese
from .services import _certificates_query, _mark_verified, certificate_snapshot

MAX_ROWS = 100_000

HEADERS = {
    "certificate_no": ("certificate_no", "certificate_number", "so_chung_nhan", "so_giay_chung_nhan", "so_gcn",
                       "ma_chung_nhan"),
    "stars": ("stars", "so_sao", "hang_sao", "xep_hang", "sao"),
    "issued_on": ("issued_on", "issue_date", "ngay_cap", "ngay_cong_nhan"),
    "expires_on": ("expires_on", "expiry_date", "ngay_het_han", "hieu_luc_den", "han_hieu_luc"),
    "product": ("product", "product_name", "san_pham", "ten_san_pham"),
    "producer": ("producer", "producer_name", "chu_the", "ten_chu_the", "co_so_san_xuat"),
    "tax_code": ("tax_code", "ma_so_thue", "mst"),
}
REQUIRED = ("certificate_no", "stars", "issued_on", "expires_on", "producer")


@dataclass
class Mismatch:
    row: int
    certificate_no: str
    product: str
    producer: str
    differences: list[tuple[str, str, str]]  # (field, claimed, register)


@dataclass
class ImportReport:
    rows: int = 0
    verified: list[tuple[int, str, str]] = field(default_factory=list)  # (row, certificate_no, product)
    mismatches: list[Mismatch] = field(default_factory=list)
    unclaimed: list[tuple[int, str]] = field(default_factory=list)  # register rows with no pending claim
    invalid: list[tuple[int, str]] = field(default_factory=list)  # (row, message)

    def summary(self) -> dict:
        return {"rows": self.rows, "verified": len(self.verified), "mismatches": len(self.mismatches),
                "unclaimed": len(self.unclaimed), "invalid": len(self.invalid)}


def normalise_number(value: str) -> str:
    """Certificate numbers match ignoring case, accents, spaces and punctuation ('qn 2024/01' = 'QN-2024-01')."""
    return re.sub(r"[^0-9a-z]", "", fold_vietnamese(str(value or "")))


def _header_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", fold_vietnamese(name or "")).strip("_")


def parse_date(value: str) -> date:
    text = (value or "").strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(gettext("invalid date: %(text)s", text=repr(text)))


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(gettext("The file must be UTF-8 encoded CSV"),
                               fields={"file": ["UTF-8"]}) from exc


def read_register(data: bytes) -> tuple[list[tuple[int, dict]], list[tuple[int, str]]]:
    """Parse the register: ([(row number, values)], [(row number, error)])."""
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        message = gettext("The file is empty")
        raise ValidationFailed(message, fields={"file": [message]}) from None
    keys = [_header_key(h) for h in header]
    columns: dict[str, int] = {}
    for name, aliases in HEADERS.items():
        for index, key in enumerate(keys):
            if key in aliases:
                columns[name] = index
                break
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise ValidationFailed(gettext("Missing columns: %(names)s", names=", ".join(missing)),
                               fields={"file": [gettext("Missing column %(name)s", name=m) for m in missing]})
    rows, invalid = [], []
    for number, raw in enumerate(reader, start=2):
        if not any(cell.strip() for cell in raw):
            continue
        if len(rows) + len(invalid) >= MAX_ROWS:
            message = gettext("At most %(n)d rows", n=MAX_ROWS)
            raise ValidationFailed(message, fields={"file": [message]})
        values = {name: (raw[i].strip() if i < len(raw) else "") for name, i in columns.items()}
        try:
            if not values["certificate_no"]:
                raise ValueError(gettext("certificate number missing"))
            stars = int(values["stars"].replace("★", "").strip())
            if not 1 <= stars <= 5:
                raise ValueError(gettext("stars must be 1 to 5"))
            values.update(stars=stars, issued_on=parse_date(values["issued_on"]),
                          expires_on=parse_date(values["expires_on"]))
        except ValueError as exc:
            invalid.append((number, str(exc)))
            continue
        rows.append((number, values))
    return rows, invalid


def _same_producer(register: dict, producer) -> bool:
    if register.get("tax_code") and producer.tax_code:
        return register["tax_code"].replace(" ", "") == producer.tax_code
    a, b = fold_vietnamese(register["producer"]).strip(), fold_vietnamese(producer.name).strip()
    return bool(a) and (a == b or a in b or b in a)


def import_register(actor, data: bytes, filename: str = "register.csv") -> ImportReport:
    """Verify every pending claim the register confirms; report the rest. One transaction."""
    rows, invalid = read_register(data)
    report = ImportReport(rows=len(rows) + len(invalid), invalid=invalid)
    wanted = {normalise_number(values["certificate_no"]) for _, values in rows}
    pending: dict[str, list[Certificate]] = {}
    if wanted:
        claims = db.session.scalars(_certificates_query().where(
            Certificate.verified.is_(False), Certificate.rejected_reason.is_(None)).order_by(Certificate.id))
        for cert in claims:
            number = normalise_number(cert.certificate_no)
            if number in wanted:
                pending.setdefault(number, []).append(cert)
    seen: set[str] = set()
    for number, values in rows:
        key = normalise_number(values["certificate_no"])
        if key in seen:
            report.invalid.append((number, gettext("duplicate certificate number %(number)s", number=key)))
            continue
        seen.add(key)
        claims = pending.get(key)
        if not claims:
            report.unclaimed.append((number, values["certificate_no"]))
            continue
        for cert in claims:
            differences = []
            for name in ("stars", "issued_on", "expires_on"):
                if getattr(cert, name) != values[name]:
                    differences.append((name, str(getattr(cert, name)), str(values[name])))
            if not _same_producer(values, cert.product.producer):
                differences.append(("producer", cert.product.producer.name, values["producer"]))
            if differences:
                report.mismatches.append(Mismatch(number, cert.certificate_no, cert.product.name,
                                                  cert.product.producer.name, differences))
            else:
                _mark_verified(actor, cert, certificate_snapshot(cert), note=f"register {filename} row {number}")
                report.verified.append((number, cert.certificate_no, cert.product.name))
    record(actor, "certificate.register_import", "register", filename[:40], None, report.summary(),
           note=f"{filename}: " + ", ".join(f"{k}={v}" for k, v in report.summary().items()))
    db.session.commit()
    return report

