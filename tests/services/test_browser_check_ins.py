"""On a phone (390×844), a worker opening a sealed place's services page lands on the
morning calls still to make, not on 27 sealed households' list (found on the vulnerable
walk: 晨间探视 began near y=3,900 of a 4,900 px page). Screenshots:
test-output/screenshots/services-check-ins-01-top, -02-overdue."""

import pytest
from playwright.sync_api import expect

from fangkong.services.actions import care
from tests.conftest import log_in, seal_now
from tests.services.conftest import build_services, households

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_calls_to_make_are_at_the_top_of_a_long_services_page(phone_page, world, settings):
    w, page = world, phone_page
    build_services(w)
    households(w, 24)  # a compound of sealed households with no supplies ordered: a long list
    seal_now(world, w.compound)
    care.check_ins_today()
    log_in(page, "grid_a")
    page.goto(f"{page.base}/services/p/{w.grid.id}/")
    calls = page.locator("#check-ins")
    expect(calls).to_contain_text("应问 2，已问 0，未问 2，无人应答 0")
    expect(page.locator("#check-ins-open")).to_contain_text("苏霞")
    box = calls.bounding_box()
    assert box is not None and box["y"] < 844, box  # in the first screen
    assert page.locator("#batches").bounding_box()["y"] > box["y"]
    page.shot("services-check-ins-01-top")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # past the deadline: said, and each call not made marked overdue
    settings.FANGKONG_CHECK_IN_BY = "00:00"
    page.goto(f"{page.base}/services/p/{w.grid.id}/")
    expect(page.locator("#check-in-by")).to_contain_text("已过 00:00")
    expect(page.locator("#check-ins-open .check-in-late")).to_have_count(2)
    page.shot("services-check-ins-02-overdue")
