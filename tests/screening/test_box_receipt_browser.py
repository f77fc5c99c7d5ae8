"""On a phone in Chromium: the lab receiving a box (双签收, not undone) asks first, saying
the box, its tubes and both names, then says what was done (found walking a lab operator's
night: one tap signed it and the page reloaded without a word). Screenshots:
test-output/screenshots/screening-box-receipt-*.png."""

import pytest
from playwright.sync_api import expect

from fangkong.core.actor import Actor
from fangkong.screening.actions import lab as lab_actions
from fangkong.screening.actions import station
from fangkong.screening.models import Box, Handover, Tube
from tests.conftest import log_in

from .conftest import cid

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_receiving_a_box_asks_first_then_says_what_was_done(phone_page, world, rnd):
    staff = Actor.system(world.users.staff)
    for code, person in (("T0001", world.su), ("T0002", world.yu)):
        station.open_tube(staff, rnd, code)
        station.scan(staff, rnd, client_id=cid(), barcode=code, person=person.token)
        station.seal_tube(staff, Tube.objects.get(round=rnd, barcode=code))
    box = lab_actions.create_box(staff, rnd, "B0001")
    lab_actions.pack_tubes(staff, box, ["T0001", "T0002"])
    lab_actions.hand_over(staff, box, "pickup", "张三", "快递李四")

    page = phone_page
    log_in(page, "lab_op")
    page.goto(f"{page.base}/screening/rounds/{rnd.id}/boxes/")
    page.fill(f"#g-{box.id}", "快递李四")
    page.fill(f"#r-{box.id}", "检测员王五")
    page.click("text=实验室接收")
    page.wait_for_selector(".confirm")
    page.shot("screening-box-receipt-ask")
    ask = page.locator(".confirm")
    expect(ask).to_contain_text("实验室接收 箱 B0001？")
    expect(ask).to_contain_text("箱内 2 管")
    expect(ask).to_contain_text("交出人：快递李四，接收人：检测员王五")
    assert Box.objects.get(pk=box.pk).state == Box.State.IN_TRANSIT  # nothing signed yet
    assert not Handover.objects.filter(box=box, stage="lab").exists()

    page.click("text=不，返回")  # going back signs nothing
    page.wait_for_selector(f"#g-{box.id}")
    assert Box.objects.get(pk=box.pk).state == Box.State.IN_TRANSIT

    page.fill(f"#g-{box.id}", "快递李四")
    page.fill(f"#r-{box.id}", "检测员王五")
    page.click("text=实验室接收")
    page.click(".confirm-yes button")
    page.wait_for_selector(".flash")
    page.shot("screening-box-receipt-done")
    expect(page.locator(".flash")).to_contain_text("已接收 箱 B0001，2 管。")
    assert Box.objects.get(pk=box.pk).state == Box.State.AT_LAB
    h = Handover.objects.get(box=box, stage="lab")
    assert (h.given_by, h.received_by) == ("快递李四", "检测员王五")
    assert set(Tube.objects.filter(box=box).values_list("at_lab_at", flat=True)) != {None}
