"""Outgoing messages as a mail client reads them: Vietnamese headers, folding, no injected headers."""
from __future__ import annotations

from email import message_from_bytes, policy
from email.errors import HeaderParseError

import pytest

from marketplace.mail import build_message

LONG_SUBJECT = ("[OCOP] Đã nhận đơn hàng OC7K2-9QXTM / Order OC7K2-9QXTM received — "
                "Mật ong hoa rừng Ba Chẽ, Trà hoa vàng Đầm Hà, Chả mực Hạ Long")


def _read(message, linesep: str = "\n"):
    raw = message.as_bytes(policy=message.policy.clone(linesep=linesep))
    return raw, message_from_bytes(raw, policy=policy.default)


def test_vietnamese_headers_are_encoded_once_and_read_back_whole(ctx, app):
    app.config["MAIL_DEFAULT_SENDER"] = "Chợ OCOP Quảng Ninh <no-reply@ocop.quangninh.vn>"
    message = build_message("lan@example.vn", LONG_SUBJECT, "Cảm ơn bạn đã đặt hàng.\nThank you.")
    for linesep in ("\n", "\r\n"):  # a file in development, SMTP in production
        raw, back = _read(message, linesep)
        head = raw.split(linesep.encode() * 2, 1)[0]
        assert head.isascii()
        assert max(len(line) for line in head.split(linesep.encode())) <= 78  # folded, RFC 5322
        assert back["Subject"] == LONG_SUBJECT
        assert back["From"].addresses[0].display_name == "Chợ OCOP Quảng Ninh"
        assert back["To"] == "lan@example.vn"
        assert back.get_content() == "Cảm ơn bạn đã đặt hàng.\nThank you."


def test_a_newline_in_a_header_value_never_starts_a_new_header(ctx):
    message = build_message("lan@example.vn", "Đơn hàng\nBcc: ke-gian@example.com", "nội dung")
    _raw, back = _read(message, "\r\n")
    assert back["Bcc"] is None and "ke-gian@example.com" in back["Subject"]  # inside the encoded subject
    message["X-Order"] = "OC7K2\nBcc: ke-gian@example.com"  # not encoded by build_message: refused when written
    with pytest.raises(HeaderParseError):
        _read(message, "\r\n")
