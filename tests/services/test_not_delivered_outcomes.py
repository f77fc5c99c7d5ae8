"""The sealed-area supply evening (door delivery of orders): what a door not delivered leads
to. Found by a tester: closing a not-delivered exception closed the "go and see her" visit
though nobody went, and asked nothing; every door not delivered — refused, wrong address —
raised the "nobody answered" visit; an order closed without delivery stayed "still to come"
forever; an order could not be taken out of a batch the supplier had not yet brought; the
API's split left every run without a team while the page's gave them the batch's."""

import io
import uuid

from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from fangkong.services.actions import delivery, handoff, orders
from fangkong.services.models import Line, Order, Problem, Request, Stop
from tests.conftest import actor_for


def _batch(w, svc, homes=(None,)):
    staff = actor_for(w.users.staff)
    placed = [orders.place_order(staff, hh, svc.supplier, [(svc.veg.id, 1)], client_id=uuid.uuid4())
              for hh in homes]
    batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    return batch, placed


def _carried(w, svc, homes):
    batch, placed = _batch(w, svc, homes)
    vol = actor_for(svc.vol_user)
    handoff.receive_rest(vol, batch)
    handoff.sign(vol, batch, supplier_name="李师傅")
    (run,) = handoff.split(actor_for(w.users.staff), batch, teams=[svc.team])
    return batch, run, placed


def test_closing_a_door_without_delivery_asks_first_leaves_the_visit_open_and_ends_the_order(world, svc):
    w = world
    batch, _run, (order,) = _carried(w, svc, [w.hh101])  # 苏霞, 独居老人: watched over
    delivery.confirm_stop(actor_for(svc.vol_user), Stop.objects.get(household=w.hh101), delivered=False,
                          client_id=uuid.uuid4(), reason="敲门无人应答", why="no_answer")
    visit = Request.objects.get(household=w.hh101)
    problem = Problem.objects.get(household=w.hh101)
    c = Client()
    c.force_login(w.users.staff)
    url = f"/services/p/{w.community.id}/"
    form = {"do": "resolve", "problem": problem.id, "resolution": "地址有误，货已取回卡口，待核实后再送"}
    asked = c.post(url, form)
    page = asked.content.decode()
    assert asked.status_code == 200 and "不送达就结案？" in page  # irreversible: asked first
    assert "地址有误，货已取回卡口，待核实后再送" in page
    assert "上门探视仍保持未办：还没有人上门" in page and "这户的订单记为未送达" in page
    assert Problem.objects.get(pk=problem.pk).resolved_at is None
    c.post(url, {**form, "confirm": "1"})
    assert Problem.objects.get(pk=problem.pk).resolved_at is not None
    visit.refresh_from_db()
    assert visit.state == "new" and not visit.result  # nobody went: still to do
    order.refresh_from_db()
    assert (order.state, order.cancelled_why) == (Order.State.CANCELLED, Order.Why.NOT_DELIVERED)

    # the household page, the API and the owed figures agree: not coming, nothing owed
    home = c.get(f"/services/households/{w.hh101.id}/").content.decode()
    assert 'id="orders-coming"' not in home and "待送达" not in home.split('id="orders"')[1].split("</ul>")[0]
    gone = home.split('id="orders-cancelled"', 1)[1].split("</details>", 1)[0]
    assert "未送达，不收费：敲门无人应答" in gone
    api = c.get(f"/api/v1/services/orders/{order.id}").json()
    assert (api["state"], api["amount"], api["coming"], api["cancelled_why"]) == (
        "cancelled", "0.00", False, "not_delivered")
    (owed,) = c.get(f"/api/v1/services/batches/{batch.id}/owed").json()
    assert (owed["amount"], owed["not_delivered"]) == ("0.00", "39.90")
    rows = list(load_workbook(io.BytesIO(c.get(f"/services/batches/{batch.id}/owed.xlsx").content))
                .active.iter_rows(values_only=True))
    assert rows[1][2] == 0 and abs(rows[1][3] - 39.90) < 0.001


def test_delivered_after_all_still_closes_the_visit(world, svc):
    w = world
    _batch_, _run, (order,) = _carried(w, svc, [w.hh101])
    delivery.confirm_stop(actor_for(svc.vol_user), Stop.objects.get(household=w.hh101), delivered=False,
                          client_id=uuid.uuid4(), reason="敲门无人应答", why="no_answer")
    visit = Request.objects.get(household=w.hh101)
    delivery.resolve_problem(actor_for(w.users.staff), Problem.objects.get(), resolution="晚上补送，已当面交付",
                             delivered=True)
    assert Request.objects.get(pk=visit.pk).state == "done"
    assert Order.objects.get(pk=order.pk).state == Order.State.DELIVERED


