"""The charts over days show each past day as its submitted report says it (one figure,
defined once): a day's bar is the figure of that day's locked report of the node, never a
recount with today's residents or today's corrections; only a day without one is counted
now, and the chart says so (its table too). The dashboard, the report's charts and its PDF
show the same rows."""

import datetime
import re

from django.test import Client
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.reports import actions, charts, export_pdf
from fangkong.reports.actions.nightly import prepare_unchecked
from fangkong.volunteers.models import Assignment


def _lock_day(w, actors):
    """D's reports of both communities and the street, submitted as of D's cut-off; then,
    today, a new resident in the controlled unit and the hours of D corrected to 3 h."""
    late = w.cutoff + datetime.timedelta(minutes=30)
    mine = prepare_unchecked(actors.staff, w.community, w.day, now=late)
    mine = actions.submit(Actor.system(), mine, now=late)
    other = prepare_unchecked(Actor.system(), w.other, w.day, now=late)
    actions.submit(Actor.system(), other, now=late)
    street = actions.prepare(actors.street, w.street, w.day, now=late)
    street = actions.submit(Actor.system(), street, now=late)
    assert (mine.figures["controlled_people"], mine.figures["sealed_people"], mine.figures["minutes_today"]) == (1, 0, 120)
    reg.create_resident(Actor.system(), w.hh201, {"name": "王小勇", "relation": "子女"})
    Assignment.objects.filter(volunteer=w.v1).update(minutes=180)
    return mine, street


def _row(chart, day):
    return chart.rows[chart.days.index(day)]


def test_a_past_day_shows_its_locked_report_not_a_recount(day, actors):
    w = day
    mine, street = _lock_day(w, actors)
    today = timezone.localdate()
    r = actions.preview(w.community, today)
    drawn = {c.key: c for c in charts.for_report(r)}
    zones, hours = drawn["zones"], drawn["hours"]
    # D: as D's locked report says (1 controlled, 2.0 h), not 2 people and 3.0 h counted now
    assert _row(zones, w.day)[1] == 1 and zones.stacks[zones.days.index(w.day)] == (0, 1)
    assert _row(hours, w.day)[1:] == (120, "2.0 h")
    assert zones.counted[zones.days.index(w.day)] is False
    # the days before D had no report: counted now, and the chart says which
    before = w.day - datetime.timedelta(days=1)
    assert zones.counted[zones.days.index(before)] is True
    assert f"{before:%m-%d}" in charts.note(zones) and f"{w.day:%m-%d}" not in charts.note(zones)
    # today's bar is today's report (a draft: counted now), the same figure as the report
    assert _row(zones, today)[1] == r.figures["sealed_people"] + r.figures["controlled_people"]
    assert _row(hours, today)[1] == r.figures["minutes_today"]
    # the street's: its own locked report of D
    street_zones = next(c for c in charts.charts_for(w.street, timezone.now(), []) if c.key == "zones")
    assert _row(street_zones, w.day)[1] == street.figures["controlled_people"] + street.figures["sealed_people"] == 1


def test_dashboard_table_and_pdf_show_the_same_rows(day, actors, monkeypatch):
    w = day
    _lock_day(w, actors)
    c = Client()
    c.force_login(w.users.staff)
    dash = c.get(f"/reports/places/{w.community.id}/").content.decode()
    # the chart's text table: D's row as reported, marked as such
    rows = dict(re.findall(rf"<tr><td>{w.day:%m-%d}</td><td>([^<]*)</td><td>([^<]*)</td></tr>", dash))
    assert rows.get("2.0 h") in ("已提交的日报", "Submitted report") and "3.0 h" not in rows
    assert ("封控 0 · 管控 1" in rows or "0 sealed · 1 controlled" in rows)
    before = w.day - datetime.timedelta(days=1)  # no report that day: counted now, and said
    assert re.search(rf"<tr><td>{before:%m-%d}</td><td>0.0 h</td><td>(按现在数据统计|Counted now)</td></tr>", dash)
    assert "data-chart-note" in dash
    # the PDF of today's report draws the same rows as the page's charts
    seen = []
    real = export_pdf._chart
    monkeypatch.setattr(export_pdf, "_chart", lambda chart, *a: seen.append(chart) or real(chart, *a))
    r = prepare_unchecked(actors.staff, w.community, timezone.localdate())
    assert export_pdf.report_pdf(r).startswith(b"%PDF")
    pdf = {ch.key: ch for ch in seen}
    page = {ch.key: ch for ch in charts.for_report(r)}
    for key in ("zones", "hours", "cases"):
        assert pdf[key].rows == page[key].rows and pdf[key].counted == page[key].counted
    assert _row(pdf["zones"], w.day)[1] == 1 and _row(pdf["hours"], w.day)[1] == 120
