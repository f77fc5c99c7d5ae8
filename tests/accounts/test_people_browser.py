"""On a phone (390×844, real Chromium): community staff add a grid worker — the place list
offers only grids once 网格员 is chosen, nothing chosen for them — and read the username
and first password off the next page; a locked account shows on the list, with 解除锁定
and 重设密码; the new account's row says until when its one-time password works, then that
it expired, and the login refuses it saying so. Screenshots in test-output/screenshots/
(people-*)."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.utils import timezone

from fangkong.accounts.models import User
from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_add_a_grid_worker_and_see_a_locked_account_on_a_phone(phone_page, world):
    cache.clear()
    page = phone_page
    for _n in range(5):  # the grid worker forgot her password at 2 a.m.
        log_in(page, "grid_a", "guess-guess")
    log_in(page, "staff_a")
    page.goto(page.base + "/people/")
    row = page.locator("li.row", has_text="grid_a")
    assert re.search(r"已锁定，至 \d\d:\d\d", row.inner_text())
    assert row.locator("button", has_text="解除锁定").is_visible()
    assert row.locator("button", has_text="重设密码").is_visible()
    page.shot("people-01-list-locked")

    page.click("#add-person summary")
    assert page.eval_on_selector("#p-place", "s => s.value") == ""  # nothing chosen for them
    page.fill("#p-name", "郭晓东")
    page.fill("#p-phone", "13912345678")
    page.select_option("#p-role", "grid")
    offered = page.eval_on_selector_all(
        "#p-place option:not([hidden])", "os => os.map(o => o.textContent)")
    assert offered[1:] == ["第一网格"], offered  # the empty "choose" one, then the grids
    assert page.eval_on_selector("#p-place", "s => s.value") == ""  # still not chosen
    page.select_option("#p-role", "staff")  # a role of the whole community: its one community
    assert page.eval_on_selector("#p-place", "s => s.value") == str(world.community.id)
    page.select_option("#p-role", "grid")
    assert page.eval_on_selector("#p-place", "s => s.value") == ""  # not the community for a grid
    page.select_option("#p-place", str(world.grid.id))
    page.shot("people-02-add-grid-worker")
    page.click("#add-person button.primary")
    page.wait_for_selector("#new-password")
    password = page.text_content("#new-password")
    assert re.fullmatch(r"[a-z2-9]{10}", password)
    assert page.text_content("#new-username").startswith("grid-")
    # large enough to read out: at least 24 px on a phone, and it fits the screen
    size = page.eval_on_selector("#new-password", "e => parseFloat(getComputedStyle(e).fontSize)")
    right = page.eval_on_selector("#new-password", "e => e.getBoundingClientRect().right")
    assert size >= 24 and right <= 390
    page.shot("people-03-first-password")
    username = page.text_content("#new-username")
    page.click("text=返回人员与角色")
    row = page.locator("li.row", has_text=username)
    assert "一次性密码有效期至" in row.inner_text()
    page.shot("people-04-on-a-one-time-password")

    # three days later the slip of paper no longer works, and the login says why
    User.objects.filter(username=username).update(
        one_time_password_at=timezone.now() - datetime.timedelta(hours=73))
    page.reload()
    assert "一次性密码已过期" in page.locator("li.row", has_text=username).inner_text()
    page.shot("people-05-one-time-password-expired")
    page.click("header summary")
    page.click("text=退出登录")
    log_in(page, username, password)
    assert "这个一次性密码已过期，请找社区工作人员重新设置。" in page.inner_text("main")
    page.shot("people-06-login-one-time-password-expired")
    assert not [p for p in page.problems if "status of 429" not in p], page.problems  # the lock
