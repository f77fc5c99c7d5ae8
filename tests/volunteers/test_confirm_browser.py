"""On a phone in Chromium: checking in does not put "check out" under the same thumb;
checking out asks first (with the hours it will credit), and a second tap can neither
check out nor confirm; the 指派 list starts empty. Screenshots: test-output/screenshots/
volunteers-confirm-*.png."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fangkong.volunteers.actions import answers, calls
from fangkong.volunteers.models import Assignment
from tests.conftest import actor_for, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in_by_code(page, phone, codes):
    page.goto(f"{page.base}/volunteers/login/")
    page.fill("#f-phone", phone)
    page.click("text=发送验证码")
    page.wait_for_selector("#f-code")
    page.fill("#f-code", codes[phone])
    page.click("button.primary")
    page.wait_for_load_state()


def hit(page, box):
    """The button or link a tap at the middle of `box` (a bounding box from the page before)
    lands on now ("" when it lands on no control)."""
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    return page.evaluate("([x, y]) => { const e = document.elementFromPoint(x, y);"
                         " const c = e && e.closest('button, a'); return c ? c.outerHTML : ''; }",
                         [x, y])


@pytest.fixture
def call(world, make_volunteer):
    staff = actor_for(world.users.staff)
    start = timezone.now() + datetime.timedelta(minutes=30)
    c = calls.create_call(staff, world.community, {
        "title": "1号楼核酸采样", "task": "sampling", "place": world.building.id,
        "starts_at": start.isoformat(), "ends_at": (start + datetime.timedelta(hours=3)).isoformat(),
        "slots": 3, "audience": "community"})
    return c


@pytest.mark.parametrize("size", [(360, 740), (390, 844)])
def test_check_in_then_out_asks_and_a_double_tap_does_nothing(phone_page, world, call, make_volunteer,
                                                              codes, size):
    page = phone_page
    page.set_viewport_size({"width": size[0], "height": size[1]})
    v = make_volunteer(1)
    answers.sign_up(actor_for(v.user), call)
    log_in_by_code(page, v.phone, codes)
    assert page.url.endswith("/volunteers/")  # their tasks and calls
    page.goto(f"{page.base}/volunteers/scan/{call.token}/")
    check_in = page.locator("button[value=in]").bounding_box()
    page.click("button[value=in]")
    page.wait_for_selector("button[value=out]")
    page.shot(f"volunteers-confirm-checked-in-{size[0]}")
    a = Assignment.objects.get(volunteer=v)
    assert a.check_in_at is not None
    assert "value=\"out\"" not in hit(page, check_in)  # the thumb that checked in finds no check-out

    check_out = page.locator("button[value=out]").bounding_box()
    page.click("button[value=out]")
    page.wait_for_selector(".confirm")
    page.shot(f"volunteers-confirm-check-out-ask-{size[0]}")
    expect(page.locator(".confirm")).to_contain_text("将记 0.0 小时")
    expect(page.locator(".confirm .error")).to_contain_text("不到一分钟")
    assert "是，签退" not in hit(page, check_out)  # a second tap cannot say yes
    page.click("text=不，返回")
    page.wait_for_selector("button[value=out]")
    a.refresh_from_db()
    assert a.check_out_at is None and a.minutes == 0  # still at work

    page.click("button[value=out]")
    page.click(".confirm-yes button")
    page.wait_for_selector("text=辛苦了")
    a.refresh_from_db()
    assert a.check_out_at is not None
    assert page.problems == [], page.problems


def test_assign_list_starts_with_nobody_chosen(phone_page, world, call, make_volunteer):
    page = phone_page
    make_volunteer(1)
    make_volunteer(2)
    log_in(page, "staff_a")
    page.goto(f"{page.base}/volunteers/calls/{call.id}/")
    select = page.locator("select[name=volunteer]")
    assert select.input_value() == ""  # the placeholder, not the first volunteer
    expect(select).to_contain_text("选择志愿者…")
    page.shot("volunteers-confirm-assign-list")
    page.click("form[action$='/assign/'] button")  # tapped without choosing: the browser asks
    assert not Assignment.objects.filter(call=call).exists()
    page.select_option("select[name=volunteer]", label=select.locator("option").nth(1).inner_text())
    page.click("form[action$='/assign/'] button")
    page.wait_for_selector("#confirmed + ul li strong")
    assert Assignment.objects.filter(call=call, status="confirmed").count() == 1
