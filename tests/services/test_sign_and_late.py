"""Three weak spots of the sealed-area services, found on the supply evening:

- the supplier's login at 15:30 had to scroll past every line of the hand-off to find its
  sign form: it is now first, with what is not as listed above it (the lines stay below;
  on a phone: tests/services/test_browser_sign_first.py);
- the API's sign asked a name the page does not (the supplier's own login: its login's name;
  the checkpoint after the supplier signed: nothing) and said a missing one as a bare
  "field required": it takes what the page takes, in the same action, and says what is missing;
- a disinfection done late read as on time once signed off: how late stays on the record, the
  page, the API and the community's .xlsx (the same figure)."""

import datetime
import io

from django.utils import timezone
from openpyxl import load_workbook

from fangkong.audit.models import AuditEvent
from fangkong.services.actions import disinfection as dis
from fangkong.services.actions import handoff, orders
from fangkong.services.models import Batch
from tests.conftest import actor_for
from tests.conftest import client_of as _client


def _checked_batch(w, svc, *, short=True):
    staff = actor_for(w.users.staff)
    for h in (w.hh101, w.hh102, w.hh201):
        orders.place_order(staff, h, svc.supplier, [(svc.veg.id, 1), (svc.eggs.id, 2), (svc.rice.id, 1)])
    b = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    if short:
        handoff.check_line(staff, b.lines.filter(name__startswith="鸡蛋").first(), "short", received=1)
    handoff.receive_rest(staff, b)
    return b


def test_the_supplier_finds_its_sign_form_before_the_lines(world, svc):
    w = world
    b = _checked_batch(w, svc)
    page = _client(w.users.supplier).get(f"/services/batches/{b.id}/").content.decode()
    form = page.index('id="supplier-sign"')
    assert form < page.index('id="lines-all"')  # the sign step first, the 9 lines below it
    assert form < page.index('id="sign-problems"') < page.index('id="sign-supplier"')
    problems = page[page.index('id="sign-problems"'):page.index('id="sign-supplier"')]
    assert "鸡蛋 30枚 × 2" in problems and "短缺 1/2" in problems  # what it signs for
    assert page.count("鸡蛋 30枚 × 2") == 4  # every line still listed below (3 doors) beside the summary
    # the checkpoint is one tap from its sign step too
    staff = _client(w.users.staff).get(f"/services/batches/{b.id}/").content.decode()
    assert 'href="#sign-step"' in staff and staff.index('id="to-sign"') < staff.index('id="lines"')
    assert staff.index('id="lines"') < staff.index('id="sign-step"') < staff.index('id="sign"')


def _sign(user, b, body):
    return _client(user).post(f"/api/v1/services/batches/{b.id}/sign", body, content_type="application/json")


def test_the_api_signs_with_what_the_page_takes(world, svc):
    w = world
    b = _checked_batch(w, svc)
    # the supplier's own login: no name typed signs with its login's name, as the page fills it in
    r = _sign(w.users.supplier, b, {})
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "checking" and r.json()["supplier_signed_by"] == str(w.users.supplier)
    # the checkpoint after the supplier signed: no name asked, the supplier's signature stays
    r = _sign(w.users.staff, b, {})
    assert r.status_code == 200, r.content
    b.refresh_from_db()
    assert b.state == Batch.State.SIGNED and b.supplier_signed_by == str(w.users.supplier)


def test_the_api_says_the_drivers_name_is_missing(world, svc):
    w = world
    b = _checked_batch(w, svc, short=False)
    for body in ({}, {"supplier_name": "  "}):
        r = _sign(w.users.staff, b, body)
        assert r.status_code == 400, r.content
        assert "请填写在此签字的供应商司机姓名" in r.json()["error"]["fields"]["supplier_name"][0]
        b.refresh_from_db()
        assert b.state == Batch.State.CHECKING and b.supplier_signed_at is None
    r = _sign(w.users.staff, b, {"supplier_name": "李师傅"})
    assert r.status_code == 200 and r.json()["state"] == "signed" and r.json()["supplier_signed_by"] == "李师傅"


def test_a_disinfection_done_late_stays_late_once_signed_off(world, svc):
    w = world
    staff = actor_for(w.users.staff)
    now = timezone.now().replace(second=0, microsecond=0)
    late = dis.schedule(staff, w.building, due_at=now - datetime.timedelta(hours=3, minutes=5), allow_past=True)
    ontime = dis.schedule(staff, w.building, due_at=now + datetime.timedelta(hours=1))
    dis.sign_off(staff, late, area="楼道、电梯", agent="含氯消毒液", done_at=now)
    dis.sign_off(staff, ontime, area="楼道", agent="含氯消毒液", done_at=now)
    # the record
    ev = AuditEvent.objects.filter(action="services.disinfection.done").order_by("id")
    assert [e.changes.get("late_minutes") for e in ev] == [185, None]
    # the API
    c = _client(w.users.staff)
    got = {d["id"]: d for d in c.get(f"/api/v1/services/disinfections?place={w.building.id}").json()}
    assert (got[late.id]["late"], got[late.id]["late_minutes"], got[late.id]["overdue"]) == (True, 185, False)
    assert (got[ontime.id]["late"], got[ontime.id]["late_minutes"]) == (False, 0)
    # the page
    page = c.get(f"/services/p/{w.building.id}/disinfection/").content.decode()
    assert f'id="late-{late.id}"' in page and "晚了 3 小时 5 分钟 完成" in page
    assert f'id="late-{ontime.id}"' not in page
    # the community's .xlsx: the same figure
    r = c.get(f"/services/p/{w.community.id}/disinfection.xlsx")
    assert r.status_code == 200
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[0][5] == "延误（分钟）"
    assert sorted(row[5] for row in rows[1:]) == [0, 185]
    assert AuditEvent.objects.filter(action="services.disinfection.export").count() == 1
    # another community's staff, a volunteer: not found
    for u in (w.users.other_staff, w.users.volunteer):
        assert _client(u).get(f"/services/p/{w.community.id}/disinfection.xlsx").status_code == 404
