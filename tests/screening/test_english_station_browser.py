"""The station in English counts a tube's last place in the singular ("1 place left.", was
"1 places left."): the script gets both forms and picks by the count. What is scanned
while a tube's answer is on its way waits for it."""

import pytest
from playwright.sync_api import expect

from fangkong.screening.models import Tube
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


def test_a_person_scanned_before_the_tubes_answer_waits_for_the_tube(phone_page, world, rnd):
    """A quick hand scans the first person before the server has answered for the tube.
    The person's code was read with no tube open and opened as a tube named after it
    ("Tube YU4MKD-… open"); it now waits for the tube and goes into it."""
    page = phone_page
    log_in(page, "staff_a")
    page.goto(f"{page.base}/screening/rounds/{rnd.id}/station/")
    page.wait_for_selector("#scan-input")
    held = []
    page.route("**/tubes", lambda route: held.append(route))  # the tube's answer is late: held until let go
    scan(page, "T0001")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the tube was never asked for"
    scan(page, world.su.token)  # before the tube's answer
    held[0].continue_()
    expect(page.locator("#tube-label")).to_contain_text("T0001")
    expect(page.locator("#tube-left")).to_have_text("2")
    expect(page.locator("#say")).to_contain_text("苏霞")
    # a second tube asked for at the scan would have been held before the first's answer came
    assert len(held) == 1  # the person's code was not sent as a second tube
    assert list(Tube.objects.filter(round=rnd).values_list("barcode", flat=True)) == ["T0001"]
    assert not page.problems, page.problems
