"""The admin's Email page: what waits, what went out, what was given up, and sending again."""
from __future__ import annotations

import sqlalchemy as sa

from marketplace.audit import AuditEntry
from marketplace.mail import send_after_commit
from marketplace.mail.models import OutgoingMail
from smtp_inbox import smtp  # noqa: F401 - the fixture
from tests import factories as f


def _given_up_message(db, smtp, to="nobody@htx.vn") -> OutgoingMail:
    smtp.refuse[to] = "550 5.1.1 No such user"
    send_after_commit(to, "Chứng nhận OCOP hết hạn / OCOP certificate expired", "…")
    db.session.commit()
    message = db.session.scalar(sa.select(OutgoingMail).where(OutgoingMail.recipients == to))
    assert message.status == "failed"
    return message


def test_the_page_counts_the_messages_and_lists_the_ones_given_up(client, db, smtp):
    _given_up_message(db, smtp)
    send_after_commit("lan@example.vn", "Đã nhận đơn hàng / Order received", "…")
    db.session.commit()
    f.login_as(client, f.user("admin"))

    page = client.get("/admin/mail").get_data(as_text=True)

    assert 'id="mail-sent">1<' in page and 'id="mail-failed">1<' in page and 'id="mail-pending">0<' in page
    assert "nobody@htx.vn" in page and "Chứng nhận OCOP hết hạn" in page and "550" in page
    assert "Đã nhận đơn hàng" not in page  # sent: not in the list of messages given up
    assert "Gửi lại" in page  # Vietnamese first


def test_sending_again_queues_the_message_afresh_and_sends_it_once_the_problem_is_fixed(client, db, smtp):
    message = _given_up_message(db, smtp)
    admin = f.user("admin")
    f.login_as(client, admin)
    del smtp.refuse["nobody@htx.vn"]  # the address now exists

    response = client.post(f"/admin/mail/{message.id}/resend", follow_redirects=True)

    assert response.status_code == 200 and "Đã gửi lại" in response.get_data(as_text=True)
    [(rcpts, received)] = smtp.messages
    assert rcpts == ["nobody@htx.vn"] and received["Message-ID"] == message.message_id
    db.session.expire_all()
    assert (message.status, message.attempts) == ("sent", 1)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "mail.resend"))
    assert entry.actor_id == admin.id and entry.object_id == str(message.id)


def test_only_a_message_given_up_can_be_sent_again(client, db, smtp):
    send_after_commit("lan@example.vn", "Đã nhận đơn hàng / Order received", "…")
    db.session.commit()
    sent = db.session.scalar(sa.select(OutgoingMail))
    f.login_as(client, f.user("admin"))
    page = client.post(f"/admin/mail/{sent.id}/resend", follow_redirects=True).get_data(as_text=True)
    assert "Chỉ gửi lại được thư đã bị bỏ" in page
    assert client.post("/admin/mail/999999/resend", follow_redirects=True).status_code == 200
    assert len(smtp.messages) == 1  # nothing sent twice
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


def test_shoppers_and_sellers_cannot_send_mail_again(client, db, smtp):
    message = _given_up_message(db, smtp)
    f.login_as(client, f.user("seller", producer_id=f.producer().id))
    assert client.post(f"/admin/mail/{message.id}/resend").status_code == 403
    db.session.expire_all()
    assert message.status == "failed"
