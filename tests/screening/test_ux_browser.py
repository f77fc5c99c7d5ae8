"""On a phone in Chromium: what cannot be undone asks first (ending a round, sealing a tube
early), the planning form fits 360 px and keeps what was typed after an error, and a
positive pool is on the staff's home page at once. Screenshots: test-output/screenshots/
screening-ux-*.png."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fangkong.screening.models import Round, Sample, Tube
from tests.conftest import log_in

from .test_alert import positive_pool

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_ending_a_round_asks_first_and_can_be_reopened(phone_page, world, rnd):
    page = phone_page
    log_in(page, "staff_a")
    page.goto(f"{page.base}/screening/rounds/{rnd.id}/")
    state = page.locator("form.round-state")
    expect(state).to_contain_text("进行中")
    expect(state.locator("button")).to_have_count(1)  # one action, named as an action
    expect(state.locator("button")).to_have_text("结束本轮…")
    state.locator("button").click()
    page.wait_for_selector(".confirm")
    page.shot("screening-ux-end-round-ask")
    expect(page.locator(".confirm")).to_contain_text("已采 0 人")
    assert Round.objects.get(pk=rnd.id).status == "running"  # nothing changed yet
    page.click("text=不，返回")
    page.wait_for_selector("form.round-state")
    assert Round.objects.get(pk=rnd.id).status == "running"
    page.click("form.round-state button")
    page.click(".confirm-yes button")
    page.wait_for_selector("form.round-state")
    assert Round.objects.get(pk=rnd.id).status == "closed"
    expect(page.locator("form.round-state button")).to_have_text("重新开启本轮")
    page.shot("screening-ux-round-ended")
    # a station's page of the ended round says so at the top, with nothing to scan into
    page.goto(f"{page.base}/screening/rounds/{rnd.id}/station/")
    expect(page.locator("#round-ended")).to_contain_text("本轮检测已结束")
    expect(page.locator("#scan-input")).to_be_hidden()
    page.shot("screening-ux-station-round-ended")
    page.goto(f"{page.base}/screening/rounds/{rnd.id}/")
    page.click("form.round-state button")  # reopening is harmless: no question
    page.wait_for_selector("text=结束本轮…")
    assert Round.objects.get(pk=rnd.id).status == "running"
    page.goto(f"{page.base}/screening/rounds/{rnd.id}/station/")
    expect(page.locator("#scan-input")).to_be_visible()
    assert not page.locator("#round-ended").count()


def test_sealing_a_tube_early_asks_in_the_tube_card(phone_page, world, rnd):
    page = phone_page
    log_in(page, "staff_a")
    page.goto(f"{page.base}/screening/rounds/{rnd.id}/station/")
    page.fill("#scan-input", "T0001")
    page.press("#scan-input", "Enter")
    expect(page.locator("#tube-left")).to_have_text("3")
    page.fill("#scan-input", world.su.token)
    page.press("#scan-input", "Enter")
    expect(page.locator("#tube-left")).to_have_text("2")
    page.click("#seal")
    expect(page.locator("#seal-box")).to_be_visible()
    expect(page.locator("#seal-text")).to_contain_text("T0001")
    expect(page.locator("#seal-text")).to_contain_text("1/3")
    page.shot("screening-ux-seal-ask")
    assert Tube.objects.get(round=rnd, barcode="T0001").state == "open"
    page.click("#seal-no")
    expect(page.locator("#seal-box")).to_be_hidden()
    page.click("#seal")  # a second tap on "seal" only asks again
    page.click("#seal")
    assert Tube.objects.get(round=rnd, barcode="T0001").state == "open"
    page.click("#seal-yes")
    expect(page.locator("#tube-label")).not_to_contain_text("T0001")
    tube = Tube.objects.get(round=rnd, barcode="T0001")
    assert (tube.state, tube.count) == ("sealed", 1)
    assert Sample.objects.filter(round=rnd).count() == 1
    assert page.problems == [], page.problems


def test_planning_form_fits_360_and_keeps_what_was_typed(phone_page, world):
    page = phone_page
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, "staff_a")
    page.goto(f"{page.base}/screening/")  # no rounds yet: the form is open
    start = (timezone.localtime() + datetime.timedelta(days=1)).replace(hour=7, minute=0)
    page.fill("#r-name", "4月18日 第4轮核酸")
    page.select_option("#r-kind", "pcr")
    page.fill("#r-start", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#r-end", (start - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))  # before
    page.fill("#r-pool", "20")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    for field in ("#r-start", "#r-end"):
        box = page.locator(field).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, field
    page.shot("screening-ux-plan-360")
    page.click("#plan button.primary")
    page.wait_for_selector("#plan .error")
    page.shot("screening-ux-plan-360-error")
    assert not Round.objects.exists()
    expect(page.locator("#plan")).to_contain_text("结束时间须晚于开始时间")  # by the field
    assert page.input_value("#r-name") == "4月18日 第4轮核酸"
    assert page.input_value("#r-start") == start.strftime("%Y-%m-%dT%H:%M")
    assert page.input_value("#r-pool") == "20"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # corrected, it goes through
    page.fill("#r-end", (start + datetime.timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M"))
    page.click("#plan button.primary")
    page.wait_for_selector("h1:has-text('第4轮核酸')")
    assert Round.objects.get().pool_size == 20


def test_positive_pool_is_on_the_staff_home_at_once(phone_page, world, rnd):
    page = phone_page
    positive_pool(world, rnd)
    log_in(page, "staff_a")
    alert = page.locator("#positive-alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("苏霞")
    expect(alert).to_contain_text("光明小区 1号楼 1单元 101")
    assert alert.bounding_box()["y"] < 200  # at the top, before anything else
    page.shot("screening-ux-positive-alert")
    page.click("#positive-alert >> text=去单采复核")
    page.wait_for_selector("text=苏霞")
    assert f"/screening/rounds/{rnd.id}/followups/" in page.url
