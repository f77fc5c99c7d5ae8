"""On a phone in Chromium: staff call more people for a call under way whose sign-up has
closed (补充召集), asked first, and a free volunteer can then answer it. Screenshots:
test-output/screenshots/volunteers-refill-*.png."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fangkong.notify.models import Notification
from fangkong.volunteers.actions import answers, calls
from fangkong.volunteers.models import Call
from tests.conftest import actor_for, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_call_more_people_for_a_closed_call_under_way(phone_page, world, make_volunteer):
    page = phone_page
    page.set_viewport_size({"width": 390, "height": 844})
    staff = actor_for(world.users.staff)
    start = timezone.now() - datetime.timedelta(minutes=20)
    call = calls.create_call(staff, world.community, {
        "title": "采样点协助", "task": "sampling", "place": world.building.id,
        "starts_at": start.isoformat(), "ends_at": (start + datetime.timedelta(hours=6)).isoformat(),
        "slots": 1})
    on, free = make_volunteer(1), make_volunteer(2)
    answers.sign_up(actor_for(on.user), call)
    calls.close_call(staff, Call.objects.get(pk=call.pk))
    log_in(page, "staff_a")
    page.goto(f"{page.base}/volunteers/calls/{call.id}/")
    expect(page.locator("#refill")).to_have_attribute("open", "")  # closed and under way: unfolded
    page.fill("#refill-add", "2")
    page.shot("volunteers-refill-form")
    page.click("#refill button")
    expect(page.locator(".confirm")).to_contain_text("所需人数：1 → 3")
    expect(page.locator(".confirm")).to_contain_text("1 名尚未报名、该时段空闲的志愿者")
    page.shot("volunteers-refill-ask")
    page.click(".confirm-yes button")
    expect(page.locator(".msg.success")).to_contain_text("已通知 1 名志愿者")
    page.shot("volunteers-refill-done")
    c = Call.objects.get(pk=call.pk)
    assert (c.slots, c.accepting) == (3, True)
    assert Notification.objects.filter(kind="volunteers.call_refill", user_id=free.user_id).count() == 1
    assert page.problems == [], page.problems
