"""A grid worker's night (found walking it): an elderly woman living alone asks for medicine,
a volunteer marks it done — and nobody who handed it over is told, it leaves the queue, and
"代住户确认" is reachable only by its URL; the request page names nobody and shows no phone; a
pharmacy order for the same drug still "已下单" may bring it twice; the building leader reads
it and meets a dead end."""

import uuid

from django.test import Client
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.notify.models import Notification
from fangkong.services.actions import orders, requests
from fangkong.services.models import Category, Request
from tests.conftest import actor_for


def medicine_request(w, svc, *, done=True):
    """Raised by the household, given to the team by staff, taken and (done) by the volunteer."""
    r = requests.raise_request(actor_for(w.users.resident), w.hh101, Category.objects.get(code="medicine"),
                               "买药 降压药", client_id=uuid.uuid4())
    requests.assign(actor_for(w.users.staff), r, team=svc.team)
    vol = actor_for(svc.vol_user)
    r = requests.take(vol, Request.objects.get(pk=r.pk))
    if done:
        r = requests.done(vol, Request.objects.get(pk=r.pk), "已买到并送到门口")
    return r


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_done_tells_who_handed_it_over_and_the_grid_worker(world, svc):
    w = world
    r = medicine_request(w, svc)
    told = set(Notification.objects.filter(url=f"/services/requests/{r.id}/", title__contains="待住户确认")
               .values_list("user_id", flat=True))
    assert {w.users.staff.id, w.users.grid.id} <= told  # who gave it, whose grid it is
    assert svc.vol_user.id not in told and w.users.resident.id not in told
    assert Request.objects.get(pk=r.pk).given_by_id == w.users.staff.id


def test_the_queue_lists_done_requests_waiting_for_the_household_with_how_long(world, svc):
    w = world
    r = medicine_request(w, svc)
    page = login(w.users.grid).get(f"/services/p/{w.building.id}/requests/").content.decode()
    assert "已办完，待住户确认" in page
    waiting = page.split('id="waiting"')[1]
    assert f"/services/requests/{r.id}/" in waiting and "买药 降压药" in waiting and "已办完" in waiting
    assert 'value="confirm"' in waiting and "代住户确认" in waiting
    # the leader reads it, may not confirm for the family: no button
    leader = login(w.users.leader).get(f"/services/p/{w.building.id}/requests/").content.decode()
    assert f"/services/requests/{r.id}/" in leader.split('id="waiting"')[1]
    assert 'value="confirm"' not in leader.split('id="waiting"')[1]


def test_confirming_for_the_household_asks_first_and_keeps_who_and_how(world, svc):
    w = world
    r = medicine_request(w, svc)
    c = login(w.users.grid)
    queue = f"/services/p/{w.building.id}/requests/"
    asked = c.post(f"/services/requests/{r.id}/", {"step": "confirm", "next": queue})
    text = asked.content.decode()
    assert asked.status_code == 200 and "代住户确认已解决？" in text and "电话确认" in text and 'value="phone"' in text
    assert Request.objects.get(pk=r.pk).state == "done"  # nothing yet
    # confirmed without saying how: asked again, nothing written
    again = c.post(f"/services/requests/{r.id}/", {"step": "confirm", "next": queue, "confirm": "1"})
    assert again.status_code == 200 and Request.objects.get(pk=r.pk).state == "done"
    done = c.post(f"/services/requests/{r.id}/", {"step": "confirm", "next": queue, "confirm": "1",
                                                   "how": "phone"})
    assert done.status_code == 302 and done["Location"] == queue
    r.refresh_from_db()
    assert (r.state, r.confirmed_by_id, r.confirmed_how) == ("confirmed", w.users.grid.id, "phone")
    event = AuditEvent.objects.get(action="services.request.confirmed")
    assert (event.actor_id, event.changes["on_behalf"], event.changes["how"]) == (w.users.grid.id, True, "phone")
    page = c.get(f"/services/requests/{r.id}/").content.decode()
    assert "代住户确认人" in page and "grid_a" in page.split('id="confirmed-for"')[1][:200]
    assert f"/services/requests/{r.id}/" not in c.get(queue).content.decode().split('id="waiting"')[1]


