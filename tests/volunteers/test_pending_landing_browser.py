"""On a phone (390×844): right after registering by the link, the person's page says whom
the registration waits for ("您的报到正在等待光明社区审核。") and what to do meanwhile, and
says it again when the link is opened later on that phone. Screenshot:
test-output/screenshots/volunteers-pending-landing.png."""

import pytest
from playwright.sync_api import expect

from fangkong.volunteers.actions import registration
from tests.conftest import actor_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_pending_registration_says_whom_it_waits_for_on_a_phone(phone_page, world, codes):
    page = phone_page
    link = registration.join_link(actor_for(world.users.staff), world.community)
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
    page.check("input[name=consent]")
    page.click("text=提交报到")
    status = page.locator("#registration-status")
    expect(status).to_contain_text("您的报到正在等待光明社区审核。")
    expect(status).to_contain_text("等待审核期间")
    expect(status).to_contain_text("修改报到信息")
    expect(status.locator('a[href="/volunteers/login/"]')).to_have_count(0)
    assert page.url.endswith(f"/join/{link.token}/")  # a reload posts nothing
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.shot("volunteers-pending-landing")
    page.reload()
    expect(page.locator("#registration-status")).to_contain_text("您的报到正在等待光明社区审核。")
    page.click("text=修改报到信息")
    expect(page.locator("#join-form")).to_be_visible()
    assert not page.problems, page.problems
