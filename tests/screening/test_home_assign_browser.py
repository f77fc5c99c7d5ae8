"""The sampler's 我的任务 on a phone (390×844): the home visit staff gave them, with the
person's name, full address, phone and 卧床, and the station opened from it looks the
person up at once. Screenshot in test-output/screenshots/."""

import pytest
from playwright.sync_api import expect

from fangkong.core.actor import Actor
from fangkong.screening.actions import followup, home_assign, planning
from fangkong.screening.models import HomeVisit
from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_sampler_sees_the_visit_given_to_them_and_opens_the_station_for_it(phone_page, world, rnd):
    staff = Actor.system(world.users.staff)
    followup.generate_home_list(staff, rnd)
    s = planning.assign_sampler(staff, rnd, world.point, world.users.volunteer, 1)
    hv = HomeVisit.objects.get(round=rnd, resident=world.xia)
    home_assign.assign_home_visits(staff, rnd, [hv.id], s)
    page = phone_page
    assert page.viewport_size == {"width": 390, "height": 844}
    log_in(page, "volunteer_a")
    page.goto(f"{page.base}/volunteers/")
    row = page.locator("#home-visits li.home-visit")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("夏明")
    expect(row).to_contain_text("卧床")
    expect(row).to_contain_text(world.xia.household.door)
    expect(page.locator("body")).not_to_contain_text("目前没有任务")
    box = row.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390  # nothing off the screen's side
    page.shot("screening-my-home-visits")
    row.get_by_role("link", name="登记采样（采样台）").click()
    page.wait_for_selector("#find-input")
    expect(page.locator("#find-input")).to_have_value("夏明")
    expect(page.locator("#found li")).to_contain_text("夏明")
