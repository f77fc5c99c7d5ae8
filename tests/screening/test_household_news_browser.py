"""On a phone in Chromium: the family's landing page after a positive pool and after the
single re-tests (a case at home, the housemate a close contact), and the staff's household
page with the follow-up. Screenshots: test-output/screenshots/household-news-*.png — looked
at as a tired 60-year-old would: the first screen says who, what it means and what to do."""

import pytest
from playwright.sync_api import expect

from fangkong.core.actor import Actor
from fangkong.screening.actions import followup, lab
from fangkong.screening.models import FollowUp
from tests.conftest import log_in

from .test_alert import positive_pool

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_wider_than_the_phone(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide on a 390px phone"


def test_the_family_reads_what_to_do_on_its_first_screen(phone_page, world, rnd):
    positive_pool(world, rnd)
    page = phone_page
    log_in(page, "resident_a")
    panel = page.locator("#testing-now")
    expect(panel).to_contain_text("我家现在的检测情况")
    expect(page.locator(f"#st{world.su.id}")).to_contain_text("混管阳性，等待单独复核")
    expect(page.locator(f"#st{world.su.id}")).to_contain_text("工作人员会上门单独采样")
    # on the first screen, without scrolling
    box = page.locator(f"#st{world.su.id} .step").bounding_box()
    assert box is not None and box["y"] + box["height"] <= 844, box
    no_wider_than_the_phone(page)
    page.shot("household-news-1-family-held")
    # the inbox tells them too
    page.goto(f"{page.base}/inbox/")
    expect(page.locator("main")).to_contain_text("苏霞、于海涛：混管检测异常")
    page.shot("household-news-2-family-inbox")

    staff = Actor.system(world.users.staff)
    followup.record_retest(staff, FollowUp.objects.get(resident=world.su), "S0001")
    followup.record_retest(staff, FollowUp.objects.get(resident=world.yu), "S0002")
    lab.record_results(Actor.system(world.users.lab), [
        {"_row": 1, "barcode": "S0001", "result": "positive"},
        {"_row": 2, "barcode": "S0002", "result": "negative"}], source="upload")
    page.goto(f"{page.base}/")
    expect(panel.locator(".say.bad")).to_contain_text("家里有人确诊阳性")
    case = page.locator(f"#st{world.su.id}")
    expect(case).to_have_class("status tone-case")
    expect(case).to_contain_text("社区工作人员会尽快打电话给您")
    contact = page.locator(f"#st{world.yu.id}")
    expect(contact).to_contain_text("密切接触者")
    expect(contact).not_to_contain_text("已解除")
    # a case looks different from "not reported": red, not amber
    red = case.evaluate("e => getComputedStyle(e).borderTopColor")
    amber = contact.evaluate("e => getComputedStyle(e).borderTopColor")
    assert red != amber, (red, amber)
    no_wider_than_the_phone(page)
    page.shot("household-news-3-family-case")
    assert not page.problems, page.problems


def test_the_staff_household_page_shows_the_follow_up(phone_page, world, rnd):
    positive_pool(world, rnd)
    staff = Actor.system(world.users.staff)
    followup.record_retest(staff, FollowUp.objects.get(resident=world.su), "S0001")
    followup.record_retest(staff, FollowUp.objects.get(resident=world.yu), "S0002")
    lab.record_results(Actor.system(world.users.lab), [
        {"_row": 1, "barcode": "S0001", "result": "positive"},
        {"_row": 2, "barcode": "S0002", "result": "negative"}], source="upload")
    page = phone_page
    log_in(page, "staff_a")
    # from the case alert on the staff's home to the household
    page.click("#positive-alert >> text=苏霞")
    expect(page.locator("#testing-now")).to_contain_text("检测与随访")
    expect(page.locator(f"#st{world.yu.id}")).to_contain_text("同户，密接")
    no_wider_than_the_phone(page)
    page.shot("household-news-4-staff-household")
    page.click(f"#st{world.su.id} >> text=随访页")
    expect(page.locator("main")).to_contain_text("单采复核阴性，不解除")
    no_wider_than_the_phone(page)
    page.shot("household-news-5-staff-followups")
    assert not page.problems, page.problems