def test_the_household_confirms_itself_without_saying_how(world, svc):
    w = world
    r = medicine_request(w, svc)
    resp = login(w.users.resident).post(f"/services/requests/{r.id}/", {"step": "confirm", "confirm": "1"})
    assert resp.status_code == 302
    r.refresh_from_db()
    assert (r.state, r.confirmed_by_id, r.confirmed_how) == ("confirmed", w.users.resident.id, "")
    event = AuditEvent.objects.get(action="services.request.confirmed")
    assert event.changes["on_behalf"] is False


def test_the_api_confirm_for_the_household_says_how(world, svc):
    w = world
    r = medicine_request(w, svc)
    c = login(w.users.staff)
    url = f"/api/v1/services/requests/{r.id}/confirm"
    bad = c.post(url, {}, content_type="application/json")
    assert bad.status_code == 400 and "how" in bad.json()["error"]["fields"]
    assert c.post(url, {"how": "door"}, content_type="application/json").json()["state"] == "confirmed"
    assert Request.objects.get(pk=r.pk).confirmed_how == "door"


def test_the_request_page_names_who_asked_and_shows_the_phone_audited(world, svc):
    w = world
    r = medicine_request(w, svc, done=False)
    for user in (w.users.grid, svc.vol_user):  # the worker, and the volunteer who has it
        AuditEvent.objects.filter(action="resident.view_phones").delete()
        page = login(user).get(f"/services/requests/{r.id}/").content.decode()
        contacts = page.split('id="contacts"')[1].split("</dd>")[0]
        assert "苏霞" in contacts and "tel:17446416120" in contacts and "tel:03514001234" in contacts
        assert "resident_a" in page.split('id="asker"')[1][:100]
        assert "101" in page.split('id="door"')[1][:200]
        event = AuditEvent.objects.get(action="resident.view_phones", actor=user)
        assert event.changes["where"] == f"services.request:{r.id}"
        assert w.su.id in event.changes["residents"] and w.hh101.id in event.changes["households"]


def test_the_request_page_shows_the_households_open_medicine_orders(world, svc):
    w = world
    o = orders.place_order(actor_for(w.users.resident), w.hh101, svc.supplier, [(svc.pills.id, 1)],
                           client_id=uuid.uuid4())
    r = medicine_request(w, svc, done=False)
    page = login(w.users.grid).get(f"/services/requests/{r.id}/").content.decode()
    t = timezone.localtime(o.placed_at).strftime("%m-%d %H:%M")
    said = page.split('id="orders-like"')[1].split("</p>")[0]
    assert f"该户另有药品订单（{t} 提交），等待供应商发货，尚未排定送达时间：" in said and "硝苯地平缓释片 × 1" in said and "#" not in said
    # a request of another kind says nothing of it
    other = requests.raise_request(actor_for(w.users.resident), w.hh101, Category.objects.get(code="repair"),
                                   "水管漏水", client_id=uuid.uuid4())
    assert "该户另有药品订单" not in login(w.users.grid).get(f"/services/requests/{other.id}/").content.decode()


def test_the_building_leader_reads_whom_to_call_not_a_dead_end(world, svc):
    w = world
    r = medicine_request(w, svc, done=False)
    page = login(w.users.leader).get(f"/services/requests/{r.id}/").content.decode()
    assert 'value="take"' not in page and 'value="assign"' not in page  # not his to take (docs/services.md)
    who = page.split('id="who-answers"')[1].split("</p>")[0]
    assert "由以下人员处理" in who and "grid_a" in who
    # those who act on it are not sent elsewhere
    assert 'id="who-answers"' not in login(w.users.grid).get(f"/services/requests/{r.id}/").content.decode()
