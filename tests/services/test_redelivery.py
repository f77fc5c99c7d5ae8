"""补送 made real (found on a lockdown day: 101's rice came one bag short, the family said so on
the order, staff closed the gate's exception "明天随下一批补送" — and nothing was ever ordered:
the family's report read as answered and the rice never came). Now resolving the exception (or
answering the family's report) with 补送 makes a follow-up order for the household with what is
missing, in the supplier's next batch, through the same checkpoint check, hand-off and door
delivery as any order; the original order and the family's request read "补送中" → "已补送"
with the link; the supplier's page marks it 补送; it is charged once; asked again, nothing more
is made."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.notify.models import Notification
from fangkong.services.actions import delivery, handoff, order_problem, orders, redelivery
from fangkong.services.models import Line, Order, Problem, Request
from tests.conftest import actor_for

pytestmark = pytest.mark.django_db


def _as(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _json(c, url, body=None):
    return c.post(url, body or {}, content_type="application/json")


def _carry(staff, gate, batch_id, family_hh, *, short=None):
    """Through the public API: the gate team checks (one line short if said), both sign, staff
    split, the team's carrier delivers 101's door. Returns the batch's manifest lines."""
    lines = staff.get(f"/api/v1/services/batches/{batch_id}").json()["lines"]
    for ln in lines:
        if short and ln["name"] == short[0]:
            r = _json(gate, f"/api/v1/services/lines/{ln['id']}/check", {"outcome": "short", "received": short[1]})
            assert r.status_code == 200, r.content
    assert _json(gate, f"/api/v1/services/batches/{batch_id}/receive-rest").status_code == 200
    assert _json(gate, f"/api/v1/services/batches/{batch_id}/sign", {"supplier_name": "李师傅"}).status_code == 200
    (run,) = _json(staff, f"/api/v1/services/batches/{batch_id}/split").json()
    stops = gate.get(f"/api/v1/services/runs/{run['id']}").json()["checklist"]
    (stop,) = [s for s in stops if s["household"] == family_hh]
    r = _json(gate, f"/api/v1/services/stops/{stop['id']}/confirm", {"client_id": str(uuid.uuid4()), "delivered": True})
    assert r.status_code == 201, r.content
    return lines


