"""On a phone (390×844): lifting 1号楼 on the day it was sealed, the staff tap "立即发布…" and
the confirm step opens with "规则未满足，确定仍要解除？" and the place's line, on the first
screen, above the notice, the households and the other warnings (it was the end of one red
paragraph of ~8 lines). Screenshot zones-alarm-01-confirm.png — look at it."""

import pytest

from fangkong.zones.actions.policy import install_presets
from tests.conftest import log_in

from .test_publish_alarm import lift_on_day_0

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_rule_not_met_is_at_the_top_of_the_confirm_step_on_a_phone(phone_page, world):
    install_presets()
    adj = lift_on_day_0(world)
    page = phone_page
    log_in(page, "staff_a")
    page.goto(f"{page.base}/zones/adjustments/{adj.id}/")
    page.click("form[action$='/publish/'] button")
    page.wait_for_selector("#confirm-alarm")
    alarm = page.locator("#confirm-alarm")
    assert alarm.locator("h2").inner_text() == "规则未满足，确定仍要解除？"
    first = alarm.locator("li").first.inner_text()
    assert first.startswith("1号楼（封控区）：") and "无新增第0/14天" in first, first
    box = alarm.bounding_box()
    assert box["y"] + box["height"] <= 844, box  # on the first screen, no scrolling
    title = page.locator("#confirm-title").bounding_box()
    below = [page.locator(".confirm p").first.bounding_box(), page.locator(".confirm p.error").first.bounding_box()]
    assert title["y"] < box["y"] and all(box["y"] + box["height"] <= b["y"] for b in below), (box, below)
    assert page.locator(".confirm p.error").count() == 3  # the rule, the overlap, the notice's time: each its own line
    page.shot("zones-alarm-01-confirm")
