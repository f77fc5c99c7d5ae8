"""The coverage chart's value labels fit at phone width (walked 2026-12-07, 390×844: the street
report's 各地覆盖率 read "29% (299/100", its "0)" cut off by the drawing's edge). A community of
1,000 to test with 299 tested: its label is drawn whole, inside the chart and the screen.
Screenshot in test-output/screenshots/reports-coverage-label-phone.png."""

import pytest

from fangkong.core.actor import Actor
from fangkong.reports import actions
from fangkong.reports.models import DailyReport
from tests.conftest import log_in
from tests.reports.conftest import build_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coverage_labels_fit_on_a_phone(phone_page, world):
    page, w = phone_page, build_day(world)
    staff = Actor.system(w.users.staff)
    r = actions.submit(staff, actions.prepare(staff, w.community, w.day), "")
    # a community of a real size (the figures as its submitted report keeps them)
    DailyReport.objects.filter(pk=r.pk).update(figures=r.figures | {
        "expected": 1000, "exempt": 0, "to_sample": 1000, "sampled": 299, "missing": 701, "coverage": 29})
    log_in(page, "command_street")
    page.goto(f"{page.base}/reports/places/{w.street.id}/days/{w.day}/")
    chart = page.locator("svg.chart").first
    chart.wait_for()
    label = chart.locator("text", has_text="29% (299/1000)")
    assert label.count() == 1
    box, outer = label.bounding_box(), chart.bounding_box()
    page.shot("reports-coverage-label-phone")
    right = min(outer["x"] + outer["width"], 390)
    assert outer["x"] <= box["x"] and box["x"] + box["width"] <= right, (box, outer)
    assert outer["y"] <= box["y"] and box["y"] + box["height"] <= outer["y"] + outer["height"]
    # every text of the drawing, the places' names too
    for t in chart.locator("text").all():
        b = t.bounding_box()
        assert outer["x"] <= b["x"] and b["x"] + b["width"] <= right, (t.text_content(), b, outer)
    assert page.problems == []
