"""On a phone (390×844) at 15:30: the supplier's login opens a checked hand-off of 36 lines
and finds its sign step on the first screen — what is not as listed, who signs, the button —
without scrolling past every line (found on the supply evening: the form sat at the bottom);
the lines are still there below, one tap away. The checkpoint's phone has a link to its
sign step at the top. Screenshot: test-output/screenshots/services-sign-first-*."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fangkong.services.actions import handoff, orders
from fangkong.services.models import Batch
from tests.conftest import actor_for, log_in, switch_to
from tests.services.conftest import build_services, households

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _in_first_screen(page, selector):
    box = page.locator(selector).bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 844


def test_the_supplier_signs_from_the_first_screen(phone_page, world):
    w, page = world, phone_page
    svc = build_services(w)
    staff = actor_for(w.users.staff)
    for h in households(w, 12, buildings=3):
        orders.place_order(staff, h, svc.supplier, [(svc.veg.id, 1), (svc.eggs.id, 1), (svc.rice.id, 1)])
    b = handoff.create_batch(staff, svc.supplier, svc.gate, team=svc.team,
                             due_at=timezone.localtime().replace(hour=15, minute=30))
    handoff.check_line(staff, b.lines.filter(name__startswith="鸡蛋").first(), "damaged")
    handoff.receive_rest(staff, b)

    log_in(page, "supplier_a")
    page.goto(f"{page.base}/services/batches/{b.id}/")
    assert page.locator("#lines-all li").count() == 36  # the line-by-line check is kept
    assert _in_first_screen(page, "#sign-supplier"), page.locator("#sign-supplier").bounding_box()
    assert "破损" in page.inner_text("#sign-problems")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.shot("services-sign-first-01-supplier")
    page.click("#sign-supplier")
    page.wait_for_selector(".confirm")
    page.click("text=是，代表供应商签字")
    page.wait_for_load_state()
    b.refresh_from_db()
    assert b.supplier_signed_at is not None and b.state == Batch.State.CHECKING

    # the checkpoint: one tap from the top to its sign step
    switch_to(page, "staff_a")
    page.goto(f"{page.base}/services/batches/{b.id}/")
    assert _in_first_screen(page, "#to-sign a")
    assert not _in_first_screen(page, "#sign")  # 36 lines above it
    page.click("#to-sign a")
    expect(page.locator("#sign")).to_be_in_viewport(ratio=1)
    assert _in_first_screen(page, "#sign")
    page.shot("services-sign-first-02-checkpoint")
    assert not page.problems, page.problems
