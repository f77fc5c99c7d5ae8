"""On a phone (390×844) in headless Chromium: a person registers from the community's QR
link, staff approve and publish a call, the volunteer logs in by text code, answers the
call and checks in by opening the call's QR link. Screenshots in test-output/screenshots/
(volunteers-*.png) — look at them."""

import datetime

import pytest
from django.utils import timezone

from fangkong.volunteers.actions import registration
from fangkong.volunteers.models import Assignment, Volunteer
from tests.conftest import actor_for, sign_out, switch_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_register_approve_answer_and_check_in(phone_page, world, codes):
    page = phone_page
    link = registration.join_link(actor_for(world.users.staff), world.community)

    # 1. the QR poster's link, on the person's phone
    page.goto(f"{page.base}/join/{link.token}/")
    page.fill("#f-name", "李雪梅")
    page.fill("#f-phone", "139 0351 2288")
    page.click("text=发送验证码")
    page.wait_for_selector("#code-sent .msg")
    page.fill("#f-code", codes["13903512288"])
    page.fill("#f-id", "140106198703150023")
    page.fill("#f-home-q", "101")
    page.wait_for_selector("#homes input[type=radio]")
    page.check("#homes input[type=radio]")
    page.fill("#f-work", "迎泽区人民医院")
    page.check("input[name=party_member]")
    page.fill("#f-branch", "医院第二党支部")
    page.check("input[name=skills][value=medical]")
    page.check("input[name=days][value=sat]")
    page.shot("volunteers-01-register-form")
    page.check("input[name=consent]")
    page.click("text=提交报到")
    page.wait_for_selector(".card.highlight")
    page.shot("volunteers-02-registered")
    v = Volunteer.objects.get(phone="13903512288")
    assert v.status == "pending" and v.party_branch == "医院第二党支部"

    # 2. staff approve and publish a call starting in half an hour
    switch_to(page, "staff_a")
    page.goto(f"{page.base}/volunteers/c/{world.community.id}/people/?status=pending")
    page.shot("volunteers-03-pending")
    page.click(f"#v{v.id} button[value=approve]")
    page.wait_for_load_state()
    assert Volunteer.objects.get(pk=v.id).status == "approved"
    page.goto(f"{page.base}/volunteers/c/{world.community.id}/poster/")
    assert page.locator(".qr-box svg").count() == 1
    page.shot("volunteers-03b-poster")
    page.goto(f"{page.base}/volunteers/c/{world.community.id}/calls/new/")
    start = timezone.localtime() + datetime.timedelta(minutes=30)
    page.select_option("#f-task", "sampling")
    page.fill("#f-title", "1号楼核酸采样")
    page.select_option("#f-place", str(world.building.id))
    page.fill("#f-start", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#f-end", (start + datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#f-slots", "2")
    page.fill("#f-briefing", "带好身份证，提前十分钟到 1号楼下。")
    page.shot("volunteers-04-call-form")
    page.click("text=发布召集令 >> nth=-1")
    page.wait_for_selector("form.confirm-yes")  # asked first: it texts people at once
    page.shot("volunteers-04b-call-asked")
    page.click("form.confirm-yes button")
    page.wait_for_selector("text=签到二维码")
    page.shot("volunteers-05-call-published")

    # 3. the volunteer logs in with a text code and answers
    sign_out(page)
    page.goto(f"{page.base}/volunteers/login/")
    page.fill("#f-phone", "13903512288")
    page.click("text=发送验证码")
    page.wait_for_selector("#f-code")
    page.fill("#f-code", codes["13903512288"])
    page.click("button.primary")
    page.wait_for_selector("text=1号楼核酸采样")
    page.shot("volunteers-06-my-calls")
    page.click("text=1号楼核酸采样")
    page.click("text=我来！")
    page.wait_for_selector("text=报名成功")
    page.shot("volunteers-07-answered")
    a = Assignment.objects.get(volunteer=v)
    assert a.status == "confirmed"

    # 4. on the spot: the QR opens the check-in page
    page.goto(f"{page.base}/volunteers/scan/{a.call.token}/")
    page.click("button[value=in]")
    page.wait_for_selector("button[value=out]")
    page.shot("volunteers-08-checked-in")
    a.refresh_from_db()
    assert a.check_in_at is not None
    switch_to(page, "staff_a")
    page.goto(f"{page.base}/volunteers/c/{world.community.id}/")
    page.shot("volunteers-09-community")
    page.goto(f"{page.base}/volunteers/calls/{a.call_id}/")
    assert "李雪梅" in page.text_content("#confirmed + ul")
    page.shot("volunteers-10-call-roster")
    assert not page.problems, page.problems
