"""At 02:00 on a phone (390×844), in headless Chromium: the street returned last night's
report; the community's home panel says so first ("12-06 日报已退回：… 修改后重新上报"), the
tap lands on the returned report with the way to send it again in its red banner, on the
first screen, and the tap there makes version 2, the draft to check and submit.
Screenshots in test-output/screenshots/returned-*.png — look at them."""

import datetime

import pytest
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.reports import actions
from fangkong.reports.models import DailyReport
from tests.conftest import PHONE, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def at(day, hh, mm=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hh, mm)))


def test_a_returned_report_is_found_and_sent_again_on_a_phone(phone_page, world):
    page, w = phone_page, world
    d = timezone.localdate() - datetime.timedelta(days=1)
    staff = Actor.system(w.users.staff)
    r1 = actions.submit(staff, actions.prepare(staff, w.community, d, now=at(d, 20, 10)), "", now=at(d, 20, 10))
    actions.return_report(Actor.system(w.users.street), r1, "核酸人数与采样点登记不符")

    log_in(page, "staff_a")
    page.goto(f"{page.base}/places/{w.community.id}/")
    owed = page.locator(f"[data-owed='{d.isoformat()}']")
    assert f"{d:%m-%d} 日报已退回：核酸人数与采样点登记不符" in owed.inner_text()
    assert "修改后重新上报" in owed.inner_text()
    page.shot("returned-01-home-panel")
    owed.click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/reports/{r1.id}/#returned")
    banner = page.locator("#returned")
    assert "已退回：核酸人数与采样点登记不符" in banner.inner_text()
    button = banner.locator("button", has_text="生成第2版草稿")  # what it does (walk_street.md defect 5)
    box = button.bounding_box()
    assert box and box["y"] + box["height"] <= PHONE["height"], box  # in view, not below ~35 tiles
    assert banner.bounding_box()["y"] >= 52  # the reason too, below the sticky header
    assert button.is_visible()
    page.shot("returned-02-banner")
    page.fill("#returned #reason", "已按采样点登记核对")
    button.click()
    page.wait_for_load_state()
    r2 = DailyReport.objects.get(place=w.community, day=d, current=True)
    assert r2.version == 2 and r2.status == "draft" and page.url.endswith(f"/reports/{r2.id}/")
    assert page.locator("button", has_text="提交日报…").count() == 1  # the draft's submit button
    page.shot("returned-03-version-2-draft")
    assert not page.problems, page.problems
