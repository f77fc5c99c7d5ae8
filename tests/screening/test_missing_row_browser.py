"""On a phone in Chromium (390×844): a grid worker, after calling someone on the missing
list, taps "不在本地…" on the row, reads whom it is about and what it does, confirms, and is
back at the same place in the list with the person gone and the count one less; "免检…"
asks for a reason first ("away" and "in hospital" are not reasons: "住院…" sits beside
"不在本地…"). Screenshots: test-output/screenshots/missing-row.png,
missing-away-confirm.png, missing-after-away.png, missing-exempt-confirm.png."""

import pytest
from playwright.sync_api import expect

from fangkong.registry.models import Presence
from fangkong.screening.models import Exemption
from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_grid_worker_marks_someone_away_from_the_row_and_comes_back_to_it(phone_page, world, rnd):
    page = phone_page
    log_in(page, "grid_a")
    page.goto(f"{page.base}/screening/rounds/{rnd.id}/missing/?place={world.grid.id}")
    expect(page.locator("h1 small.kind")).to_contain_text("· 4")
    row = page.locator(f"#m-{world.xia.id}")
    expect(row.locator("form.away button")).to_have_text("不在本地…")
    expect(row.locator("form.hospital button")).to_have_text("住院…")
    expect(row.locator("form.exempt button")).to_have_text("免检…")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # three buttons fit
    page.shot("missing-row")
    row.locator("form.away button").click()
    confirm = page.locator("section.confirm")
    expect(confirm.locator("h1")).to_have_text("确认夏明不在本地？")
    expect(confirm).to_contain_text("光明小区 1号楼 1单元 102")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.shot("missing-away-confirm")
    world.xia.refresh_from_db()
    assert world.xia.presence == Presence.HOME
    confirm.locator(".confirm-yes button").click()
    expect(page).to_have_url(f"{page.base}/screening/rounds/{rnd.id}/missing/?place={world.grid.id}#said")
    expect(page.locator(f"#m-{world.xia.id}")).to_have_count(0)
    expect(page.locator("h1 small.kind")).to_contain_text("· 3")
    expect(page.locator("body")).to_contain_text("夏明不在本地，已不计入未检。")
    page.shot("missing-after-away")
    world.xia.refresh_from_db()
    assert world.xia.presence == Presence.AWAY
    # 免检…: a reason must be chosen (none preset), "away" is not one
    page.locator(f"#m-{world.wang.id} form.exempt button").click()
    confirm = page.locator("section.confirm")
    expect(confirm.locator("h1")).to_have_text("确定本轮免检王新勇？")
    expect(confirm.locator("input[name=reason][value=away]")).to_have_count(0)
    expect(confirm.locator("input[name=reason][value=hospital]")).to_have_count(0)
    confirm.locator(".confirm-yes button").click()  # nothing chosen: the browser holds it
    assert not Exemption.objects.exists()
    confirm.locator("input[name=reason][value=vaccinated]").check()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.shot("missing-exempt-confirm")
    confirm.locator(".confirm-yes button").click()
    expect(page.locator("h1 small.kind")).to_contain_text("· 2")
    assert Exemption.objects.get().reason == "vaccinated"
    assert not page.problems, page.problems
