"""On a phone (390×844), a lockdown day's supplies (walk "zone", defects 8 and 9): the supplier
taps "已到达卡口" on its batch (asked first), and the family reports the damaged rice with
"这单有问题" on its order. Screenshots: test-output/screenshots/services-lockdown-*."""

import uuid

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fangkong.services.actions import delivery, handoff, orders
from fangkong.services.models import Batch, Line, Request
from tests.conftest import actor_for, log_in

from .conftest import build_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_supplier_says_it_arrived_and_the_family_reports_the_rice(phone_page, world):
    w, page = world, phone_page
    svc = build_services(w)
    staff = actor_for(w.users.staff)
    orders.place_order(staff, w.hh101, svc.supplier, [(svc.rice.id, 1), (svc.veg.id, 1)], client_id=uuid.uuid4())
    b = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)

    log_in(page, "supplier_a")
    page.goto(f"{page.base}/services/batches/{b.id}/")
    page.shot("services-lockdown-01-batch")
    _fits(page)
    page.click("#arrived")
    page.wait_for_selector(".confirm")
    expect(page.locator("body")).to_contain_text("物资已到达东门？")
    page.shot("services-lockdown-02-confirm")
    page.click("text=是，已到达卡口")
    page.wait_for_load_state()
    expect(page.locator("#outcome")).to_contain_text("已到达卡口")
    page.shot("services-lockdown-02-arrived-said")
    _fits(page)
    assert Batch.objects.get(pk=b.pk).arrived_at is not None

    rice = Line.objects.get(batch=b, name="大米 5kg")
    handoff.check_line(staff, rice, "damaged")
    handoff.receive_rest(staff, b)
    handoff.sign(staff, b, supplier_name="李师傅")
    run = handoff.split(staff, b)[0]
    delivery.confirm_stop(staff, run.stops.get(), delivered=True, client_id=uuid.uuid4())

    page.context.clear_cookies()
    log_in(page, "resident_a")
    page.goto(f"{page.base}/services/households/{w.hh101.id}/")
    page.click(".order-problem summary")
    box = page.locator(".order-problem form")
    box.locator('input[value="damaged"]').check()
    box.locator('select[name="line"]').select_option(str(rice.id))
    box.locator('textarea[name="text"]').fill("袋子破了，能补送一袋吗？")
    box.scroll_into_view_if_needed()
    page.shot("services-lockdown-03-report")
    _fits(page)
    box.locator("button.primary").click()
    page.wait_for_load_state()
    expect(page.locator(".order-report")).to_contain_text("已反映问题：破损")
    page.shot("services-lockdown-04-reported")
    _fits(page)
    r = Request.objects.get(category__code="goods")
    assert r.order_line_id == rice.id
    assert not page.problems, page.problems
