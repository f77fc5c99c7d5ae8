"""On a phone (390×844): the zones page's "plan this round" opens the planning form filled
in; the resident list and the missing list show each sealed household's tag. Screenshots
in test-output/screenshots/ (zones-plan-*.png, zones-tags-*.png) — look at them."""

import pytest

from fangkong.zones.actions.policy import install_presets
from tests.conftest import log_in
from tests.zones.test_rules import designate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_plan_from_cadence_and_tags_on_lists(phone_page, world):
    install_presets()
    w, page = world, phone_page
    designate(w, w.unit1, "sealed")
    log_in(page, "staff_a")
    page.goto(f"{page.base}/zones/p/{w.compound.id}/")
    page.locator("details:has(a[href*=\"plan=1\"]) > summary").click()  # the cadence
    page.shot("zones-plan-01-cadence")
    page.locator("text=安排这轮核酸").first.click()
    page.wait_for_selector("#plan[open]")
    assert page.input_value("#r-pool") == "1" and "封控区" in page.input_value("#r-name")
    assert page.locator("#r-place option:checked").inner_text() == w.compound.name
    page.shot("zones-plan-02-form-prefilled")
    page.click("text=安排本轮检测")
    page.wait_for_load_state()
    assert "封控区" in page.inner_text("h1")
    page.goto(f"{page.base}/places/{w.community.id}/residents/")
    assert page.locator(".zone.zone-sealed").count() == 3
    page.shot("zones-tags-01-residents")
    assert not page.problems, page.problems
