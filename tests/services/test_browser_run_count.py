"""On a phone (390×844): the run's header "共 3 户，还剩 3 户" moves the moment a door is
tapped 已送达 (found walking a family's day: the volunteer's header still said "还剩 24 户"
after door 101 until the page was reloaded), stays moved once the door is sent, and comes
back on Undo. Screenshots: test-output/screenshots/services-count-*."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fangkong.services.actions import handoff, orders
from fangkong.services.models import Stop
from tests.conftest import actor_for, log_in
from tests.services.conftest import build_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_run_header_counts_a_door_as_soon_as_it_is_delivered(phone_page, world):
    w, page = world, phone_page
    svc = build_services(w)
    staff = actor_for(w.users.staff)
    for h in (w.hh101, w.hh102, w.hh201):
        orders.place_order(staff, h, svc.supplier, [(svc.veg.id, 1)])
    batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    vol = actor_for(svc.vol_user)
    handoff.receive_rest(vol, batch)
    handoff.sign(vol, batch, supplier_name="李师傅")
    (run,) = handoff.split(staff, batch, teams=[svc.team])
    first, second, _third = Stop.objects.filter(run=run).order_by("position")

    log_in(page, "staff_a")
    page.goto(f"{page.base}/services/runs/{run.id}/")
    expect(page.locator("#left")).to_have_text("共 3 户，还剩 3 户")
    page.wait_for_load_state("networkidle")
    page.locator(f"#stop-{first.id} button[name=delivered][value='1']").click()
    expect(page.locator("#left")).to_have_text("共 3 户，还剩 2 户")  # at the tap, in its Undo seconds
    page.shot("services-count-01-tapped")
    expect(page.locator("#waiting")).to_have_text("0", timeout=15_000)  # sent
    expect(page.locator("#left")).to_have_text("共 3 户，还剩 2 户")
    assert Stop.objects.get(pk=first.pk).state == "delivered"
    # a wrong tap taken back: the door counts again
    page.locator(f"#stop-{second.id} button[name=delivered][value='1']").click()
    expect(page.locator("#left")).to_have_text("共 3 户，还剩 1 户")
    page.locator(f"#stop-{second.id} .undo button").click()
    expect(page.locator("#left")).to_have_text("共 3 户，还剩 2 户")
    page.shot("services-count-02-undone")
    assert Stop.objects.get(pk=second.pk).state == "pending"
    assert not page.problems, page.problems
