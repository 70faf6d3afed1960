"""The mail outbox: a message is written with the change it reports, then sent (right after
the commit, or by the worker), retried while the mail server is away, given up when refused
for good, and never sent twice by two senders."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from marketplace import create_app
from marketplace.mail import send_after_commit
from marketplace.mail import outbox
from marketplace.mail.cli import run_worker
from marketplace.mail.models import OutgoingMail
from marketplace.timeutil import utcnow
from smtp_inbox import free_port, smtp  # noqa: F401 - the fixture


@contextmanager
def settings(app, **values):
    saved = {k: app.config[k] for k in values}
    app.config.update(values)
    try:
        yield
    finally:
        app.config.update(saved)


def rows(db) -> list[OutgoingMail]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutgoingMail).order_by(OutgoingMail.id)))


def queue(db, n: int = 1, to: str = "lan@example.vn") -> None:
    for i in range(n):
        send_after_commit(to, f"Đơn hàng số {i} / Order {i}", f"Nội dung {i}\nBody {i}")
    db.session.commit()


def send_due(app) -> str:
    result = app.test_cli_runner().invoke(args=["mail", "send-due"])
    assert result.exit_code == 0, result.output
    return result.output


def test_inline_delivery_sends_right_after_the_commit_and_marks_the_message_sent(db, smtp):
    send_after_commit(["lan@example.vn", "lan@example.vn", " ", "minh@example.vn"],
                      "Đã nhận đơn hàng / Order received", "Cảm ơn bạn!\nThank you!")
    assert smtp.messages == []  # nothing leaves before the commit
    db.session.commit()

    [(recipients, message)] = smtp.messages
    assert recipients == ["lan@example.vn", "minh@example.vn"]  # blanks and repeats left out
    assert message["Subject"] == "Đã nhận đơn hàng / Order received"
    assert smtp.text(message).rstrip("\n") == "Cảm ơn bạn!\nThank you!"
    [row] = rows(db)
    assert (row.status, row.attempts, row.locked_until) == ("sent", 1, None)
    assert row.sent_at is not None and row.message_id == message["Message-ID"]


def test_a_rolled_back_change_sends_nothing_and_leaves_no_message(db, smtp):
    send_after_commit("lan@example.vn", "Không gửi / Never sent", "…")
    db.session.rollback()
    db.session.commit()
    assert smtp.messages == [] and rows(db) == []


def test_with_the_worker_a_request_never_talks_to_the_mail_server(app, db, smtp):
    with settings(app, MAIL_DELIVERY="worker"):
        queue(db, 3)
        assert smtp.messages == []
        assert [r.status for r in rows(db)] == ["pending"] * 3

        assert "đã gửi 3, chờ gửi lại 0, lỗi 0" in send_due(app)

    assert [m["Subject"] for _r, m in smtp.messages] == [f"Đơn hàng số {i} / Order {i}" for i in range(3)]
    assert [r.status for r in rows(db)] == ["sent"] * 3
    assert "đã gửi 0," in send_due(app) and len(smtp.messages) == 3  # nothing goes out twice


def test_a_mail_server_that_is_down_loses_nothing_the_message_waits_and_goes_out_later(app, db, smtp):
    live_port = app.config["MAIL_PORT"]
    with settings(app, MAIL_PORT=free_port(), MAIL_TIMEOUT_S=2):  # nobody listens there
        queue(db)
    [row] = rows(db)
    assert (row.status, row.attempts, row.locked_until) == ("pending", 1, None)
    assert "ConnectionRefusedError" in row.last_error
    assert timedelta(seconds=50) < row.next_attempt_at - utcnow() <= timedelta(minutes=1)

    assert outbox.deliver_due() == {}  # not due yet
    report = outbox.deliver_due(now=utcnow() + timedelta(minutes=2))
    assert app.config["MAIL_PORT"] == live_port and report == {"sent": 1}
    [(_to, message)] = smtp.messages
    assert message["Message-ID"] == row.message_id  # the same message, sent once
    assert [(r.status, r.attempts) for r in rows(db)] == [("sent", 2)]


def test_tries_are_spaced_out_and_a_message_is_given_up_after_the_last_one(app, db):
    with settings(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT_S=2, MAIL_MAX_ATTEMPTS=4,
                  MAIL_DELIVERY="worker"):
        queue(db)
        now = utcnow()
        gaps = []
        for _ in range(4):
            before = now
            report = outbox.deliver_due(now=now)
            [row] = rows(db)
            now = row.next_attempt_at
            gaps.append(now - before)
        assert report == {"failed": 1}
        assert outbox.deliver_due(now=now + timedelta(days=1)) == {}  # given up: never tried again
    assert gaps[:3] == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert (row.status, row.attempts, row.sent_at) == ("failed", 4, None)
    assert outbox.retry_delay(30) == outbox.MAX_RETRY_DELAY


def test_a_message_refused_for_good_is_given_up_at_once_and_shown_by_mail_status(app, db, smtp):
    smtp.refuse["nobody@example.vn"] = "550 5.1.1 No such user"
    queue(db, to="nobody@example.vn")
    queue(db, to="lan@example.vn")
    assert [(r.status, r.attempts) for r in rows(db)] == [("failed", 1), ("sent", 1)]
    assert len(smtp.messages) == 1  # the refusal did not stop the next message

    output = app.test_cli_runner().invoke(args=["mail", "status"]).output
    assert "chờ gửi 0, đã gửi 1, lỗi 1" in output
    assert "Đơn hàng số 0" in output and "550" in output


def test_two_senders_at_once_send_every_message_exactly_once(app, db, smtp):
    with settings(app, MAIL_DELIVERY="worker"):
        queue(db, 30)
    barrier = threading.Barrier(4)
    reports = []

    def sender():
        with app.app_context():
            barrier.wait()
            reports.append(outbox.deliver_due(batch=5))

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r["sent"] for r in reports) == 30
    ids = [m["Message-ID"] for _to, m in smtp.messages]
    assert len(ids) == 30 and len(set(ids)) == 30
    assert {r.status for r in rows(db)} == {"sent"}


def test_a_message_held_by_a_sender_that_died_goes_out_once_its_hold_runs_out(app, db, smtp):
    with settings(app, MAIL_DELIVERY="worker"):
        queue(db)
    held_until = utcnow() + outbox.LEASE
    db.session.execute(sa.update(OutgoingMail).values(locked_until=held_until))
    db.session.commit()
    assert outbox.deliver_due() == {} and smtp.messages == []  # another sender holds it
    assert outbox.deliver_due(now=held_until + timedelta(seconds=1)) == {"sent": 1}
    assert len(smtp.messages) == 1


def test_old_sent_and_given_up_messages_are_deleted_pending_ones_kept(app, db, smtp):
    smtp.refuse["nobody@example.vn"] = "550 No such user"
    queue(db, to="nobody@example.vn")
    queue(db)
    with settings(app, MAIL_DELIVERY="worker"):
        queue(db)
    later = utcnow() + timedelta(days=app.config["MAIL_KEEP_DAYS"], minutes=1)
    assert outbox.purge(now=utcnow()) == 0
    assert outbox.purge(now=later) == 2
    assert [r.status for r in rows(db)] == ["pending"]


def test_the_worker_sends_what_comes_in_until_it_is_stopped(app, db, smtp):
    stop = threading.Event()
    lines = []

    def work():
        with app.app_context():
            run_worker(interval=0.1, batch=10, stop=stop, echo=lines.append)

    with settings(app, MAIL_DELIVERY="worker"):
        worker = threading.Thread(target=work)
        worker.start()
        try:
            queue(db, 2)
            deadline = time.monotonic() + 10
            while len(smtp.messages) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            stop.set()
            worker.join(5)
    assert not worker.is_alive()
    assert len(smtp.messages) == 2
    assert any("đã gửi 2" in line for line in lines)


def test_an_unknown_delivery_mode_is_refused_at_start(monkeypatch, tmp_path):
    monkeypatch.setenv("MAIL_DELIVERY", "sometimes")
    with pytest.raises(RuntimeError, match="MAIL_DELIVERY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})


def test_a_long_subject_is_kept_whole(db, smtp):
    name = "Hợp tác xã " + "Nông sản sạch Quảng Ninh " * 12  # longer than any fixed column would allow
    send_after_commit("lan@example.vn", f"[OCOP] {name} đã gửi hàng / parcel shipped", "…")
    db.session.commit()
    [(_to, message)] = smtp.messages
    assert message["Subject"] == f"[OCOP] {name} đã gửi hàng / parcel shipped"


def test_a_failure_after_the_commit_never_reaches_the_caller_and_the_message_waits(db, smtp, monkeypatch,
                                                                                  caplog):
    def database_gone(*_args):
        raise sa.exc.OperationalError("UPDATE outgoing_mail", {}, Exception("server closed the connection"))

    monkeypatch.setattr(outbox, "_record", database_gone)
    queue(db)  # the commit returns normally
    monkeypatch.undo()
    [row] = rows(db)
    assert row.status == "pending" and row.locked_until > utcnow()  # held: the next sender takes it later
    assert "left for the next sender" in caplog.text
    assert outbox.deliver_due(now=row.locked_until + timedelta(seconds=1)) == {"sent": 1}


def test_the_worker_outlives_a_pass_that_fails(app, db, smtp, monkeypatch, caplog):
    real, calls = outbox.deliver_due, []

    def first_pass_fails(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise sa.exc.OperationalError("UPDATE outgoing_mail", {}, Exception("the database is restarting"))
        return real(**kwargs)

    monkeypatch.setattr(outbox, "deliver_due", first_pass_fails)
    stop = threading.Event()

    def work():
        with app.app_context():
            run_worker(interval=0.1, batch=10, stop=stop, echo=lambda _line: None)

    with settings(app, MAIL_DELIVERY="worker"):
        queue(db)
        worker = threading.Thread(target=work)
        worker.start()
        try:
            deadline = time.monotonic() + 10
            while not smtp.messages and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            stop.set()
            worker.join(5)
    assert len(smtp.messages) == 1 and len(calls) >= 2
    assert "this pass failed" in caplog.text


def test_a_savepoint_that_rolls_back_drops_only_its_own_messages(db, smtp):
    send_after_commit("lan@example.vn", "Trước điểm lưu / Before the savepoint", "…")
    savepoint = db.session.begin_nested()
    send_after_commit("minh@example.vn", "Trong điểm lưu / Inside the savepoint", "…")
    savepoint.rollback()
    db.session.commit()

    assert [m["Subject"] for _to, m in smtp.messages] == ["Trước điểm lưu / Before the savepoint"]
    assert [(r.subject, r.status) for r in rows(db)] == [("Trước điểm lưu / Before the savepoint", "sent")]


def _niceness(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads priorities from /proc (Linux)")
def test_the_worker_gives_way_to_web_requests_by_running_at_a_lower_priority(tmp_path):
    """`flask mail worker` (the Procfile's) lowers its own CPU priority, by 10 unless told
    otherwise, so its bursts of sending never take a core from a checkout in flight."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.db'}", "MAIL_DELIVERY": "worker",
           "MAIL_SERVER": "", "MAIL_OUTBOX_DIR": str(tmp_path / "outbox")}
    root = Path(__file__).resolve().parents[2]
    for args, lowered_by in (([], 10), (["--nice", "3"], 3), (["--nice", "0"], 0)):
        worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "mail", "worker",
                                   "--interval", "0.2", *args], cwd=root, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            assert "tiến trình gửi thư: kiểm tra mỗi 0.2 giây" in worker.stdout.readline()
            assert _niceness(worker.pid) == os.nice(0) + lowered_by
        finally:
            worker.send_signal(signal.SIGTERM)
            out, _ = worker.communicate(timeout=20)
        assert worker.returncode == 0 and "đã dừng" in out
