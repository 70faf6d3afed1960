"""'Report a suspected fake' on the passport: anyone may send one (rate limited per address); it
lands in the admin's queue, where it is marked handled."""
from __future__ import annotations

import sqlalchemy as sa

import factories
from tests.conftest import rate_limits_on
from trace_helpers import make_lot
from marketplace.traceability.models import FakeReport


def test_a_report_lands_in_the_admin_queue_and_is_handled_there(client, app, db, honey):
    lot = make_lot(honey)
    passport = client.get(f"/lots/{lot.id}?lang=en").get_data(as_text=True)
    assert f'href="/lots/{lot.id}/report"' in passport and "Report a suspected fake" in passport
    form = client.get(f"/lots/{lot.id}/report?lang=en")
    assert form.status_code == 200
    assert 'name="message"' in form.get_data(as_text=True) and 'name="csrf_token"' in form.get_data(as_text=True)
    assert client.get("/lots/999999/report").status_code == 404
    response = client.post(f"/lots/{lot.id}/report", data={
        "message": "Nhãn in mờ, nắp khác", "place": "Chợ Hạ Long 1", "contact": "0912000111"})
    assert response.status_code == 302
    empty = client.post(f"/lots/{lot.id}/report", data={"message": "  ", "place": "Cẩm Phả"})
    assert empty.status_code == 422
    again = empty.get_data(as_text=True)
    assert "is-invalid" in again and 'value="Cẩm Phả"' in again  # the form again, what was typed kept
    assert client.post("/lots/999999/report", data={"message": "x"}).status_code == 404

    admin = factories.user("admin")
    factories.login_as(client, admin)
    queue = client.get("/admin/fake-reports").get_data(as_text=True)
    report = db.session.scalars(sa.select(FakeReport)).one()
    assert "Nhãn in mờ, nắp khác" in queue and "Chợ Hạ Long 1" in queue and f'data-report="{report.id}"' in queue
    assert client.post(f"/admin/fake-reports/{report.id}/resolve").status_code == 302
    assert f'data-report="{report.id}"' not in client.get("/admin/fake-reports").get_data(as_text=True)
    assert f'data-report="{report.id}"' in client.get("/admin/fake-reports?status=resolved").get_data(as_text=True)


def test_reports_are_rate_limited(client, app, db, honey):
    lot = make_lot(honey)
    with rate_limits_on(app, FAKE_REPORT_RATE_LIMIT="2 per hour"):
        codes = [client.post(f"/lots/{lot.id}/report", data={"message": f"Giả {n}"}).status_code for n in range(3)]
        # Reading the form is not limited: only sending counts.
        form = client.get(f"/lots/{lot.id}/report").status_code
    assert codes == [302, 302, 429] and form == 200
    assert db.session.scalar(sa.select(sa.func.count(FakeReport.id))) == 2


def test_the_queue_is_for_admins_only(client, db, seller):
    factories.login_as(client, seller.user)
    assert client.get("/admin/fake-reports").status_code == 403
    assert client.post("/admin/fake-reports/1/resolve").status_code == 403
