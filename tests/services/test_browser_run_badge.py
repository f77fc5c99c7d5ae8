"""On a phone (390×844) in English, the run page keeps every household phone readable beside
its door's state ("Delivered", "Not delivered": longer than 已送达, the badge covered the
phone, found on a phone), and after the last door says how the run ended under the list too,
where the carrier's thumb is. Screenshot: test-output/screenshots/services-run-badge-en."""

import uuid

import pytest
from django.utils import timezone

from fangkong.services.actions import delivery, handoff, orders
from fangkong.services.models import Stop
from tests.conftest import actor_for, log_in
from tests.services.conftest import build_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _overlap(a, b) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def test_in_english_the_state_badge_never_covers_the_household_phone(phone_page, world):
    w, page = world, phone_page
    svc = build_services(w)
    staff = actor_for(w.users.staff)
    for h in (w.hh101, w.hh102):
        orders.place_order(staff, h, svc.supplier, [(svc.veg.id, 1)], client_id=uuid.uuid4())
    batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    vol = actor_for(svc.vol_user)
    handoff.receive_rest(vol, batch)
    handoff.sign(vol, batch, supplier_name="王师傅")
    (run,) = handoff.split(staff, batch, teams=[svc.team])
    delivery.confirm_stop(vol, Stop.objects.get(household=w.hh101), delivered=True, client_id=uuid.uuid4())
    delivery.confirm_stop(vol, Stop.objects.get(household=w.hh102), delivered=False, client_id=uuid.uuid4(),
                          reason="nobody answered")

    log_in(page, "grid_a")
    page.click("text=English")
    page.wait_for_load_state()
    page.goto(f"{page.base}/services/runs/{run.id}/")
    page.shot("services-run-badge-en")
    checked = 0
    for stop in Stop.objects.filter(run=run):
        li = page.locator(f"#stop-{stop.id}")
        badge = li.locator(".badge.state").bounding_box()
        assert badge is not None
        for phone in li.locator(".phone").all():
            box = phone.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
            assert not _overlap(box, badge), (phone.text_content(), box, badge)
            checked += 1
    assert checked >= 2
    # how the run ended, at the top and under the last door
    top = page.locator("#left").text_content().strip()
    end = page.locator("#ended")
    assert end.is_visible() and end.text_content().strip() == top and "not delivered" in top
    last = page.locator("#stops li.stop").last.bounding_box()
    assert end.bounding_box()["y"] >= last["y"] + last["height"] - 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not page.problems, page.problems