def test_short_rice_is_sent_again_with_the_next_batch_and_the_familys_request_reads_redelivered(world, svc):
    w = world
    family, staff, supplier, gate = _as(w.users.resident), _as(w.users.staff), _as(w.users.supplier), _as(svc.vol_user)
    due = (timezone.now() + datetime.timedelta(hours=1)).isoformat()
    # the family orders two bags of rice and a vegetable box
    o = _json(family, "/api/v1/services/orders", {"household": w.hh101.id, "supplier": svc.supplier.id,
                                                  "lines": [{"item": svc.rice.id, "quantity": 2},
                                                            {"item": svc.veg.id, "quantity": 1}]}).json()
    b1 = _json(staff, "/api/v1/services/batches", {"supplier": svc.supplier.id, "checkpoint": svc.gate.id,
                                                   "due_at": due, "team": svc.team.id}).json()
    lines = _carry(staff, gate, b1["id"], w.hh101.id, short=("大米 5kg", 1))  # one bag of two came
    (rice,) = [ln for ln in lines if ln["name"] == "大米 5kg"]
    (problem,) = Problem.objects.filter(batch_id=b1["id"])

    # the family says so on the order
    page = family.get(f"/services/households/{w.hh101.id}/").content.decode()
    assert f'id="order-problem-{o["id"]}"' in page
    assert family.post(f"/services/households/{w.hh101.id}/", {
        "do": "order_problem", "order": o["id"], "what": "short", "line": rice["id"], "text": "少了一袋米",
        "client_id": str(uuid.uuid4())}).status_code == 302
    (req,) = Request.objects.filter(order_id=o["id"])

    # staff: the exception offers 补送, asked first saying what, the price once and the hand-off
    place = staff.get(f"/services/p/{w.community.id}/").content.decode()
    row = place[place.index(f'id="problem-{problem.id}"'):]
    assert f'id="redeliver-{problem.id}"' in row[:row.index("</li>")]
    ask = staff.post(f"/services/p/{w.community.id}/", {"do": "redeliver", "problem": problem.id,
                                                        "resolution": ""}).content.decode()
    assert "随下一批补送？" in ask and "补送：大米 5kg × 1（¥32.00，送到时计费一次）" in ask
    assert "随美特好超市的下一批交接送来，同样经卡口核对、送到门口。" in ask
    assert "住户对此问题的反映将以同样内容答复" in ask
    assert not Order.objects.filter(redelivers_id=o["id"]).exists()  # only asked
    yes = {"do": "redeliver", "problem": problem.id, "resolution": "", "confirm": "1"}
    assert staff.post(f"/services/p/{w.community.id}/", yes).status_code == 302
    assert staff.post(f"/services/p/{w.community.id}/", yes).status_code == 302  # a double tap
    again = _json(staff, f"/api/v1/services/problems/{problem.id}/redeliver")  # and a retry by the API
    (follow,) = Order.objects.filter(redelivers_id=o["id"])
    assert again.status_code == 200 and again.json()["redeliveries"] == [follow.id]
    assert (follow.household_id, follow.supplier_id, follow.redelivery_problem_id, follow.state) == (
        w.hh101.id, svc.supplier.id, problem.id, Order.State.PLACED)
    assert [(ln.name, ln.quantity, ln.price, ln.item_id) for ln in follow.lines.all()] == [
        ("大米 5kg", 1, Decimal("32.00"), svc.rice.id)]
    assert AuditEvent.objects.filter(action="services.order.redeliver").count() == 1
    problem.refresh_from_db()
    words = f"随下一批补送：大米 5kg × 1（补送单 #{follow.id}）"
    assert problem.resolution == words
    req.refresh_from_db()
    assert req.state == Request.State.DONE and req.result == words

    # the family's request and order read 补送中, linked to the follow-up
    seen = family.get(f"/services/requests/{req.id}/").content.decode()
    link = f'href="/services/households/{w.hh101.id}/#order-{follow.id}"'
    assert f'id="follow-up-{follow.id}" data-status="redelivering"' in seen and link in seen
    assert f"<strong>补送中</strong>：<a {link}>订单 #{follow.id}</a> · 大米 5kg × 1" in seen
    mine = family.get(f"/services/households/{w.hh101.id}/").content.decode()
    assert f'<strong>补送中</strong>：<a href="#order-{follow.id}">订单 #{follow.id}</a>' in mine
    assert f'id="redelivers-{follow.id}">订单 #{o["id"]} 的补送' in mine
    api = family.get(f"/api/v1/services/orders/{o['id']}").json()
    assert api["redeliveries"] == [{"order": follow.id, "status": "redelivering", "status_text": "补送中",
                                    "what": "大米 5kg × 1"}]
    assert family.get(f"/api/v1/services/orders/{follow.id}").json()["redelivers"] == o["id"]

    # the supplier sees it on its list, marked 补送, and is told
    home = supplier.get("/supplier/").content.decode()
    box = home[home.index(f'id="redeliveries-{svc.supplier.id}"'):]
    assert f'id="redelivery-{follow.id}"' in box and "补送" in box and "大米 5kg × 1" in box
    assert f"订单 #{follow.id}，补送订单 #{o['id']}" in box and "随下一批交接送来" in box
    told = Notification.objects.get(user=w.users.supplier, kind="services.order", title__startswith="补送")
    assert f"补送订单 #{o['id']}" in told.body

    # the next batch takes it like any order: checked, signed, split, delivered
    b2 = _json(staff, "/api/v1/services/batches", {"supplier": svc.supplier.id, "checkpoint": svc.gate.id,
                                                   "due_at": due, "team": svc.team.id}).json()
    follow.refresh_from_db()
    assert follow.batch_id == b2["id"] and follow.state == Order.State.IN_BATCH
    sheet = supplier.get(f"/services/batches/{b2['id']}/manifest/").content.decode()
    assert f'id="redelivery-{follow.id}"' in sheet and f"补送 #{follow.id}（原订单 #{o['id']}）" in sheet
    assert _json(supplier, f"/api/v1/services/batches/{b2['id']}/arrived").status_code == 200
    _carry(staff, gate, b2["id"], w.hh101.id)
    follow.refresh_from_db()
    assert follow.state == Order.State.DELIVERED

    seen = family.get(f"/services/requests/{req.id}/").content.decode()
    assert f'id="follow-up-{follow.id}" data-status="redelivered"' in seen
    assert f"<strong>已补送</strong>：<a {link}>订单 #{follow.id}</a>" in seen
    assert family.get(f"/api/v1/services/requests/{req.id}").json()["redeliveries"] == [
        {"order": follow.id, "status": "redelivered", "status_text": "已补送", "what": "大米 5kg × 1"}]
    mine = family.get(f"/services/households/{w.hh101.id}/").content.decode()
    assert f'<strong>已补送</strong>：<a href="#order-{follow.id}">订单 #{follow.id}</a>' in mine

    # charged once: the first batch owes the bag that came, the second the bag sent again
    owed1 = {r["household"]: Decimal(r["amount"]) for r in staff.get(f"/api/v1/services/batches/{b1['id']}/owed").json()}
    owed2 = {r["household"]: Decimal(r["amount"]) for r in staff.get(f"/api/v1/services/batches/{b2['id']}/owed").json()}
    assert owed1[w.hh101.id] == Decimal("32.00") + Decimal("39.90") and owed2[w.hh101.id] == Decimal("32.00")
    assert Order.objects.filter(redelivers_id=o["id"]).count() == 1


