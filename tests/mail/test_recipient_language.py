"""Every e-mail is written in its reader's language, one language per message: the shopper's
is the one the order was placed in, a user's the one they last used the site in, and an
address the market knows nothing about reads Vietnamese. One case per kind of e-mail, each
sent once to a Vietnamese and once to an English reader, read back from the outbox and from the
mail server it was delivered to."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask_babel import refresh as refresh_locale

from marketplace.accounts.passwords import request_reset
from marketplace.admin import services as admin
from marketplace.extensions import db as _db
from marketplace.invoicing.services import record_issue
from marketplace.mail.models import OutgoingMail
from marketplace.orders import services as orders
from marketplace.payments import notify
from marketplace.seller.certificates import warn_expiring_certificates
from marketplace.seller.members import invite_member
from marketplace.timeutil import local_today
from marketplace.traceability.lots import create_lot
from marketplace.traceability.recalls import recall
from marketplace.traceability.shipping import assign_line_lots
from smtp_inbox import smtp  # noqa: F401 - the fixture
from tests import factories as f
from tests.factories import place_order

PAID_AT = datetime(2026, 4, 10, 1, 30, tzinfo=timezone.utc)


def mails_to(address: str) -> list[OutgoingMail]:
    _db.session.expire_all()
    return list(_db.session.scalars(sa.select(OutgoingMail).where(OutgoingMail.recipients.contains(address))
                                    .order_by(OutgoingMail.id)))


@contextmanager
def request_in(lang: str):
    """A request asking for `lang` (`?lang=`). The fixture's app context is reused by it, so the
    locale Flask-Babel caches there is forgotten on the way in and out."""
    from flask import current_app

    with current_app.test_request_context(f"/?lang={lang}"):
        refresh_locale()
        yield
    refresh_locale()


def placed_in(lang: str, email: str, product=None):
    """An order placed through the real checkout, as a shopper reading `lang` would."""
    with request_in(lang):
        order = place_order([(product or f.product(stock=5), 1)], contact={"email": email})
    return orders.get_order(order.code)


def shipped(order):
    part = order.parts[0]
    orders.update_part_status(part, "confirmed", "seller")
    orders.update_part_status(part, "shipped", "seller", carrier="viettelpost", tracking_number="1780123456")
    return part


# kind -> (what sends it to `email` written for a reader of `lang`, words only a Vietnamese
# message holds, words only an English one holds)
def _placed(lang, email):
    placed_in(lang, email)


def _paid(lang, email):
    orders.mark_order_paid(placed_in(lang, email), PAID_AT)


def _cancelled(lang, email):
    orders.cancel_order(placed_in(lang, email), "shopper", "Đặt nhầm")


def _shipped(lang, email):
    order = placed_in(lang, email)
    orders.mark_order_paid(order, PAID_AT)
    shipped(orders.get_order(order.code))


def _delivered(lang, email):
    order = placed_in(lang, email)
    orders.mark_order_paid(order, PAID_AT)
    orders.update_part_status(shipped(orders.get_order(order.code)), "delivered", "seller")


def _payment_received(lang, email):
    order = placed_in(lang, email)
    notify.payment_received(order, order.total_vnd)
    _db.session.commit()


def paid_in(lang: str, email: str, product=None):
    """An order placed by a reader of `lang`, paid by bank transfer (a signed SePay webhook)."""
    return f.pay(placed_in(lang, email, product))


def seller_reading(lang: str, email: str, **producer_fields):
    """A producer without an email of its own, whose one seller (`email`) reads `lang`."""
    producer = f.producer(email=None, **producer_fields)
    seller = f.user("seller", email=email, producer_id=producer.id)
    seller.lang = lang
    _db.session.commit()
    return producer


def other(lang: str) -> str:
    return "en" if lang == "vi" else "vi"


def _producer_new_part(lang, email):
    producer = seller_reading(lang, email)
    orders.mark_order_paid(placed_in("vi", "khach@example.vn", f.product(stock=5, prod=producer)), PAID_AT)


def _password_reset(lang, email):
    user = f.user(email=email)
    user.lang = lang
    _db.session.commit()
    request_reset(email)


def _producer_approved(lang, email):
    admin.approve_producer(None, seller_reading(lang, email, approved=False).id)


def _producer_suspended(lang, email):
    admin.suspend_producer(None, seller_reading(lang, email).id, "Hồ sơ sai")


def _invitation(lang, email):
    """Someone without an account reads the inviter's language."""
    producer = f.producer()
    inviter = f.user("seller", producer_id=producer.id)
    with request_in(lang):
        invite_member(producer.id, inviter, email)


def _refund_sent(lang, email):
    """The part cancelled after payment, its money paid back by hand and marked so by an admin."""
    f.refund_part(paid_in(lang, email).parts[0])


def _invoice_issued(lang, email):
    part = paid_in(lang, email).parts[0]
    with request_in(other(lang)):  # the producer records it in the other language
        record_issue(part, {"series": "C26TAA", "number": "42", "lookup_code": "TRACUU42",
                            "issued_on": local_today().isoformat()})


def _certificate_rejected(lang, email):
    product = f.product(prod=seller_reading(lang, email), verified=False)
    admin.reject_certificate(None, product.certificate.id, "Ảnh chụp bị mờ")


def _certificate_expired(lang, email):
    product = f.product(prod=seller_reading(lang, email))
    f.certificate_expires(product, local_today() - timedelta(days=1))
    admin.expire_certificates()


