"""Outgoing email. A failing mail server never fails the business change, nor loses its message.

- `send_after_commit(to, subject, text)` puts the message in the outbox table, in the
  transaction of the change it reports (`outbox`).
- It is sent (`message.Postman`) over SMTP (`MAIL_*` settings) or, in development with no
  MAIL_SERVER, written as an .eml file under MAIL_OUTBOX_DIR: right after the commit by the
  same process (MAIL_DELIVERY=inline, the default), or by `flask mail worker`
  (MAIL_DELIVERY=worker: no request waits for the mail server). Messages not accepted are
  retried by the worker or `flask mail send-due`.
"""
from .message import build_message
from .outbox import send_after_commit

__all__ = ["build_message", "send_after_commit"]