def _delivered(w, svc, *, lines=None):
    """101's order of rice (and vegetables), checked received at the gate and delivered."""
    staff = actor_for(w.users.staff)
    o = orders.place_order(staff, w.hh101, svc.supplier, lines or [(svc.rice.id, 2), (svc.veg.id, 1)])
    b = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    handoff.receive_rest(staff, b)
    handoff.sign(staff, b, supplier_name="李师傅")
    run = handoff.split(staff, b)[0]
    delivery.confirm_stop(staff, run.stops.get(), delivered=True, client_id=uuid.uuid4())
    o.refresh_from_db()
    return o, b


def test_a_report_the_gate_did_not_see_is_sent_again_free_in_the_batch_already_expected(world, svc):
    """The gate received the rice and the door was delivered (charged), but the family says one bag
    was burst: 补送 from the request page sends the number said, at ¥0, in the supplier's batch
    still expected at the gate (for 102), whose manifest gets the line."""
    w = world
    staff_actor = actor_for(w.users.staff)
    o, _b = _delivered(w, svc)
    rice = Line.objects.get(order=o, name="大米 5kg")
    req = order_problem.report(actor_for(w.users.resident), o, what="damaged", line=rice.id, text="一袋破了")
    orders.place_order(staff_actor, w.hh102, svc.supplier, [(svc.veg.id, 1)])
    later = handoff.create_batch(staff_actor, svc.supplier, svc.gate, due_at=timezone.now() + datetime.timedelta(hours=3))

    staff = _as(w.users.staff)
    page = staff.get(f"/services/requests/{req.id}/").content.decode()
    assert 'id="redeliver"' in page and 'name="quantity"' in page
    ask = staff.post(f"/services/requests/{req.id}/", {"step": "redeliver", "quantity": "1",
                                                       "resolution": "破的那袋明天补"}).content.decode()
    assert f"补送：大米 5kg × 1（不另收费：订单 #{o.id} 已计费）" in ask and "随东门" in ask and "住户将看到：破的那袋明天补" in ask
    too_many = staff.post(f"/services/requests/{req.id}/", {"step": "redeliver", "quantity": "3"}, follow=True)
    assert "请输入 1 到 2 之间的数。" in too_many.content.decode()
    yes = {"step": "redeliver", "quantity": "1", "resolution": "破的那袋明天补", "confirm": "1"}
    assert staff.post(f"/services/requests/{req.id}/", yes).status_code == 302
    (follow,) = Order.objects.filter(redelivers=o)
    assert (follow.redelivery_request_id, follow.batch_id, follow.state, follow.total) == (
        req.id, later.id, Order.State.IN_BATCH, Decimal("0.00"))
    assert [(ln.name, ln.quantity, ln.price) for ln in Line.objects.filter(order=follow)] == [
        ("大米 5kg", 1, Decimal("0.00"))]
    req.refresh_from_db()
    assert req.state == Request.State.DONE and req.result == "破的那袋明天补"
    # asked again, by the API's step: the same follow-up
    r = _json(staff, f"/api/v1/services/requests/{req.id}/redeliver", {"result": "again", "quantity": 1})
    assert r.status_code == 200 and [x["order"] for x in r.json()["redeliveries"]] == [follow.id]
    assert r.json()["redeliveries"][0]["status"] == "redelivering"
    assert Order.objects.filter(redelivers=o).count() == 1
    mine = _as(w.users.resident).get(f"/services/households/{w.hh101.id}/").content.decode()
    assert f'id="redelivers-{follow.id}">订单 #{o.id} 的补送 · 不另收费' in mine


