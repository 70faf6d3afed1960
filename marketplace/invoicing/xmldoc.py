"""The invoice data of a part in the XML format of the General Department of Taxation.

Structure of Decision 1450/QĐ-TCT (2021), the format of e-invoice data under Decree
123/2020/NĐ-CP and Circular 78/2021/TT-BTC:

    HDon / DLHDon / TTChung   general information: PBan, THDon, KHMSHDon, KHHDon, SHDon,
                              NLap, DVTTe, TGia, HTTToan, MSTTCGP, and for an adjusting
                              invoice TTHDLQuan (TCHDon, LHDCLQuan, KHMSHDCLQuan, KHHDCLQuan,
                              SHDCLQuan, NLHDCLQuan, GChu)
           DLHDon / NDHDon    NBan (seller), NMua (buyer), DSHHDVu / HHDVu (lines: TChat,
                              STT, MHHDVu, THHDVu, DVTinh, SLuong, DGia, ThTien, TSuat),
                              TToan (THTTLTSuat / LTSuat per rate, TgTCThue, TgTThue,
                              TgTTTBSo, TgTTTBChu)
           DSCKS              signatures, left empty: the producer signs in its own software

A sales invoice (template 2) has no VAT lines nor VAT totals.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from .words import amount_in_words

FORMAT_VERSION = "2.0.0"
TEMPLATES = {"1": "Hóa đơn giá trị gia tăng", "2": "Hóa đơn bán hàng"}


@dataclass
class Party:
    name: str
    tax_code: str | None = None
    address: str = ""
    phone: str | None = None
    email: str | None = None


@dataclass
class Line:
    code: str
    name: str
    unit: str
    quantity: int
    gross_vnd: int  # what the buyer paid for the line, VAT included
    rate: str | None  # '0', '5', '8', '10', 'KCT'; None on a sales invoice

    @property
    def net_vnd(self) -> int:
        if self.rate in (None, "KCT", "0"):
            return self.gross_vnd
        net = Decimal(self.gross_vnd) * 100 / (100 + int(self.rate))
        return int(net.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    @property
    def vat_vnd(self) -> int:
        return self.gross_vnd - self.net_vnd

    @property
    def unit_price(self) -> Decimal:
        return (Decimal(self.net_vnd) / self.quantity).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


@dataclass
class Related:
    """The invoice an adjusting one refers to."""

    template: str
    series: str
    number: str
    issued_on: date
    note: str
    template_code: str | None = None  # at the provider ("1/001"), when known


@dataclass
class InvoiceData:
    template: str  # '1' VAT invoice (01GTKT), '2' sales invoice (02GTTT)
    issued_on: date
    seller: Party
    buyer: Party
    lines: list[Line]
    payment_method: str = "Chuyển khoản"
    series: str = ""
    number: str = ""
    related: Related | None = None
    platform_tax_code: str = ""
    sign: int = 1  # -1: an adjusting invoice that decreases the original
    notes: list[str] = field(default_factory=list)

    @property
    def vat(self) -> bool:
        return self.template == "1"

    def rate_groups(self) -> list[tuple[str, int, int]]:
        groups: dict[str, list[int]] = {}
        for line in self.lines:
            sums = groups.setdefault(line.rate, [0, 0])
            sums[0] += line.net_vnd
            sums[1] += line.vat_vnd
        return [(rate, net, vat) for rate, (net, vat) in groups.items()]

    @property
    def net_vnd(self) -> int:
        return sum(line.net_vnd for line in self.lines)

    @property
    def vat_vnd(self) -> int:
        return sum(line.vat_vnd for line in self.lines) if self.vat else 0

    @property
    def total_vnd(self) -> int:
        return sum(line.gross_vnd for line in self.lines)


def _tsuat(rate: str) -> str:
    return rate if rate == "KCT" else f"{rate}%"


def _number(value) -> str:
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    return str(value)


def _sub(parent: ET.Element, tag: str, value=None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if value is not None:
        element.text = _number(value)
    return element


def _party(parent: ET.Element, tag: str, party: Party) -> None:
    element = _sub(parent, tag)
    _sub(element, "Ten", party.name)
    if party.tax_code:
        _sub(element, "MST", party.tax_code)
    _sub(element, "DChi", party.address or "")
    if party.phone:
        _sub(element, "SDThoai", party.phone)
    if party.email:
        _sub(element, "DCTDTu", party.email)


def build(data: InvoiceData) -> bytes:
    return _serialise(element(data))


def build_many(invoices: list[InvoiceData]) -> bytes:
    """Many invoices in one document (a month's batch): a DSHDon holding each HDon."""
    root = ET.Element("DSHDon")
    root.extend(element(data) for data in invoices)
    return _serialise(root)


def _serialise(root: ET.Element) -> bytes:
    ET.indent(root)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")).encode("utf-8")


def element(data: InvoiceData) -> ET.Element:
    """The invoice's HDon element."""
    sign = data.sign
    root = ET.Element("HDon")
    body = _sub(root, "DLHDon")
    body.set("Id", "data")
    general = _sub(body, "TTChung")
    _sub(general, "PBan", FORMAT_VERSION)
    _sub(general, "THDon", TEMPLATES[data.template])
    _sub(general, "KHMSHDon", data.template)
    _sub(general, "KHHDon", data.series)
    _sub(general, "SHDon", data.number)
    _sub(general, "NLap", data.issued_on.isoformat())
    _sub(general, "DVTTe", "VND")
    _sub(general, "TGia", 1)
    _sub(general, "HTTToan", data.payment_method)
    if data.platform_tax_code:
        _sub(general, "MSTTCGP", data.platform_tax_code)
    if data.related is not None:
        related = _sub(general, "TTHDLQuan")
        _sub(related, "TCHDon", 2)  # 1: replacing, 2: adjusting
        _sub(related, "LHDCLQuan", 1)  # the related invoice follows Decree 123/2020
        _sub(related, "KHMSHDCLQuan", data.related.template)
        _sub(related, "KHHDCLQuan", data.related.series)
        _sub(related, "SHDCLQuan", data.related.number)
        _sub(related, "NLHDCLQuan", data.related.issued_on.isoformat())
        _sub(related, "GChu", data.related.note)
    content = _sub(body, "NDHDon")
    _party(content, "NBan", data.seller)
    _party(content, "NMua", data.buyer)
    items = _sub(content, "DSHHDVu")
    for index, line in enumerate(data.lines, start=1):
        item = _sub(items, "HHDVu")
        _sub(item, "TChat", 1)  # goods or services
        _sub(item, "STT", index)
        _sub(item, "MHHDVu", line.code)
        _sub(item, "THHDVu", line.name)
        _sub(item, "DVTinh", line.unit)
        _sub(item, "SLuong", line.quantity)
        _sub(item, "DGia", line.unit_price if data.vat else Decimal(line.gross_vnd) / line.quantity)
        _sub(item, "ThTien", sign * (line.net_vnd if data.vat else line.gross_vnd))
        if data.vat:
            _sub(item, "TSuat", _tsuat(line.rate))
    totals = _sub(content, "TToan")
    if data.vat:
        by_rate = _sub(totals, "THTTLTSuat")
        for rate, net, vat in data.rate_groups():
            group = _sub(by_rate, "LTSuat")
            _sub(group, "TSuat", _tsuat(rate))
            _sub(group, "ThTien", sign * net)
            _sub(group, "TThue", sign * vat)
        _sub(totals, "TgTCThue", sign * data.net_vnd)
        _sub(totals, "TgTThue", sign * data.vat_vnd)
    else:
        _sub(totals, "TgTCThue", sign * data.total_vnd)
    _sub(totals, "TgTTTBSo", sign * data.total_vnd)
    _sub(totals, "TgTTTBChu", amount_in_words(data.total_vnd))
    _sub(root, "DSCKS")
    return root
