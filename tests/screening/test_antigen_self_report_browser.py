"""At phone size (390×844): a resident's positive antigen self-report is asked first, on a
page naming the person, their address and what follows ("go back" first, where the thumb
was), and the result is chosen from radio buttons, not a dropdown where one slip picks
阳性; at the station, a name two people share asks first by address before it is added.
Walked 2026-12-06. Screenshots in test-output/screenshots/."""

import pytest
from playwright.sync_api import expect

from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.screening.models import AntigenResult, FollowUp, Sample
from tests.conftest import log_in

from .test_antigen_browser import cassette_png, running_antigen_round

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_positive_self_report_asks_first_and_going_back_records_nothing(phone_page, world, tmp_path):
    page = phone_page
    rnd = running_antigen_round(world, "抗原第3轮")
    photo = cassette_png(tmp_path)
    log_in(page, "resident_a")
    page.goto(f"{page.base}/screening/antigen/mine/")
    row = page.locator("div.antigen-person", has_text="苏霞")
    assert row.locator("select").count() == 0
    expect(row.locator("label.result-positive")).to_contain_text("阳性")
    row.locator("input[type=radio][value=positive]").check()
    row.locator("input[type=file]").set_input_files(photo)
    page.shot("antigen-self-report-positive-chosen")
    row.locator("button").click()
    expect(page.locator("#confirm-title")).to_have_text("确定上报 苏霞 为阳性？")
    expect(page.locator("main")).to_contain_text("光明小区 1号楼 1单元 101")
    expect(page.locator("main")).to_contain_text("无法撤回")
    page.shot("antigen-self-report-positive-asked")
    assert not AntigenResult.objects.exists()
    page.click("text=不，返回")
    expect(page.locator("div.antigen-person", has_text="苏霞").locator(".badge")).to_have_count(0)
    assert not AntigenResult.objects.exists() and not FollowUp.objects.exists()

    # again, and "yes": recorded with the photo sent before the question
    row = page.locator("div.antigen-person", has_text="苏霞")
    row.locator("input[type=radio][value=positive]").check()
    row.locator("input[type=file]").set_input_files(photo)
    row.locator("button").click()
    page.click(".confirm-yes button")
    expect(page.locator("div.antigen-person", has_text="苏霞").locator(".badge")).to_have_text("阳性")
    a = AntigenResult.objects.get(resident=world.su, round=rnd)
    assert a.result == "positive" and a.photo and FollowUp.objects.filter(resident=world.su).exists()
    assert not page.problems, page.problems


def test_a_name_two_people_share_asks_first_at_the_station(phone_page, world, rnd):
    page = phone_page
    system = Actor.system()
    twin = reg.create_resident(system, world.hh201, {"name": "苏霞", "phone": "17446416999"})
    log_in(page, "staff_a")
    page.goto(f"{page.base}/screening/rounds/{rnd.id}/station/")
    page.wait_for_selector("#scan-input")
    page.fill("#scan-input", "T0009")
    page.press("#scan-input", "Enter")
    expect(page.locator("#tube-left")).to_have_text("3")
    page.click("text=无核酸码人员查找")
    page.fill("#find-input", "苏霞")
    page.click("#find-form button")
    expect(page.locator("#found li")).to_have_count(2)
    row = page.locator("#found li", has_text="2单元")
    row.locator("button").click()
    expect(page.locator("#say")).to_contain_text("2单元")
    expect(row.locator("button")).to_have_text("确定加入此人")
    page.shot("station-same-name-asked")
    assert not Sample.objects.exists()
    expect(row.locator("button")).to_be_enabled()  # the second tap of a double tap is not an answer
    row.locator("button").click()
    expect(page.locator("#tube-left")).to_have_text("2")
    s = Sample.objects.get()
    assert s.resident_id == twin.id
    assert not page.problems, page.problems


def test_one_person_found_is_added_with_one_tap(phone_page, world, rnd):
    page = phone_page
    log_in(page, "staff_a")
    page.goto(f"{page.base}/screening/rounds/{rnd.id}/station/")
    page.wait_for_selector("#scan-input")
    page.fill("#scan-input", "T0010")
    page.press("#scan-input", "Enter")
    expect(page.locator("#tube-left")).to_have_text("3")
    page.click("text=无核酸码人员查找")
    page.fill("#find-input", "王新勇")
    page.click("#find-form button")
    expect(page.locator("#found li")).to_have_count(1)
    page.locator("#found li button").click()
    expect(page.locator("#tube-left")).to_have_text("2")
    assert Sample.objects.get().resident_id == world.wang.id
