"""The station in English counts a tube's last place in the singular ("1 place left.", was
"1 places left."): the script gets both forms and picks by the count."""

import pytest
from playwright.sync_api import expect

from tests.conftest import log_in
from tests.screening.test_browser import scan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_station_says_one_place_left_in_the_singular(phone_page, world, rnd):
    page = phone_page
    log_in(page, "staff_a")
    page.click("text=English")
    page.wait_for_load_state()
    page.goto(f"{page.base}/screening/rounds/{rnd.id}/station/")
    page.wait_for_selector("#scan-input")
    scan(page, "T0001")  # a tube of 3
    expect(page.locator("#tube-left-label")).to_have_text("places left")
    scan(page, world.su.token)
    expect(page.locator("#say")).to_contain_text("2 places left.")
    scan(page, world.yu.token)
    expect(page.locator("#tube-left")).to_have_text("1")
    expect(page.locator("#tube-left-label")).to_have_text("place left")
    expect(page.locator("#say")).to_contain_text("1 place left.")
    page.shot("screening-station-en-one-place-left")
    assert not page.problems, page.problems
