"""VietQR: the NAPAS/EMVCo payload, its CRC, references, and the QR image."""
from __future__ import annotations

import pytest

from marketplace.config import Config
from marketplace.payments import vietqr

from .helpers import make_order


def crc16_ccitt_false_bitwise(data: bytes) -> int:
    """An independent CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, MSB first, no final xor."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def parse_tlv(text: str) -> dict[str, str]:
    fields, i = {}, 0
    while i < len(text):
        tag, length = text[i:i + 2], int(text[i + 2:i + 4])
        fields[tag] = text[i + 4:i + 4 + length]
        assert len(fields[tag]) == length, f"field {tag} truncated"
        i += 4 + length
    return fields


def test_the_independent_crc_matches_the_published_check_value():
    # The CRC catalogue's check value for CRC-16/CCITT-FALSE over "123456789".
    assert crc16_ccitt_false_bitwise(b"123456789") == 0x29B1


@pytest.mark.parametrize("bank_bin, account_no, amount, reference", [
    ("970436", "0011004123456", 125_000, "QNABCD2345"),
    ("970422", "1234567890", 30_000, "QN7K3M9P2A"),
    ("970415", "109876543210987654", 99_999_999, "QNZZZZZZZZ"),
    ("970418", "8", 1, "QN22222222"),
    ("970405", "ABC123", 1_250_000_000, "QNHJKMNPQR"),
])
def test_payload_has_the_napas_fields_and_a_correct_crc(bank_bin, account_no, amount, reference):
    payload = vietqr.build_payload(bank_bin, account_no, amount, reference)
    top = parse_tlv(payload)

    assert list(top) == ["00", "01", "38", "53", "54", "58", "62", "63"]
    assert top["00"] == "01" and top["01"] == "12"
    merchant = parse_tlv(top["38"])
    assert merchant["00"] == "A000000727"
    assert parse_tlv(merchant["01"]) == {"00": bank_bin, "01": account_no}
    assert merchant["02"] == "QRIBFTTA"
    assert top["53"] == "704" and top["54"] == str(amount) and top["58"] == "VN"
    assert parse_tlv(top["62"]) == {"08": reference}

    assert payload[-8:-4] == "6304"
    expected = crc16_ccitt_false_bitwise(payload[:-4].encode("ascii"))
    assert top["63"] == f"{expected:04X}"


def test_a_changed_amount_changes_the_crc():
    a = vietqr.build_payload("970436", "0011004123456", 125_000, "QNABCD2345")
    b = vietqr.build_payload("970436", "0011004123456", 125_001, "QNABCD2345")
    assert a[-4:] != b[-4:]


@pytest.mark.parametrize("args", [
    ("97043", "0011004123456", 1000, "QNABCD2345"),  # BIN is six digits
    ("970436", "", 1000, "QNABCD2345"),
    ("970436", "0011-004", 1000, "QNABCD2345"),
    ("970436", "12345678901234567890", 1000, "QNABCD2345"),  # 20 characters
    ("970436", "0011004123456", 0, "QNABCD2345"),
    ("970436", "0011004123456", 1000.0, "QNABCD2345"),
    ("970436", "0011004123456", 1000, "qn abcd"),
])
def test_bad_payload_input_is_refused(args):
    with pytest.raises(ValueError):
        vietqr.build_payload(*args)


def test_descriptions_are_compared_as_upper_case_letters_and_digits():
    assert vietqr.compact("CK ocop-7km4p q9xda, thanh toán!") == "CKOCOP7KM4PQ9XDATHANHTOAN"
    assert vietqr.compact(None) == ""


def test_the_configuration_is_validated_at_start(monkeypatch, tmp_path):
    monkeypatch.setenv("VIETQR_BANK_BIN", "VCB")
    with pytest.raises(RuntimeError, match="BIN"):
        Config(str(tmp_path)).check()
    monkeypatch.setenv("VIETQR_BANK_BIN", "970436")
    monkeypatch.setenv("VIETQR_ACCOUNT_NO", "00 11 00")
    with pytest.raises(RuntimeError, match="ACCOUNT_NO"):
        Config(str(tmp_path)).check()


def test_starting_a_vietqr_payment_returns_the_api_payment_object(db):
    from marketplace.payments import services

    order = make_order(prices=(100_000,))
    payment = services.start_payment(order)
    assert (payment["method"], payment["status"], payment["amount_vnd"]) == ("vietqr", "unpaid", 130_000)
    qr = payment["vietqr"]
    assert {k: qr[k] for k in ("bank_bin", "account_no", "account_name", "amount_vnd", "reference")} == {
        "bank_bin": "970436", "account_no": "0011004123456", "account_name": "TRUNG TAM OCOP QUANG NINH",
        "amount_vnd": 130_000, "reference": order.payment_reference}
    assert qr["payload"] == vietqr.build_payload("970436", "0011004123456", 130_000, order.payment_reference)
    assert qr["image_url"].endswith(f"/payments/qr/{order.payment_reference}.png")
    assert qr["expires_at"].endswith("+07:00")
    assert f"/payments/orders/{order.code}?t=" in payment["page_url"]
    assert services.start_payment(order)["vietqr"]["payload"] == qr["payload"]  # starting again: the same code


def test_the_qr_image_is_served_for_an_order_waiting_for_a_transfer(db, client):
    order = make_order()
    response = client.get(f"/payments/qr/{order.payment_reference}.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get("/payments/qr/QNAAAAAAAA.png").status_code == 404


def test_no_qr_image_for_a_card_order(db, client):
    order = make_order(method="stripe")
    assert client.get(f"/payments/qr/{order.payment_reference}.png").status_code == 404
