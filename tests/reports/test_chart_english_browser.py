"""The dashboard's charts in English on a phone (walked 2026-12-07, 390×844, staff in English:
"Volunteer hours by day" topped its scale with ".9.0 h" for 19.0 h, the zones legend read
"Sealed area■Controlled ar…", the coverage rows "Not in …"). Every text of every chart is
inside its drawing and the screen, the legend's entries apart. Screenshot in
test-output/screenshots/reports-charts-english-phone.png."""

import pytest

from fangkong.core.actor import Actor
from fangkong.reports import actions
from fangkong.reports.models import DailyReport
from tests.conftest import log_in
from tests.reports.conftest import build_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_charts_read_whole_in_english_on_a_phone(phone_page, world):
    page, w = phone_page, build_day(world)
    staff = Actor.system(w.users.staff)
    r = actions.submit(staff, actions.prepare(staff, w.community, w.day), "")
    DailyReport.objects.filter(pk=r.pk).update(figures=r.figures | {
        "minutes_today": 1140, "sealed_people": 1234, "controlled_people": 567})
    log_in(page, "staff_a")
    page.click("text=English")
    page.goto(f"{page.base}/reports/places/{w.community.id}/")
    page.locator("svg.chart").first.wait_for()
    texts = []
    for chart in page.locator("svg.chart").all():
        outer = chart.bounding_box()
        right = min(outer["x"] + outer["width"], 390)
        boxes = []
        for t in chart.locator("text").all():
            b, s = t.bounding_box(), t.text_content()
            texts.append(s)
            assert outer["x"] <= b["x"] and b["x"] + b["width"] <= right + 0.5, (s, b, outer)
            assert outer["y"] <= b["y"] and b["y"] + b["height"] <= outer["y"] + outer["height"] + 0.5, (s, b, outer)
            for s2, b2 in boxes:  # no two texts overlap
                apart = (b["x"] + b["width"] <= b2["x"] + 0.5 or b2["x"] + b2["width"] <= b["x"] + 0.5
                         or b["y"] + b["height"] <= b2["y"] + 0.5 or b2["y"] + b2["height"] <= b["y"] + 0.5)
                assert apart, (s, s2, b, b2)
            boxes.append((s, b))
    page.shot("reports-charts-english-phone")
    assert "19.0 h" in texts and "Sealed area" in texts and "Controlled area" in texts
    assert page.problems == []
