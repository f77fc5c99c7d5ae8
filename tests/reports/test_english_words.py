"""Dashboard English a non-native reader can follow (walked 2026-12-07, staff_guangming in
English): volunteer slots are not "places" (a place is a location on the same page), and the
note under a chart over days says plainly which days have no submitted report."""

import datetime

from django.utils import translation

from fangkong.core.figures import Chart
from fangkong.reports import charts
from fangkong.volunteers import figures as vfigures


def test_volunteer_slots_are_called_slots():
    with translation.override("en"):
        labels = {f.key: str(f.label) for p in [vfigures.PROVIDER] for f in p.figures}
    assert labels["slots_open"] == "Volunteer slots needed"
    assert labels["filled_open"] == "Volunteer slots filled"
    with translation.override("zh-hans"):
        labels = {f.key: str(f.label) for f in vfigures.PROVIDER.figures}
    assert labels["slots_open"] == "召集名额" and labels["filled_open"] == "已报名名额"


def test_the_days_counted_now_are_said_plainly():
    with translation.override("en"):
        c = Chart("hours", "Volunteer hours by day", [("1 Dec", 0, "0.0 h"), ("2 Dec", 60, "1.0 h")],
                  horizontal=False, days=[datetime.date(2026, 12, 1), datetime.date(2026, 12, 2)],
                  counted=[True, False])
        assert charts.note(c) == ("No report was submitted for 1 Dec, so those days show the figures as "
                                  "counted now. The other days show the figures of their submitted reports.")
