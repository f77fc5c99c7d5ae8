"""The dashboard and the nightly report in headless Chromium, at phone size (390×844) and on
a desktop: no CSP violation or script error, figures and charts shown, the report submitted
with its confirmation, the street's completeness. Screenshots in
test-output/screenshots/reports-*.png — look at them."""

import pytest

from fangkong.reports.models import DailyReport
from tests.conftest import log_in, switch_to
from tests.reports.conftest import build_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dashboard_report_and_completeness_on_a_phone(phone_page, world):
    page, w = phone_page, build_day(world)
    log_in(page, "staff_a")
    page.goto(f"{page.base}/reports/places/{w.community.id}/")
    page.wait_for_selector("svg.chart")
    assert page.locator("[data-figure=residents] strong").inner_text() == "4"
    assert page.locator("svg.chart").count() >= 2
    page.shot("reports-01-dashboard-phone")
    # yesterday's report: figures as of 20:00, remarks, submit (asks first)
    page.goto(f"{page.base}/reports/places/{w.community.id}/days/{w.day}/")
    assert page.locator("[data-figure=sampled] strong").inner_text() == "1"
    page.fill("#remarks", "夏明 20:01 采样，计入次日")
    page.shot("reports-02-report-draft")
    page.click("text=提交日报…")
    page.wait_for_selector(".confirm")
    page.shot("reports-03-confirm")
    page.click("text=确认上报并锁定")
    page.wait_for_selector("[data-status=submitted]")
    page.shot("reports-04-submitted")
    r = DailyReport.objects.get(place=w.community, day=w.day)
    assert r.status == "submitted" and r.remarks.startswith("夏明")
    # the street: who has reported, the reminder
    switch_to(page, "command_street")
    page.goto(f"{page.base}/reports/places/{w.street.id}/completeness/?day={w.day}")
    page.shot("reports-05-completeness")
    page.click("text=提醒 1 个未上报的单位")
    page.shot("reports-06a-remind-question")  # asked first: whom, how (walk_street.md defect 7)
    page.click("text=是，发送提醒")
    page.wait_for_selector(".msg")
    page.shot("reports-06-reminded")
    # the street's own report: its communities' reports summed, who is missing
    page.goto(f"{page.base}/reports/places/{w.street.id}/days/{w.day}/")
    assert page.locator("[data-figure=sampled] strong").inner_text() == "1"
    assert page.locator("tr.state-missing").count() == 1
    page.shot("reports-08-street-report-phone")
    assert page.problems == []


def test_street_dashboard_on_a_desktop(phone_page, world):
    page, w = phone_page, build_day(world)
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, "command_street")
    page.goto(f"{page.base}/reports/places/{w.street.id}/")
    page.wait_for_selector("table.kids")
    rows = page.locator("table.kids tbody th").all_inner_texts()
    assert rows == ["光明社区", "惠泽苑社区"]  # worst coverage first
    page.shot("reports-07-street-desktop")
    assert page.problems == []
