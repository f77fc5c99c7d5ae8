"""On a phone in Chromium: a grid worker exempts someone of their own grid from the round —
the result names the full address, the reason must be chosen, a note goes with it, and the
confirm step names whom, where and why before anything is written.
Screenshots: test-output/screenshots/exempt-search.png, exempt-confirm.png."""

import pytest
from playwright.sync_api import expect

from fangkong.screening.models import Exemption
from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_grid_worker_exempts_someone_after_a_confirm_step(phone_page, world, rnd):
    page = phone_page
    log_in(page, "grid_a")
    page.goto(f"{page.base}/screening/rounds/{rnd.id}/")
    page.locator(f'.actions a[href="/screening/rounds/{rnd.id}/exemptions/"]').click()
    page.locator("input[name=q]").fill("王新勇")
    page.locator("form.search button").click()
    row = page.locator("li.row", has_text="王新勇")
    expect(row.locator(".address")).to_contain_text("光明小区 1号楼 2单元 201")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.shot("exempt-search")
    row.locator("button").click()  # no reason chosen: the browser holds the form
    expect(page.locator("section.confirm")).to_have_count(0)
    row.locator("select[name=reason]").select_option("other")
    row.locator("input[name=note]").fill("在外地出差")
    row.locator("button").click()
    confirm = page.locator("section.confirm")
    expect(confirm).to_contain_text("王新勇")
    expect(confirm).to_contain_text("光明小区 1号楼 2单元 201")
    expect(confirm).to_contain_text("其他原因")
    expect(confirm).to_contain_text("在外地出差")
    assert not Exemption.objects.exists()
    page.shot("exempt-confirm")
    confirm.locator(".confirm-yes button").click()
    expect(page.locator("#exempt-people")).to_contain_text("光明小区 1号楼 2单元 201")
    assert Exemption.objects.get().note == "在外地出差"
    assert not page.problems, page.problems


def test_grid_worker_removes_an_exemption_only_after_a_confirm_step(phone_page, world, rnd, system):
    """Removing asks first: whose exemption, and that they are on the missing list again;
    "no, go back" keeps it, "yes" removes it. Screenshot: exempt-remove-confirm.png."""
    from fangkong.screening.actions import planning

    planning.add_exemption(system, rnd, world.wang, "other", "在外地出差")
    page = phone_page
    log_in(page, "grid_a")
    page.goto(f"{page.base}/screening/rounds/{rnd.id}/exemptions/")
    page.locator("#exempt-people li.row", has_text="王新勇").locator("button[name=remove]").click()
    confirm = page.locator("section.confirm")
    expect(confirm.locator("h1")).to_have_text("确定移除王新勇的本轮免检？")
    expect(confirm).to_contain_text("光明小区 1号楼 2单元 201")
    expect(confirm).to_contain_text("移除后，王新勇将重新列入本轮未检名单，直到完成采样。")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.shot("exempt-remove-confirm")
    confirm.locator("a.btn", has_text="返回").click()  # "no, go back": nothing removed
    expect(page.locator("#exempt-people")).to_contain_text("王新勇")
    assert Exemption.objects.count() == 1
    page.locator("#exempt-people li.row", has_text="王新勇").locator("button[name=remove]").click()
    page.locator("section.confirm .confirm-yes button").click()
    expect(page.locator("#exempt-people")).not_to_contain_text("王新勇")
    assert not Exemption.objects.exists()
    assert not page.problems, page.problems