def _certificate_expiring(lang, email):
    f.product(prod=seller_reading(lang, email), expires_on=local_today() + timedelta(days=30))
    warn_expiring_certificates()


def _lot_recalled(lang, email):
    """The buyer of a lot hears of its recall, which the producer makes in the other language."""
    product = f.product(stock=5)
    seller = f.user("seller", producer_id=product.producer_id)
    today = local_today()
    lot = create_lot(product.producer_id, product.id, seller, {
        "code": "LO-01", "produced_on": (today - timedelta(days=10)).isoformat(),
        "best_before": (today + timedelta(days=300)).isoformat(), "quantity": 100})
    part = paid_in(lang, email, product).parts[0]
    assign_line_lots(product.producer_id, part.id, seller, [{"line_id": part.lines[0].id, "lot_ids": [lot.id]}])
    with request_in(other(lang)):
        recall(lot, seller, "Nhiễm khuẩn")


# kind -> (what sends it, then words only the Vietnamese and only the English subject hold, and
# words only the Vietnamese and only the English body hold)
KINDS = {
    "order placed": (_placed, "Đã nhận đơn hàng", "received", "Tổng cộng", "Total:"),
    "order paid": (_paid, "đã thanh toán", "paid", "Chúng tôi đã nhận thanh toán", "We received your payment"),
    "order cancelled": (_cancelled, "đã huỷ", "cancelled", "đã bị huỷ", "has been cancelled"),
    "parcel shipped": (_shipped, "đã gửi hàng", "parcel shipped", "Mã vận đơn", "Tracking number"),
    "parcel delivered": (_delivered, "đã giao hàng", "parcel delivered", "đã được giao", "has been delivered"),
    "payment received": (_payment_received, "Đã nhận thanh toán", "Payment received", "Xin chào", "Hello"),
    "new paid order to the producer": (_producer_new_part, "Đơn mới đã thanh toán", "New paid order",
                                       "Tiền hàng", "Subtotal"),
    "password reset": (_password_reset, "Đặt lại mật khẩu", "Reset your password", "phút", "minutes"),
    "producer approved": (_producer_approved, "đã được duyệt", "approved", "có thể bán hàng", "may now sell"),
    "producer suspended": (_producer_suspended, "tạm ngừng bán", "suspended", "Lý do", "Reason"),
    "invitation": (_invitation, "Lời mời tham gia", "Invitation to join", "Mở liên kết", "Open this link"),
    "refund sent": (_refund_sent, "Hoàn tiền cho đơn hàng", "Refund for order", "Chúng tôi đã hoàn",
                    "We have refunded"),
    "invoice issued": (_invoice_issued, "Hóa đơn điện tử", "E-invoice", "đã xuất hóa đơn điện tử",
                       "has issued the e-invoice"),
    "certificate rejected": (_certificate_rejected, "bị từ chối", "rejected", "chưa được xác minh",
                             "was not verified"),
    "certificate expired": (_certificate_expired, "Chứng nhận OCOP hết hạn", "OCOP certificate expired",
                            "đã hết hạn", "have expired"),
    "certificate expiring": (_certificate_expiring, "sắp hết hạn", "expiring soon", "đánh giá lại",
                             "re-assessment"),
    "lot recall": (_lot_recalled, "Thu hồi", "Recall", "đã thu hồi lô", "has recalled lot"),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_each_mail_is_written_in_its_readers_language(db, smtp, kind, lang):
    send, vi_subject, en_subject, vi_body, en_body = KINDS[kind]
    email = f"doc-{lang}@example.vn"
    send(lang, email)
    [message] = mails_to(email)[-1:]
    subject, other_subject = (vi_subject, en_subject) if lang == "vi" else (en_subject, vi_subject)
    body, other_body = (vi_body, en_body) if lang == "vi" else (en_body, vi_body)
    assert subject in message.subject and other_subject not in message.subject
    assert body in message.body_text and other_body not in message.body_text
    # And that is what the mail server received, right after the commit.
    assert message.status == "sent"
    delivered = smtp.to(email)[-1]
    assert delivered["Subject"] == message.subject
    assert smtp.text(delivered).rstrip("\n") == message.body_text.rstrip("\n")


def test_a_signed_in_user_who_switches_language_gets_mails_in_it(app, client):
    from marketplace.accounts.models import User

    with app.app_context():
        user_id = f.user(email="doi-ngon-ngu@example.vn").id
    assert f.login(client, "doi-ngon-ngu@example.vn").status_code == 200
    client.get("/?lang=en")
    with app.app_context():
        assert _db.session.get(User, user_id).lang == "en"
    client.get("/?lang=vi")
    with app.app_context():
        assert _db.session.get(User, user_id).lang == "vi"


@pytest.mark.parametrize("lang, amount", [("vi", "130.000\xa0₫"), ("en", "₫130,000")])
def test_money_in_the_payment_and_refund_mails_is_written_as_the_reader_writes_it(db, smtp, lang, amount):
    """An English reader would take "130.000 ₫" for a hundred and thirty dong."""
    email = f"tien-{lang}@example.vn"
    order = paid_in(lang, email, f.product(price_vnd=100_000, stock=5))  # and 30,000 shipping
    f.refund_part(order.parts[0])
    column = 1 if lang == "vi" else 2  # KINDS' subject words of this language
    for kind in ("payment received", "refund sent"):
        [text] = [smtp.text(m) for m in smtp.to(email) if KINDS[kind][column] in m["Subject"]]
        assert amount in text, kind
