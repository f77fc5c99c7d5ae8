"""这单有问题 answered on a promise (walk_family, smaller things: a grid worker marked the
report done with "明早9点前送到" and the family was asked to "确认已解决" while the order still
read 已晚点). Now the one rule, `redeliveries.awaits_goods`: a report marked done while its
goods have neither reached the door nor been cancelled is not the family's to confirm yet —
it reads "社区答复：明早9点前送到" beside the order still late (page and API), `confirm` is
refused (409) — and the family is asked once the door is delivered, or at once when the staff
resolve it otherwise (the order cancelled: not charged)."""

import datetime
import uuid

import pytest
from django.utils import timezone

from fangkong.core.errors import Conflict
from fangkong.notify.models import Notification
from fangkong.services.actions import delivery, handoff, order_problem, orders, requests
from fangkong.services.models import Request
from fangkong.services.redeliveries import awaits_goods
from tests.conftest import actor_for

pytestmark = pytest.mark.django_db


def _late_and_promised(w, svc):
    """101's order in a batch due at the gate two hours ago, not there; the family reports it
    not received; the grid worker answers with a promise."""
    staff = actor_for(w.users.staff)
    o = orders.place_order(staff, w.hh101, svc.supplier, [(svc.veg.id, 1)])
    b = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now() - datetime.timedelta(hours=2),
                             team=svc.team)
    o.refresh_from_db()
    req = order_problem.report(actor_for(w.users.resident), o, what="missing", client_id=uuid.uuid4())
    req = requests.done(staff, req, "明早9点前送到")
    return staff, o, b, req


def test_a_promise_is_not_the_familys_to_confirm_until_the_goods_come(login, world, svc):
    w = world
    staff, o, b, req = _late_and_promised(w, svc)
    assert req.state == Request.State.DONE and awaits_goods(req)
    told = Notification.objects.get(user=w.users.resident, kind="services.request")
    assert "社区已答复" in told.title and "请确认" not in told.title and "明早9点前送到" in told.body

    c = login(w.users.resident)
    page = c.get(f"/services/requests/{req.id}/").content.decode()
    assert "社区答复：明早9点前送到" in page and "已晚点" in page
    assert 'id="confirm"' not in page and 'id="reopen"' in page  # may still say it is not resolved
    mine = c.get(f"/services/households/{w.hh101.id}/").content.decode()
    line = mine[mine.index(f'id="order-{o.id}"'):]
    line = line[:line.index("</li>")]
    assert "社区答复：明早9点前送到" in line and "已晚点" in line and "已办完" not in line
    with pytest.raises(Conflict):
        requests.confirm(actor_for(w.users.resident), req)
    api = c.post(f"/api/v1/services/requests/{req.id}/confirm", {}, content_type="application/json")
    assert api.status_code == 409 and "货还没到" in api.json()["error"]["message"]
    out = c.get(f"/api/v1/services/requests?household={w.hh101.id}&open_only=false").json()
    assert [r["awaits_goods"] for r in out if r["id"] == req.id] == [True]
    grid = login(w.users.grid)
    queue = grid.get(f"/services/p/{w.grid.id}/requests/").content.decode()
    queue = queue[queue.index('id="waiting"'):]
    assert "已答复，等货到" in queue and "代住户确认" not in queue

    # the goods come at last: the door delivered, the family is asked once, and may confirm
    handoff.receive_rest(staff, b)
    handoff.sign(staff, b, supplier_name="李师傅")
    run = handoff.split(staff, b)[0]
    delivery.confirm_stop(staff, run.stops.get(), delivered=True, client_id=uuid.uuid4())
    req.refresh_from_db()
    assert not awaits_goods(req)
    asked = Notification.objects.filter(user=w.users.resident, kind="services.request", title__contains="货已送到")
    assert asked.count() == 1
    c = login(w.users.resident)
    page = c.get(f"/services/requests/{req.id}/").content.decode()
    assert 'id="confirm"' in page and 'id="awaits-goods"' not in page
    ok = c.post(f"/api/v1/services/requests/{req.id}/confirm", {}, content_type="application/json")
    assert ok.json()["state"] == "confirmed" and ok.json()["awaits_goods"] is False


def test_resolved_otherwise_the_order_cancelled_the_family_confirms_at_once(login, world, svc):
    w = world
    staff, o, _b, req = _late_and_promised(w, svc)
    orders.cancel_order(staff, o)  # not coming, not charged
    assert not awaits_goods(req)
    assert requests.confirm(actor_for(w.users.resident), req).state == Request.State.CONFIRMED


def test_a_report_on_goods_already_delivered_is_confirmed_as_before(world, svc):
    w = world
    staff = actor_for(w.users.staff)
    o = orders.place_order(staff, w.hh101, svc.supplier, [(svc.veg.id, 1)])
    b = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    handoff.receive_rest(staff, b)
    handoff.sign(staff, b, supplier_name="李师傅")
    run = handoff.split(staff, b)[0]
    delivery.confirm_stop(staff, run.stops.get(), delivered=True, client_id=uuid.uuid4())
    o.refresh_from_db()
    req = order_problem.report(actor_for(w.users.resident), o, what="damaged", client_id=uuid.uuid4())
    req = requests.done(staff, req, "已退款")
    assert not awaits_goods(req)
    told = Notification.objects.get(user=w.users.resident, kind="services.request")
    assert "请确认" in told.title
    assert requests.confirm(actor_for(w.users.resident), req).state == Request.State.CONFIRMED
