"""The visit a door nobody answered raises (an elderly person living alone) is said in the
reader's language, not the carrier's (found on an evening walk: the carrier used English and
the grid worker's Chinese pages, queue and API read "Nobody answered the door at delivery
(…): go and see 苏霞 at the door."); settling the door settles the visit, once and audited
(it stayed open, heading to overdue); the visit done shows on the door's exception; and
"delivered after all" on the place page asks first, naming the door and what changes."""

import uuid

from django.test import Client
from django.utils import timezone, translation

from fangkong.audit.models import AuditEvent
from fangkong.services.actions import delivery, handoff, orders, requests
from fangkong.services.models import Order, Problem, Request, Stop
from tests.conftest import actor_for

ZH = "送货上门时无人应门（nobody home）：请上门看看苏霞。"
EN = "Nobody answered the door at delivery (nobody home): go and see 苏霞 at the door."


def door_not_answered_in_english(w, svc):
    staff = actor_for(w.users.staff)
    for hh in (w.hh101, w.hh102):
        orders.place_order(staff, hh, svc.supplier, [(svc.veg.id, 1)], client_id=uuid.uuid4())
    batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    vol = actor_for(svc.vol_user)
    handoff.receive_rest(vol, batch)
    handoff.sign(vol, batch, supplier_name="李师傅")
    (run,) = handoff.split(staff, batch, teams=[svc.team])
    with translation.override("en"):  # the carrier's phone in English
        delivery.confirm_stop(vol, Stop.objects.get(household=w.hh101), delivered=False, client_id=uuid.uuid4(),
                              reason="nobody home")
    return run, Request.objects.get(household=w.hh101)


def test_the_visit_is_said_in_the_readers_language_on_page_queue_and_api(world, svc):
    w = world
    _run, visit = door_not_answered_in_english(w, svc)
    c = Client()
    c.force_login(w.users.grid)
    assert ZH in c.get(f"/services/requests/{visit.id}/").content.decode()
    assert ZH in c.get(f"/services/p/{w.grid.id}/requests/").content.decode()
    assert c.get(f"/api/v1/services/requests/{visit.id}").json()["text"] == ZH
    assert next(x for x in c.get("/api/v1/services/requests").json() if x["id"] == visit.id)["text"] == ZH
    with translation.override("en"):
        assert Request.objects.get(pk=visit.pk).message == EN
    assert EN not in c.get(f"/services/requests/{visit.id}/").content.decode()


def test_settling_the_door_settles_its_visit_once_and_audited(world, svc):
    w = world
    _run, visit = door_not_answered_in_english(w, svc)
    staff = actor_for(w.users.staff)
    problem = Problem.objects.get(household=w.hh101)
    said = "网格员上门，苏阿姨在睡觉，已当面交付"
    delivery.resolve_problem(staff, problem, resolution=said, delivered=True)
    visit.refresh_from_db()
    assert visit.state == Request.State.DONE and visit.result == said and visit.done_at is not None
    done = AuditEvent.objects.get(action="services.request.done", actor=w.users.staff)
    assert done.changes["request"] == visit.id
    assert AuditEvent.objects.get(action="services.problem.resolve").changes["visit"] == visit.id
    delivery.resolve_problem(staff, Problem.objects.get(pk=problem.pk), resolution="again", delivered=True)
    assert AuditEvent.objects.filter(action="services.request.done").count() == 1
    assert Request.objects.get(pk=visit.pk).result == said
    assert not Request.objects.filter(household=w.hh101, state__in=Request.OPEN).exists()


def test_the_visit_done_shows_on_the_doors_exception(world, svc):
    w = world
    _run, visit = door_not_answered_in_english(w, svc)
    problem = Problem.objects.get(household=w.hh101)
    c = Client()
    c.force_login(w.users.staff)
    row = c.get(f"/services/p/{w.community.id}/").content.decode().split(f'id="problem-{problem.id}"', 1)[1]
    row = row.split("</li>", 1)[0]
    assert "上门探视未完成" in row and f"/services/requests/{visit.id}/" in row
    grid = actor_for(w.users.grid)
    requests.done(grid, requests.take(grid, visit), "见到本人")
    row = c.get(f"/services/p/{w.community.id}/").content.decode().split(f'id="problem-{problem.id}"', 1)[1]
    row = row.split("</li>", 1)[0]
    assert "已上门：见到本人" in row


def test_delivered_after_all_on_the_place_page_asks_first(world, svc):
    w = world
    _run, visit = door_not_answered_in_english(w, svc)
    problem = Problem.objects.get(household=w.hh101)
    c = Client()
    c.force_login(w.users.staff)
    form = {"do": "resolve", "problem": problem.id, "resolution": "晚上补送，已当面交付", "delivered": "1"}
    asked = c.post(f"/services/p/{w.community.id}/", form)
    page = asked.content.decode()
    assert asked.status_code == 200
    assert "光明小区 1号楼 1单元 101" in page and "晚上补送，已当面交付" in page
    assert "订单和这户将标为已送达" in page and "上门探视" in page
    assert Problem.objects.get(pk=problem.pk).resolved_at is None
    assert Stop.objects.get(pk=problem.stop_id).state == Stop.State.FAILED
    assert Order.objects.get(household=w.hh101).state == Order.State.PROBLEM
    done = c.post(f"/services/p/{w.community.id}/", {**form, "confirm": "1"})
    assert done.status_code == 302
    assert Problem.objects.get(pk=problem.pk).resolved_at is not None
    assert Stop.objects.get(pk=problem.stop_id).state == Stop.State.DELIVERED
    assert Request.objects.get(pk=visit.pk).state == Request.State.DONE  # its visit settled with it
