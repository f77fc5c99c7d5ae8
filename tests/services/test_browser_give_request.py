"""On a phone (390×844): the grid worker gives 杨存枝's medicine request. Her team on duty,
封控五组, lives in the sealed 1号楼: the select says "无人能外出", giving it to them is asked
first and warned about, and after "是" the page says nobody was told; then she gives it to
赵佳 (free, in no team), by name: "已交给赵佳：已通知本人。" (wip/walk_vulnerable.md, defect 2).
Screenshots: test-output/screenshots/services-give-*."""

import pytest

from fangkong.services.models import Request
from tests.conftest import log_in, seal_now
from tests.services.conftest import build_services
from tests.services.test_give_says_who_is_told import _free, _request

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_grid_worker_is_warned_about_a_sealed_team_and_gives_the_request_to_a_person(phone_page, world):
    w, page = world, phone_page
    svc = build_services(w)
    seal_now(w)
    free = _free(w, 31)
    req = _request(w)
    log_in(page, "grid_a")
    page.goto(f"{page.base}/services/requests/{req.id}/")
    assert "封控五组 · 无人能外出" in page.locator("#f-team").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator("#give-team").scroll_into_view_if_needed()
    page.shot("services-give-01-request")
    page.click("#give-team button")
    page.wait_for_selector(".confirm")
    assert "封控五组现在没有能外出的队员，没有人会收到通知" in page.inner_text("main")
    page.shot("services-give-02-asked")
    page.click("form.confirm-yes button")
    page.wait_for_load_state()
    assert "封控五组现在没有能外出的队员，没有人会收到通知：请交给其他队伍或个人。" in page.inner_text("main")
    page.shot("services-give-03-nobody-told")
    page.select_option("#f-assignee", str(free.user_id))
    page.click("#give-person button")
    page.wait_for_load_state()
    assert "已交给赵佳31：已通知本人。" in page.inner_text("main")
    page.shot("services-give-04-given-to-person")
    assert Request.objects.get(pk=req.pk).assignee_id == free.user_id
    assert svc.team.id
