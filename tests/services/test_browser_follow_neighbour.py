"""On a phone (390×844): a resident asks for the bedridden neighbour at 102, then follows
the request — on her household's page under 为邻居求助的, and on the request's page its
state, who has it, when it was done and what was done at the door — without 102's phones
or names. Screenshots: test-output/screenshots/services-follow-*."""

import pytest
from playwright.sync_api import expect

from fangkong.services.actions import requests
from fangkong.services.models import Request
from tests.conftest import actor_for, log_in
from tests.services.conftest import build_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_asker_follows_the_neighbours_request_on_a_phone(phone_page, world):
    w, page = world, phone_page
    build_services(w)
    log_in(page, "resident_a")
    page.goto(f"{page.base}/services/households/{w.hh101.id}/")
    page.click("#request-box summary")
    page.select_option("#f-cat", "medicine")
    page.fill("#f-text", "102的夏大爷降压药吃完了")
    page.click("#for-neighbour summary")
    page.fill("#f-room", "102")
    page.click("#request-box button.primary")
    page.wait_for_load_state()
    expect(page.locator("body")).to_contain_text("已为 光明小区 1号楼 1单元 102 提交求助")
    mine = page.locator("#for-neighbours")
    expect(mine).to_contain_text("102的夏大爷降压药吃完了")
    expect(mine).to_contain_text("为 光明小区 1号楼 1单元 102")
    mine.scroll_into_view_if_needed()
    page.shot("services-follow-01-listed")
    _fits(page)

    r = Request.objects.get()
    staff = actor_for(w.users.staff)
    requests.done(staff, requests.take(staff, r), "药已送到门口，见到本人")
    page.reload()
    expect(page.locator("#for-neighbours")).to_contain_text("staff_a")
    page.click("#for-neighbours a")
    page.wait_for_load_state()
    expect(page.locator("#follower")).to_be_visible()
    expect(page.locator("#result")).to_contain_text("药已送到门口，见到本人")
    expect(page.locator("#done-at")).to_be_visible()
    expect(page.locator("#holder")).to_contain_text("staff_a")
    expect(page.locator("#door")).to_contain_text("光明小区 1号楼 1单元 102")
    body = page.locator("body").inner_text()
    assert "夏明" not in body and "6308" not in body and page.locator("#contacts").count() == 0
    assert page.locator("button[value=confirm]").count() == 0
    page.shot("services-follow-02-done")
    _fits(page)
    assert not page.problems, page.problems
