"""Outgoing email. A failing mail server never fails the business transaction.

With MAIL_SERVER set, messages go through SMTP; otherwise (development) each is
written as an .eml file under MAIL_OUTBOX_DIR.
"""
from __future__ import annotations

import logging
import os
import smtplib
import uuid
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from flask import current_app

log = logging.getLogger(__name__)


class _EncodedHeaders(type(compat32)):
    """compat32, except that a header already in its final form (ASCII: RFC 2047
    encoded and folded by `build_message`) is written out as it is, instead of being
    parsed and folded again each time the message is serialised."""

    def fold(self, name, value):
        return self._as_is(name, value) or super().fold(name, value)

    def fold_binary(self, name, value):
        finished = self._as_is(name, value)
        return finished.encode("ascii") if finished else super().fold_binary(name, value)

    def _as_is(self, name, value) -> str | None:
        if not (isinstance(value, str) and value.isascii()):
            return None
        lines = f"{name}: {value}".split("\n")
        # folded already, with continuation lines only (a bare newline never starts a new header)
        if all(len(line) <= 78 for line in lines) and all(line[:1] in (" ", "\t") for line in lines[1:]):
            return self.linesep.join(lines) + self.linesep
        return None


_POLICY = _EncodedHeaders()


def build_message(to: str | list[str], subject: str, text: str, html: str | None = None) -> Message:
    """A UTF-8 message (plain text, with an HTML alternative when given).

    Built with the classic `email.mime` classes (body base64, headers RFC 2047
    encoded): read back the same as an `EmailMessage`, at a fifth of the CPU, since
    nothing parses the headers through the header registry (a checkout sends one).
    Headers are encoded once, here (`_EncodedHeaders`).
    """
    cfg = current_app.config
    body = MIMEText(text, "plain", "utf-8", policy=_POLICY)
    if html:
        msg = MIMEMultipart("alternative", policy=_POLICY)
        msg.attach(body)
        msg.attach(MIMEText(html, "html", "utf-8", policy=_POLICY))
    else:
        msg = body
    sender_name, sender_address = parseaddr(cfg["MAIL_DEFAULT_SENDER"])
    msg["From"] = formataddr((sender_name, sender_address), "utf-8")
    msg["To"] = ", ".join(to) if isinstance(to, (list, tuple)) else to
    msg["Subject"] = Header(subject, "utf-8", header_name="Subject").encode()
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="ocop.quangninh.local")
    return msg


def deliver(msg: Message) -> bool:
    """Send one message. Returns False (and logs) on failure instead of raising."""
    cfg = current_app.config
    try:
        if not cfg.get("MAIL_SERVER"):
            folder = cfg["MAIL_OUTBOX_DIR"]
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, f"{uuid.uuid4().hex}.eml"), "wb") as fh:
                fh.write(bytes(msg))
            return True
        smtp_cls = smtplib.SMTP_SSL if cfg.get("MAIL_USE_SSL") else smtplib.SMTP
        with smtp_cls(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=cfg["MAIL_TIMEOUT_S"]) as smtp:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
            smtp.send_message(msg)
        return True
    except Exception as exc:  # noqa: BLE001 - mail must never break the caller
        log.warning("mail to %s not sent: %s", msg.get("To", "?").split("@")[-1], exc.__class__.__name__)
        return False


def send_email(to, subject: str, text: str, html: str | None = None) -> bool:
    if not to:
        return False
    return deliver(build_message(to, subject, text, html))


# --- messages that must wait for the transaction they describe ----------------------------------

_OUTBOX_KEY = "mail_after_commit"


def send_after_commit(to, subject: str, text: str, html: str | None = None) -> None:
    """Queue a message to go out once the current database transaction commits.

    A rolled-back transaction drops its messages (no "order placed" mail for an
    order that was never written), and a mail failure happens after the commit,
    so it can never roll the business change back.
    """
    from .extensions import db

    if not to:
        return
    db.session().info.setdefault(_OUTBOX_KEY, []).append(build_message(to, subject, text, html))


def _deliver_queued(session) -> None:
    for msg in session.info.pop(_OUTBOX_KEY, ()):
        deliver(msg)


def _drop_queued(session) -> None:
    session.info.pop(_OUTBOX_KEY, None)


def _listen() -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "after_commit", _deliver_queued):
        event.listen(Session, "after_commit", _deliver_queued)
        event.listen(Session, "after_rollback", _drop_queued)


_listen()
