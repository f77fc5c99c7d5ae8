"""On a phone (390×844, real Chromium): a community worker whose role needs two-step login
sets it up, keeps the recovery codes, logs in again with the app's code; someone guessing
passwords is told when to try again. Screenshots in test-output/screenshots/ (two-step-*)."""

import re

import pytest
from django.core.cache import cache

from tests.accounts.test_two_step import app_code, next_code
from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_worker_sets_up_two_step_login_and_logs_in_with_the_code(phone_page, world, settings):
    settings.FANGKONG_TOTP_REQUIRED_ROLES = ["staff"]
    cache.clear()
    page = phone_page
    log_in(page, "staff_a")
    assert "/two-step/" in page.url  # sent to set it up before anything else
    page.shot("two-step-01-required")
    page.click("button.primary")  # 设置两步登录
    page.wait_for_selector("svg.qr")
    page.shot("two-step-02-scan")
    key = page.text_content("#totp-key")
    page.fill("#id_code", app_code(key))
    page.click("button.primary")
    page.wait_for_selector("#recovery-codes")
    page.shot("two-step-03-recovery-codes")
    codes = re.findall(r"[a-z2-9]{4}-[a-z2-9]{4}", page.text_content("#recovery-codes"))
    assert len(codes) == 10
    page.click("a.btn.primary")  # kept them, continue
    assert "/two-step/" not in page.url

    # log out, log in again: password, then the app's code
    page.click("summary[aria-label]")
    page.click("form[action='/logout/'] button")
    page.wait_for_load_state()
    log_in(page, "staff_a")
    assert "/login/code/" in page.url
    page.fill("#id_code", "000000")
    page.click("section button.primary")
    page.wait_for_load_state()
    page.shot("two-step-04-wrong-code")
    assert page.is_visible("p.error")
    page.fill("#id_code", next_code(key, world.users.staff))
    page.click("section button.primary")
    page.wait_for_load_state()
    assert "/login/" not in page.url
    page.shot("two-step-05-logged-in")
    assert not [p for p in page.problems if "status of 400" not in p], page.problems  # wrong code


def test_someone_guessing_passwords_is_told_when_to_try_again(phone_page, world):
    cache.clear()
    page = phone_page
    for _n in range(5):
        log_in(page, "13800000001", "guess-guess")
    text = page.text_content("p.error")
    assert "分钟后" in text and re.search(r"\d\d:\d\d", text)
    page.shot("two-step-06-locked")
    log_in(page, "13800000001")  # the right password, while locked
    assert "/login/" in page.url and "分钟后" in page.text_content("p.error")
