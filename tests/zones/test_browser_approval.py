"""On a phone (390×844): the community's staff submit 1号楼's lift for the street's approval
(they have no "立即发布…" for it), the street's command finds it at the top of its home,
opens it and approves it, asked first; then the staff publish it. Screenshots
zones-approval-01-submit.png … 03-approved.png — look at them."""

import pytest

from fangkong.zones.actions.policy import install_presets
from fangkong.zones.models import Adjustment
from tests.conftest import log_in, switch_to

from .test_lift_approval import sealed_then_lift

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_street_approves_a_lift_on_a_phone(phone_page, world):
    install_presets()
    w = world
    lift = sealed_then_lift(w)
    page = phone_page
    log_in(page, "staff_a")
    page.goto(f"{page.base}/zones/adjustments/{lift.id}/")
    assert page.locator("form[action$='/publish/']").count() == 0
    page.shot("zones-approval-01-submit")
    page.click("form[action$='/submit/'] button")
    page.wait_for_selector("#confirm-title")
    page.click(".confirm-yes button")
    page.wait_for_selector("#approval-state")
    assert "等待街道指挥部审批" in page.inner_text("#approval-state")
    switch_to(page, "command_street")
    page.goto(f"{page.base}/places/{w.street.id}/")
    panel = page.locator("#awaiting-approval")
    assert lift.title in panel.inner_text()
    page.shot("zones-approval-02-street-home")
    panel.locator("a").first.click()
    page.click("form[action$='/approve/'] button")
    page.wait_for_selector("#confirm-title")
    assert "批准" in page.inner_text("#confirm-title")
    page.click(".confirm-yes button")
    page.wait_for_selector("#approval-state")
    assert "批准" in page.inner_text("#approval-state")
    page.shot("zones-approval-03-approved")
    lift.refresh_from_db()
    assert lift.state == Adjustment.State.DRAFT and lift.approved_by == w.users.street
