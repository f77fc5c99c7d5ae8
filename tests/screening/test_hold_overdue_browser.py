"""On a phone in Chromium: the follow-up page with holds past FANGKONG_HOLD_OVERDUE_HOURS —
who is overdue, in red, with how long and what is missing, on the first screen.
Screenshot: test-output/screenshots/followups-overdue.png."""

import pytest
from playwright.sync_api import expect

from fangkong.core.actor import Actor
from fangkong.screening.actions import followup
from fangkong.screening.models import FollowUp
from tests.conftest import log_in

from .test_alert import positive_pool
from .test_hold_overdue import _held_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_follow_up_page_shows_overdue_holds_in_red(phone_page, world, rnd):
    positive_pool(world, rnd)
    positive_pool(world, rnd, "T0002", people=[world.xia])
    followup.record_retest(Actor.system(world.users.staff), FollowUp.objects.get(resident=world.yu), "S0001")
    _held_for(world, 13, world.su, world.yu)
    page = phone_page
    log_in(page, "staff_a")
    page.goto(f"{page.base}/screening/rounds/{rnd.id}/followups/")
    expect(page.locator(".overdue-holds")).to_contain_text("已超时：2 人管控满 12 小时仍无单采复核结果")
    su = page.locator("li.row", has_text="苏霞").locator(".badge.overdue")
    expect(su).to_have_text("已超时：管控 13 小时，仍未单采复核")
    expect(page.locator("li.row", has_text="于海涛").locator(".badge.overdue")).to_contain_text("结果仍未出")
    expect(page.locator("li.row", has_text="夏明").locator(".badge.overdue")).to_have_count(0)
    red = su.evaluate("e => getComputedStyle(e).backgroundColor")
    assert red not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"), red
    box = su.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 844, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.shot("followups-overdue")
    # the staff's home: the count per round and the red line in the list
    page.goto(f"{page.base}/")
    expect(page.locator("#positive-alert .overdue-holds")).to_contain_text("已超时：2 人")
    page.shot("staff-home-overdue")
    assert not page.problems, page.problems