def test_a_door_not_delivered_is_sent_again_and_its_order_ends_not_charged(world, svc):
    w = world
    staff = actor_for(w.users.staff)
    o = orders.place_order(staff, w.hh101, svc.supplier, [(svc.rice.id, 1), (svc.veg.id, 1)])
    b = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    handoff.check_line(staff, Line.objects.get(batch=b, name="蔬菜包"), "damaged")
    handoff.receive_rest(staff, b)
    handoff.sign(staff, b, supplier_name="李师傅")
    run = handoff.split(staff, b)[0]
    delivery.confirm_stop(staff, run.stops.get(), delivered=False, why="refused", client_id=uuid.uuid4())
    door = Problem.objects.get(batch=b, kind=Problem.Kind.NOT_DELIVERED)
    veg = Problem.objects.get(batch=b, kind=Problem.Kind.DAMAGED)
    (first,) = redelivery.redeliver(staff, door, resolution="")
    assert [(ln.name, ln.quantity, ln.price) for ln in first.lines.all()] == [("大米 5kg", 1, Decimal("32.00"))]
    o.refresh_from_db()
    assert o.state == Order.State.PROBLEM  # the vegetables' exception is still open
    (second,) = redelivery.redeliver(staff, veg, resolution="蔬菜包也补")
    assert [(ln.name, ln.quantity) for ln in second.lines.all()] == [("蔬菜包", 1)]
    o.refresh_from_db()
    assert (o.state, o.cancelled_why) == (Order.State.CANCELLED, Order.Why.NOT_DELIVERED)
    assert redelivery.redeliver(staff, door) == [first]  # nothing twice
    mine = _as(w.users.resident).get(f"/services/households/{w.hh101.id}/").content.decode()
    gone = mine[mine.index('id="orders-cancelled"'):]
    assert f'id="follow-up-{first.id}" data-status="redelivering"' in gone
    assert f'id="follow-up-{second.id}" data-status="redelivering"' in gone


def test_refused_where_nothing_is_missing_or_the_exception_was_closed_and_by_role(world, svc):
    w = world
    staff = actor_for(w.users.staff)
    orders.place_order(staff, w.hh101, svc.supplier, [(svc.rice.id, 1), (svc.veg.id, 1)])
    b = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now())
    handoff.check_line(staff, Line.objects.get(batch=b, name="蔬菜包"), "substituted", substitute="蔬菜包（6种）")
    handoff.check_line(staff, Line.objects.get(batch=b, name="大米 5kg"), "short", received=0)
    sub = Problem.objects.get(batch=b, kind=Problem.Kind.SUBSTITUTED)
    short = Problem.objects.get(batch=b, kind=Problem.Kind.SHORT)
    c = _as(w.users.staff)
    r = _json(c, f"/api/v1/services/problems/{sub.id}/redeliver")
    assert r.status_code == 409 and r.json()["error"]["message"] == "已有替代品送到：没有需要补送的。"
    place = c.get(f"/services/p/{w.community.id}/").content.decode()
    assert f'id="redeliver-{sub.id}"' not in place and f'id="redeliver-{short.id}"' in place
    for user in (w.users.street, w.users.leader, w.users.resident):
        assert _json(_as(user), f"/api/v1/services/problems/{short.id}/redeliver").status_code == 403
    for user in (w.users.other_staff, svc.vol_user, w.users.supplier):
        assert _json(_as(user), f"/api/v1/services/problems/{short.id}/redeliver").status_code == 404
    assert _as(w.users.resident).post(f"/services/p/{w.community.id}/", {
        "do": "redeliver", "problem": short.id, "confirm": "1"}).status_code == 404
    # the building's leader sees the exception on his page but is refused before being asked
    assert _as(w.users.leader).post(f"/services/p/{w.building.id}/", {
        "do": "redeliver", "problem": short.id}).status_code == 403
    assert not Order.objects.filter(redelivers__isnull=False).exists()
    delivery.resolve_problem(staff, short, resolution="缺货，不收费")
    r = _json(c, f"/api/v1/services/problems/{short.id}/redeliver")
    assert r.status_code == 409 and r.json()["error"]["message"] == "这个异常已经处理：缺货，不收费"
    assert not Order.objects.filter(redelivers__isnull=False).exists()


def test_the_request_step_is_for_who_runs_services_there(world, svc):
    w = world
    o, _b = _delivered(w, svc)
    req = order_problem.report(actor_for(w.users.resident), o, what="missing")
    url = f"/api/v1/services/requests/{req.id}/redeliver"
    assert _json(_as(w.users.resident), url).status_code == 403
    family = _as(w.users.resident)
    assert 'id="redeliver"' not in family.get(f"/services/requests/{req.id}/").content.decode()
    assert family.post(f"/services/requests/{req.id}/", {"step": "redeliver", "confirm": "1"}).status_code == 403
    assert _json(_as(w.users.leader), url).status_code == 403
    assert _json(_as(w.users.other_staff), url).status_code == 404
    assert not Order.objects.filter(redelivers=o).exists()
    done = _json(_as(w.users.staff), url).json()
    follow = Order.objects.get(redelivers=o)
    assert [x["order"] for x in done["redeliveries"]] == [follow.id] and done["state"] == "done"
    assert sorted((ln.name, ln.quantity, ln.price) for ln in follow.lines.all()) == [
        ("大米 5kg", 2, Decimal("0.00")), ("蔬菜包", 1, Decimal("0.00"))]
