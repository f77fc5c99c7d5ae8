"""On a phone (390×844): at 15:00 a community worker makes today's hand-off from the
services card — the supplier, the east gate, 15:30 — sees which orders go in (medicine
first) and how many households and lines, and creates it (asked first; a double tap on
"yes" makes one batch). After the check at the gate the supplier's login signs its side
on its phone (asked first), then the checkpoint signs; both signatures shown.
Screenshots: test-output/screenshots/services-batch-*."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fangkong.services.actions import handoff, orders
from fangkong.services.batch_queries import default_due
from fangkong.services.models import Batch
from tests.conftest import actor_for, log_in
from tests.services.conftest import build_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_worker_makes_todays_batch_and_the_supplier_signs_its_side(phone_page, world, _browser, live_server):
    w, page = world, phone_page
    svc = build_services(w)
    staff = actor_for(w.users.staff)
    for h in (w.hh101, w.hh102, w.hh201):
        orders.place_order(staff, h, svc.supplier, [(svc.veg.id, 1), (svc.eggs.id, 1)])
    need_by = timezone.now() + datetime.timedelta(hours=4)
    orders.place_order(staff, w.hh102, svc.supplier, [(svc.pills.id, 1)], medicine="硝苯地平缓释片 10mg",
                       deadline=need_by)
    # the daily hand-off (15:30), or the medicine's need-by when that comes first (at night)
    due = f"{timezone.localtime(min(default_due(), need_by)):%H:%M}"

    log_in(page, "staff_a")
    page.goto(f"{page.base}/places/{w.community.id}/")
    page.click(f"#services-panel a[href='/services/p/{w.community.id}/batches/new/']")
    page.wait_for_load_state()
    # orders, households, lines, medicine
    assert page.locator("#preview .stats strong").all_inner_texts() == ["4", "3", "7", "1"]
    assert page.locator("#waiting li").first.inner_text().startswith("药品")  # medicine first
    assert page.input_value("#f-time") == due and page.is_checked(f"input[value='{svc.gate.id}']")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.shot("services-batch-01-new")
    page.select_option("#f-team", str(svc.team.id))
    page.click("#create")
    page.wait_for_selector(".confirm")
    page.shot("services-batch-02-confirm")
    page.dblclick("text=是，建批次")  # a double tap
    # the second tap's request aborts the first's navigation: poll the address, do not wait
    # for one navigation event
    expect(page).to_have_url(re.compile(r"/services/batches/\d+/$"), timeout=15_000)
    batch = Batch.objects.get()
    assert batch.lines.count() == 7 and batch.team == svc.team
    page.shot("services-batch-03-created")

    # the gate checks; the supplier signs its side on its own phone
    handoff.check_line(staff, batch.lines.filter(name__startswith="鸡蛋").first(), "short", received=0)
    handoff.receive_rest(staff, batch)
    ctx = _browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                               locale="zh-CN")
    sup = ctx.new_page()
    sup.base = page.base
    log_in(sup, "supplier_a")
    sup.click(f"#open-{svc.supplier.id} a[href$='#supplier-sign']")
    sup.wait_for_load_state()
    sup.fill("#f-signer", "王经理")
    sup.screenshot(path="test-output/screenshots/services-batch-04-supplier-sign.png", full_page=True)
    sup.click("#sign-supplier")
    sup.wait_for_selector(".confirm")
    assert "6 项收到，1 项与清单不符" in sup.inner_text("main")
    sup.click("text=是，代表供应商签字")
    sup.wait_for_load_state()
    assert "王经理" in sup.inner_text("#signatures") and not sup.locator("#sign-supplier").count()
    sup.screenshot(path="test-output/screenshots/services-batch-05-supplier-signed.png", full_page=True)
    ctx.close()

    page.reload()
    assert "供应商已签字：王经理" in page.inner_text("main")
    page.click("#sign")
    page.wait_for_selector(".confirm")
    page.click("text=是，双方签收")
    page.wait_for_load_state()
    sigs = page.inner_text("#signatures")
    assert "王经理" in sigs and "尚未签字" not in sigs
    page.shot("services-batch-06-both-signed")
    batch.refresh_from_db()
    assert batch.state == Batch.State.SIGNED and batch.supplier_signed_by == "王经理"
    assert not page.problems, page.problems
