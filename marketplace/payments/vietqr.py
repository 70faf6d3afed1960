"""VietQR: the NAPAS/EMVCo QR payload a Vietnamese banking app scans to pre-fill a transfer.

The payload is a string of TLV fields (two-digit id, two-digit length, value):

    00 payload format "01"      01 point of initiation "12" (dynamic: one amount, one order)
    38 merchant account         00 GUID "A000000727" (NAPAS)
                                01 beneficiary: 00 bank BIN, 01 account number
                                02 service "QRIBFTTA" (transfer to an account)
    53 currency "704" (VND)     54 amount (integer dong)      58 country "VN"
    62 additional data          08 purpose: the order's payment reference
    63 CRC-16/CCITT-FALSE over everything before it, including "6304"
"""
from __future__ import annotations

import binascii
import io
import re
import secrets

NAPAS_GUID = "A000000727"
SERVICE_TO_ACCOUNT = "QRIBFTTA"
CURRENCY_VND = "704"

# A payment reference is upper-case letters and digits only, so it survives banks dropping
# punctuation and spaces from a transfer description; long enough not to occur by chance.
MIN_REFERENCE_LENGTH = 8
REFERENCE_PREFIX = "QN"
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

_BIN_RE = re.compile(r"^\d{6}$")
_ACCOUNT_RE = re.compile(r"^[0-9A-Za-z]{1,19}$")
_PURPOSE_RE = re.compile(r"^[0-9A-Z]{1,25}$")


def new_reference() -> str:
    """A fresh random payment reference (uniqueness is the orders table's constraint)."""
    return REFERENCE_PREFIX + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def compact(text: str) -> str:
    """Upper-case ASCII letters and digits only (accents folded): what is left of a description
    after any bank's mangling."""
    from ..validators import fold_vietnamese

    return re.sub(r"[^0-9A-Z]", "", fold_vietnamese(text or "").upper())


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor)."""
    return binascii.crc_hqx(data, 0xFFFF)


def _tlv(tag: str, value: str) -> str:
    if len(value) > 99:
        raise ValueError(f"field {tag} longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def validate_account(bank_bin: str, account_no: str) -> None:
    if not _BIN_RE.match(bank_bin or ""):
        raise ValueError("VIETQR_BANK_BIN must be the bank's 6-digit NAPAS BIN, e.g. 970436")
    if not _ACCOUNT_RE.match(account_no or ""):
        raise ValueError("VIETQR_ACCOUNT_NO must be 1-19 letters or digits")


def build_payload(bank_bin: str, account_no: str, amount_vnd: int, reference: str) -> str:
    """The VietQR string for a transfer of `amount_vnd` dong carrying `reference`."""
    validate_account(bank_bin, account_no)
    if not isinstance(amount_vnd, int) or isinstance(amount_vnd, bool) or not 0 < amount_vnd < 10**13:
        raise ValueError("amount must be a positive integer number of dong")
    if not _PURPOSE_RE.match(reference or ""):
        raise ValueError("reference must be 1-25 upper-case letters or digits")
    beneficiary = _tlv("00", bank_bin) + _tlv("01", account_no)
    merchant = _tlv("00", NAPAS_GUID) + _tlv("01", beneficiary) + _tlv("02", SERVICE_TO_ACCOUNT)
    body = (
        _tlv("00", "01")
        + _tlv("01", "12")
        + _tlv("38", merchant)
        + _tlv("53", CURRENCY_VND)
        + _tlv("54", str(amount_vnd))
        + _tlv("58", "VN")
        + _tlv("62", _tlv("08", reference))
        + "6304"
    )
    return body + f"{crc16(body.encode('ascii')):04X}"


def qr_png(payload: str, scale: int = 6) -> bytes:
    """The payload as a PNG QR code (segno)."""
    import segno

    out = io.BytesIO()
    segno.make_qr(payload, error="m").save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
