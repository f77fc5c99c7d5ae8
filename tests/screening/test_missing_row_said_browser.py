"""On a phone (390×844) a row action's outcome is said where the eyes are: the worker comes
back to the row that followed, far down a long list, and "夏明不在本地，已不计入未检。" stands
right above it, inside the screen — it was at the top of the page, out of sight (weak spot of
2026-12). Screenshot:
test-output/screenshots/missing-said-at-row.png."""

import pytest
from playwright.sync_api import expect

from fangkong.registry import actions as reg
from fangkong.registry.models import Presence
from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _in_view(page, selector) -> bool:
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 844


def test_the_outcome_of_a_row_action_is_in_view_at_the_row(phone_page, world, rnd, system):
    for i in range(30):  # a long list: 夏明 (1单元 102) and the next row far below the top
        reg.create_resident(system, world.hh101, {"name": f"住户{i:02d}"})
    for i in range(20):  # and rows below it, so that the page can bring #said to the top
        reg.create_resident(system, world.hh201, {"name": f"后户{i:02d}"})
    page = phone_page
    log_in(page, "grid_a")
    page.goto(f"{page.base}/screening/rounds/{rnd.id}/missing/?place={world.grid.id}")
    row = page.locator(f"#m-{world.xia.id}")
    row.scroll_into_view_if_needed()
    row.locator("form.away button").click()
    page.locator("section.confirm .confirm-yes button").click()
    said = page.get_by_role("status").filter(has_text="夏明不在本地，已不计入未检。")
    expect(said).to_have_count(1)  # said once
    expect(page.locator(f"#m-{world.xia.id}")).to_have_count(0)
    expect(said).to_be_in_viewport(ratio=1)  # brought to it (the page's #said)
    assert page.evaluate("window.scrollY") > 844  # far down the list, where the row was
    box = said.bounding_box()
    assert box and 0 <= box["y"] and box["y"] + box["height"] <= 844, f"the message is out of sight: {box}"
    header = page.locator("header.top, .top").first.bounding_box()
    assert header and box["y"] >= header["y"] + header["height"], (  # not under the sticky header
        f"the message is under the header: {box} vs {header}")
    assert _in_view(page, f"#m-{world.wang.id}")  # the row that followed, just below it
    expect(page.locator("main > .flash")).to_have_count(0)  # not at the top as well
    page.shot("missing-said-at-row")
    world.xia.refresh_from_db()
    assert world.xia.presence == Presence.AWAY
    assert not page.problems, page.problems
