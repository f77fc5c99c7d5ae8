"""On a phone (390×844) in headless Chromium: district command saves a zone type's rules with
one number out of range. The page says at the top, where it opens, that nothing was saved and
how many fields to correct; each field keeps what was typed and its error sits under it.
Screenshot: test-output/screenshots/zones-type-refused.png."""

import pytest

from fangkong.zones.actions.policy import install_presets
from fangkong.zones.models import RuleChange, ZoneType
from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_refused_save_says_so_at_the_top_and_keeps_what_was_typed(phone_page, world):
    install_presets()
    zt = ZoneType.objects.get(policy__is_active=True, code="controlled")
    page = phone_page
    log_in(page, "command_district")
    page.goto(f"{page.base}/zones/types/{zt.pk}/")
    page.fill("#f-pool_size", "8")
    page.fill("#f-lift_clean_days", "0")
    page.click("text=保存（按所填时间生效，留痕）")
    page.wait_for_selector("#not-saved")
    page.problems.clear()  # the refused save answers 400, which Chromium logs as a failed load
    page.shot("zones-type-refused")
    summary = page.locator("#not-saved")
    assert "没有保存：请改正下面标红的 1 项" in summary.inner_text()
    box = summary.bounding_box()
    assert box and box["y"] + box["height"] <= 844, box  # seen without scrolling
    assert page.input_value("#f-pool_size") == "8" and page.input_value("#f-lift_clean_days") == "0"
    # the summary's link leads to the field, whose error is right under it
    page.click("#not-saved a")
    err = page.locator("#f-lift_clean_days + p.error")
    assert "1至60天" in err.inner_text()
    assert 0 <= err.bounding_box()["y"] <= 844
    assert not RuleChange.objects.exists()
    zt.refresh_from_db()
    assert zt.pool_size == 10