def test_only_a_door_nobody_answered_raises_the_visit(world, svc):
    w = world
    _batch_, run, _placed = _carried(w, svc, [w.hh101, w.hh102])
    vol = Client()
    vol.force_login(svc.vol_user)
    stop = Stop.objects.get(household=w.hh101)
    r = vol.post(f"/api/v1/services/stops/{stop.id}/confirm", {
        "client_id": str(uuid.uuid4()), "delivered": False, "reason": "住户称订单已取消，拒收", "why": "refused"},
        content_type="application/json")
    assert r.status_code == 201 and r.json()["why"] == "refused"
    assert not Request.objects.filter(household=w.hh101).exists()  # a refusal: no "nobody answered"
    assert Problem.objects.get(household=w.hh101).text == "住户称订单已取消，拒收"  # staff's exception only
    # the run page offers the choice
    assert 'name="why"' in vol.get(f"/services/runs/{run.id}/").content.decode()
    # a wrong address, chosen without more words: said by the choice
    delivery.confirm_stop(actor_for(svc.vol_user), Stop.objects.get(household=w.hh102), delivered=False,
                          client_id=uuid.uuid4(), why="wrong_address")
    assert not Request.objects.filter(household=w.hh102).exists()
    staff = Client()  # the run is done: its carrier no longer has it
    staff.force_login(w.users.staff)
    doors = {x["household"]: x for x in staff.get(f"/api/v1/services/runs/{run.id}").json()["checklist"]}
    assert (doors[w.hh101.id]["why"], doors[w.hh102.id]["why"], doors[w.hh102.id]["reason"]) == (
        "refused", "wrong_address", "地址错误")


def test_an_unknown_why_is_refused_and_nobody_answering_still_raises_the_visit(world, svc):
    w = world
    _carried(w, svc, [w.hh101])
    vol = Client()
    vol.force_login(svc.vol_user)
    stop = Stop.objects.get(household=w.hh101)
    bad = vol.post(f"/api/v1/services/stops/{stop.id}/confirm", {
        "client_id": str(uuid.uuid4()), "delivered": False, "reason": "x", "why": "gone"},
        content_type="application/json")
    assert bad.status_code == 400 and "why" in bad.json()["error"]["fields"]
    ok = vol.post(f"/api/v1/services/stops/{stop.id}/confirm", {
        "client_id": str(uuid.uuid4()), "delivered": False, "why": "no_answer"}, content_type="application/json")
    assert ok.status_code == 201 and ok.json()["reason"] == "无人应门"
    visit = Request.objects.get(household=w.hh101)
    assert "苏霞" in visit.text


def test_an_order_leaves_a_batch_the_supplier_has_not_yet_handed_over(world, svc):
    w = world
    batch, (mine, theirs) = _batch(w, svc, [w.hh101, w.hh102])
    assert Order.objects.get(pk=mine.pk).state == Order.State.IN_BATCH
    # the household, for its own order, on its page: asked first, then out of the batch
    resident = Client()
    resident.force_login(w.users.resident)
    url = f"/services/households/{w.hh101.id}/"
    assert 'value="cancel"' in resident.get(url).content.decode()
    asked = resident.post(url, {"do": "cancel", "order": mine.id})
    assert asked.status_code == 200 and "中撤出，不计入应付" in asked.content.decode()
    resident.post(url, {"do": "cancel", "order": mine.id, "confirm": "1"})
    mine.refresh_from_db()
    assert (mine.state, mine.batch_id, mine.cancelled_why) == ("cancelled", None, Order.Why.OUT_OF_BATCH)
    assert not Line.objects.filter(order=mine).exists()
    # staff through the API: the same rule
    staff = Client()
    staff.force_login(w.users.staff)
    api = staff.post(f"/api/v1/services/orders/{theirs.id}/cancel")
    assert api.status_code == 200 and (api.json()["state"], api.json()["amount"]) == ("cancelled", "0.00")
    assert not Line.objects.filter(batch=batch).exists()
    assert staff.get(f"/api/v1/services/batches/{batch.id}/owed").json() == []
    assert "蔬菜包" not in staff.get(f"/services/batches/{batch.id}/manifest/").content.decode()


def test_after_hand_over_the_page_says_why_an_order_cannot_be_cancelled(world, svc):
    w = world
    batch, (order,) = _batch(w, svc, [w.hh101])
    vol = actor_for(svc.vol_user)
    handoff.receive_rest(vol, batch)
    handoff.sign(vol, batch, supplier_name="李师傅")
    staff = Client()
    staff.force_login(w.users.staff)
    r = staff.post(f"/api/v1/services/orders/{order.id}/cancel")
    assert r.status_code == 400 and "已在卡口交接" in r.json()["error"]["message"]
    page = staff.get(f"/services/households/{w.hh101.id}/").content.decode()
    row = page.split('id="orders"', 1)[1].split("</ul>", 1)[0]
    assert 'value="cancel"' not in row and f'id="no-cancel-{order.id}"' in row and "已在卡口交接" in row


def test_the_api_split_gives_the_runs_the_batch_team_as_the_page_does(world, svc):
    w = world
    batch, _placed = _batch(w, svc, [w.hh101])
    vol = actor_for(svc.vol_user)
    handoff.receive_rest(vol, batch)
    handoff.sign(vol, batch, supplier_name="李师傅")
    staff = Client()
    staff.force_login(w.users.staff)
    runs = staff.post(f"/api/v1/services/batches/{batch.id}/split", {}, content_type="application/json").json()
    assert [r["team"] for r in runs] == [svc.team.id]
