"""On a phone in Chromium: the next morning staff open the list to settle (待核定), settle
the one who never checked out with the time he left — asked first with the hours — and mark
the one who never came. Screenshots: test-output/screenshots/volunteers-settle-*.png."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fangkong.volunteers.actions import answers, attendance, calls
from fangkong.volunteers.models import Assignment, Call
from tests.conftest import actor_for, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_settle_the_day_on_a_phone(phone_page, world, make_volunteer):
    page = phone_page
    staff = actor_for(world.users.staff)
    liu, jia = make_volunteer(1, name="刘宏军"), make_volunteer(2, name="贾晓燕")
    start = (timezone.now() + datetime.timedelta(hours=2)).replace(second=0, microsecond=0)
    call = calls.create_call(staff, world.community, {
        "title": "入户上门跑腿", "task": "delivery", "place": world.building.id,
        "starts_at": start.isoformat(), "ends_at": (start + datetime.timedelta(hours=2)).isoformat(), "slots": 5})
    places = {v.name: answers.sign_up(actor_for(v.user), call) for v in (liu, jia)}
    # the shift was yesterday evening: moved back (the actions stamp "now")
    back = datetime.timedelta(hours=14)
    Call.objects.filter(pk=call.pk).update(starts_at=start - back, ends_at=start - back + datetime.timedelta(hours=2),
                                           deadline=start - back)
    Assignment.objects.filter(call=call).update(starts_at=start - back, ends_at=start - back + datetime.timedelta(hours=2),
                                                signed_at=start - back - datetime.timedelta(hours=1),
                                                confirmed_at=start - back - datetime.timedelta(hours=1))
    attendance.confirm_attendance(staff, Assignment.objects.get(pk=places["刘宏军"].pk),
                                  check_in_at=(start - back).isoformat())

    log_in(page, "staff_a")
    page.goto(f"{page.base}/volunteers/c/{world.community.id}/")
    page.click("#to-settle")
    rows = page.locator("#unsettled")
    expect(rows).to_contain_text("刘宏军")
    expect(rows).to_contain_text("未签退")
    expect(rows).to_contain_text("无人签到")
    page.shot("volunteers-settle-01-list")

    row = page.locator(f"#a{places['刘宏军'].id}")
    left = timezone.localtime(start - back + datetime.timedelta(hours=1, minutes=30))
    row.locator("input[name=check_out_at]").fill(left.strftime("%H:%M"))
    row.locator("button", has_text="核定").click()
    expect(page.locator("#confirm-title")).to_have_text("核定 刘宏军 的时长？")
    expect(page.locator("main")).to_contain_text("将记 1.5 小时")
    page.shot("volunteers-settle-02-asked")
    page.click("text=是，核定")
    expect(page.locator(".msg").first).to_contain_text("已核定：刘宏军，1.5 小时")

    page.locator(f"#a{places['贾晓燕'].id}").locator("button", has_text="未到岗").click()
    expect(page.locator("#confirm-title")).to_contain_text("把 贾晓燕 记为")
    page.click("text=是，未到岗")
    expect(page.locator("#unsettled")).to_contain_text("没有待核定的记录")
    page.shot("volunteers-settle-03-done")
    assert Assignment.objects.get(pk=places["刘宏军"].pk).minutes == 90
    assert Assignment.objects.get(pk=places["贾晓燕"].pk).settled_at is not None
    assert page.problems == [], page.problems
