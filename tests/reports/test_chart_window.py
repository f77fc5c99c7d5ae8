"""The report's hourly chart (每小时采样人数) counts what the report counts: its window, from the
previous cut-off to its own (walked 2026-12-07: the street report's PDF drew 109 + 108 + 55 =
272 beside 已检 299 — the 27 sampled at 23:xx the evening before, in a round inside the
window, were in the figure and not in the chart). The live dashboard's chart counts its day
from midnight, as its figures do.

A round planned D 21:51 → D+1 04:51: 苏霞 sampled at 23:10 of D, 于海涛 at 02:00 of D+1. The
D+1 reports (from D 20:00) count both; the chart's bars add up to that."""

import datetime
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.reports import actions, charts
from fangkong.reports.models import DailyReport
from fangkong.screening import node_figures
from fangkong.screening.actions import planning, station
from fangkong.screening.models import Sample, Tube
from tests.reports.test_pages import _shown

pytestmark = pytest.mark.django_db


def at(day, hh, mm=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hh, mm)))


@pytest.fixture
def night(world, monkeypatch):
    w = world
    w.d1 = timezone.localdate() - datetime.timedelta(days=2)
    w.d2 = w.d1 + datetime.timedelta(days=1)
    staff = Actor.system(w.users.staff)
    rnd = planning.plan_round(staff, w.community, {
        "name": "第3轮核酸", "kind": "pcr", "starts_at": at(w.d1, 21, 51), "ends_at": at(w.d2, 4, 51),
        "pool_size": 1})
    planning.set_status(staff, rnd, "running")
    for barcode, person, when in (("T0301", w.su, at(w.d1, 23, 10)), ("T0302", w.yu, at(w.d2, 2))):
        station.open_tube(staff, rnd, barcode)
        station.scan(staff, rnd, client_id=str(uuid.uuid4()), barcode=barcode, person=person.token)
        station.seal_tube(staff, Tube.objects.get(round=rnd, barcode=barcode))
        Sample.objects.filter(round=rnd, resident=person).update(sampled_at=when)
        Tube.objects.filter(round=rnd, barcode=barcode).update(opened_at=when, sealed_at=when)
    monkeypatch.setattr(timezone, "now", lambda: at(w.d2, 22, 30))
    return w


def _progress(drawn):
    return next(c for c in drawn if c.key == "progress")


def test_the_reports_hourly_chart_adds_up_to_its_tested(night):
    w = night
    staff, street = Actor.system(w.users.staff), Actor.system(w.users.street)
    actions.submit(staff, actions.prepare(staff, w.community, w.d2), "")
    actions.submit(street, actions.prepare(street, w.street, w.d2), "")
    for place in (w.community, w.street):
        r = DailyReport.objects.get(place=place, day=w.d2, current=True)
        chart = _progress(charts.for_report(r))
        assert r.figures["sampled"] == 2
        assert sum(v for _l, v, _s in chart.rows) == r.figures["sampled"], (place.kind, chart.rows)
        # the evening before first, then the night: in time order
        assert [label for label, _v, _s in chart.rows] == ["23:00", "02:00"]
    # the street's PDF is drawn from the same rows
    c = Client()
    c.force_login(w.users.street)
    resp = c.get(f"/reports/{r.pk}/report.pdf")
    assert resp.status_code == 200 and resp.content.startswith(b"%PDF")


def test_the_dashboards_chart_counts_from_midnight_as_its_figures(night):
    w = night
    c = Client()
    c.force_login(w.users.staff)
    now = timezone.now()
    # the dashboard of D+1 at 22:30: the 02:00 test, not the one of 23:10 the evening before
    html = c.get(f"/reports/places/{w.community.id}/").content.decode()
    assert _shown(html)["sampled"] == "1"
    chart = node_figures.progress_chart(w.community, now)
    assert [(label, v) for label, v, _s in chart.rows] == [("02:00", 1)]
    assert _progress(charts.charts_for(w.community, now, [])).rows == chart.rows


def test_a_window_longer_than_a_day_dates_its_hours(night):
    """Counted from D 01:30 (a previous report counted early) to D+1 04:00: 02:00 of D+1 and
    of D would be one label; each hour is dated instead."""
    w = night
    staff = Actor.system(w.users.staff)
    rnd = planning.plan_round(staff, w.community, {
        "name": "第2轮核酸", "kind": "pcr", "starts_at": at(w.d1, 1), "ends_at": at(w.d1, 4), "pool_size": 1})
    planning.set_status(staff, rnd, "running")
    station.open_tube(staff, rnd, "T0401")
    station.scan(staff, rnd, client_id=str(uuid.uuid4()), barcode="T0401", person=w.xia.token)
    Sample.objects.filter(round=rnd).update(sampled_at=at(w.d1, 2, 15))
    chart = node_figures.progress_chart(w.community, at(w.d2, 4), after=at(w.d1, 1, 30))
    day1, day2 = f"{w.d1:%m-%d}", f"{w.d2:%m-%d}"
    assert [(label, v) for label, v, _s in chart.rows] == [
        (f"{day1} 02:00", 1), (f"{day1} 23:00", 1), (f"{day2} 02:00", 1)]
