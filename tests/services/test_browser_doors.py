"""On a phone (390×844), the pages the tester walked at night, as they read now:
staff's exceptions (which door, whom to call, its run), the building leader's page (its
batch and run, the calls read only with whom to call), the queue with doors, a resident
asking for her neighbour at 302 (a room this building has twice: said on the field) and
saying a request was not resolved. Screenshots: test-output/screenshots/services-doors-*."""

import uuid

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fangkong.accounts.models import User
from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.services.actions import care, delivery, handoff, orders, requests
from fangkong.services.models import Category, Request, Stop
from tests.conftest import actor_for, log_in, switch_to
from tests.services.conftest import build_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_night_walk_reads_right_on_a_phone(phone_page, world):
    w, page = world, phone_page
    svc = build_services(w)
    User.objects.filter(pk=w.users.grid.pk).update(display_name="郭晓东", phone="13703510007")
    staff = actor_for(w.users.staff)
    hh302 = reg.create_household(Actor.system(), w.unit2, "302")
    reg.create_household(Actor.system(), w.unit1, "302")
    for h in (w.hh101, w.hh102, w.hh201):
        orders.place_order(staff, h, svc.supplier, [(svc.veg.id, 1), (svc.rice.id, 1)], client_id=uuid.uuid4())
    batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    vol = actor_for(svc.vol_user)
    from fangkong.services import queries

    handoff.check_line(vol, queries.batch_lines(batch).get(household=w.hh201, name="蔬菜包"), "damaged")
    handoff.receive_rest(vol, batch)
    handoff.sign(vol, batch, supplier_name="王师傅")
    (run,) = handoff.split(staff, batch, teams=[svc.team])
    delivery.confirm_stop(vol, Stop.objects.get(household=w.hh101), delivered=True, client_id=uuid.uuid4())
    delivery.confirm_stop(vol, Stop.objects.get(household=w.hh102), delivered=False, client_id=uuid.uuid4(),
                          reason="敲门无人应答，电话也没人接")
    care.check_ins_today()
    r = requests.raise_request(actor_for(w.users.resident), w.hh101, Category.objects.get(code="medicine"),
                               "降压药吃完了", client_id=uuid.uuid4())
    requests.take(vol, requests.assign(staff, r, team=svc.team))
    requests.done(vol, Request.objects.get(pk=r.pk), "已买到送到门口")
    requests.raise_request(staff, w.hh201, Category.objects.get(code="repair"), "单元门门锁坏了，关不上",
                           client_id=uuid.uuid4())

    # staff: the exceptions say which door and whom to call
    log_in(page, "staff_a")
    page.goto(f"{page.base}/services/p/{w.community.id}/")
    problems = page.locator("#problems")
    expect(problems).to_contain_text("光明小区 1号楼 1单元 102")
    expect(problems).to_contain_text("未送达：敲门无人应答，电话也没人接")
    expect(problems).to_contain_text("蔬菜包：破损")
    page.locator("#problems").scroll_into_view_if_needed()
    page.shot("services-doors-01-exceptions")
    _fits(page)
    page.goto(f"{page.base}/services/p/{w.community.id}/requests/")
    expect(page.locator("#queue")).to_contain_text("光明小区 1号楼")
    page.shot("services-doors-02-queue")

    # the building's leader: his batch and run, the calls read only, whom to call
    switch_to(page, "leader_a")
    page.goto(f"{page.base}/services/p/{w.building.id}/")
    expect(page.locator("#batches")).to_contain_text("本楼 3 户")
    expect(page.locator("#who-answers")).to_contain_text("郭晓东")
    assert page.locator("#check-ins-open button").count() == 0
    page.shot("services-doors-03-leader")
    _fits(page)

    # the resident: not resolved, and a request for the old man at 302
    switch_to(page, "resident_a")
    page.goto(f"{page.base}/services/requests/{r.id}/")
    page.click("#reopen summary")
    page.fill("#f-reason", "买成了别的药")
    page.shot("services-doors-04-not-resolved")
    page.click("button[value=reopen]")
    page.wait_for_load_state()
    expect(page.locator("#reopened")).to_contain_text("买成了别的药")
    page.shot("services-doors-05-sent-back")
    page.goto(f"{page.base}/services/households/{w.hh101.id}/")
    page.click("#request-box summary")
    page.select_option("#f-cat", "check_in")
    page.fill("#f-text", "302的陈大爷两天没开门了")
    page.click("#for-neighbour summary")
    page.fill("#f-room", "302")
    page.click("#request-box button.primary")
    page.wait_for_load_state()
    expect(page.locator("#for-neighbour")).to_contain_text("请写上单元")
    page.locator("#request-box").scroll_into_view_if_needed()
    page.shot("services-doors-06-neighbour-which-302")
    page.fill("#f-room", "2单元302")
    page.click("#request-box button.primary")
    page.wait_for_load_state()
    expect(page.locator("body")).to_contain_text("已为 光明小区 1号楼 2单元 302 提交求助")
    page.shot("services-doors-07-neighbour-sent")
    assert Request.objects.get(text="302的陈大爷两天没开门了").household_id == hh302.id
    assert not page.problems, page.problems
