"""A round nobody ended is not the next day's work (walked over two days, 2026-12-07).

Day 1: a PCR round 07:00–14:00 (于海涛 sampled at 09:00, his pool positive, his single
re-test positive: a case confirmed at 16:00) and an antigen round from 18:17 to 06:17 the
next morning (苏霞's result at 19:00; 夏明's at 02:00 on day 2). Nobody ends either round:
both stay "running". Day 2 has no round of its own.

A day's figures count what happened that day: day 2 counts neither the PCR round (its
window was day 1) nor the tests done on day 1, nor day 1's case; the antigen round runs into
day 2 by its window, so day 2 counts 夏明's 02:00 result, and nobody done on day 1 again.
The street's period .xlsx lists each test once. The clock is moved the project's way
(monkeypatching `timezone.now`, as tests/day does)."""

import datetime
import io
import uuid

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.reports import actions, figures
from fangkong.screening import node_figures
from fangkong.screening.actions import antigen, lab, planning, station
from fangkong.screening.models import AntigenResult, FollowUp, Result, Sample, Tube

pytestmark = pytest.mark.django_db


def at(day, hh, mm=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hh, mm)))


@pytest.fixture
def two_days(world, monkeypatch):
    w = world
    w.d1 = timezone.localdate() - datetime.timedelta(days=2)
    w.d2 = w.d1 + datetime.timedelta(days=1)
    staff = Actor.system(w.users.staff)
    w.pcr = planning.plan_round(staff, w.community, {
        "name": "第3轮核酸", "kind": "pcr", "starts_at": at(w.d1, 7), "ends_at": at(w.d1, 14), "pool_size": 3})
    planning.set_status(staff, w.pcr, "running")
    station.open_tube(staff, w.pcr, "T0001")
    station.scan(staff, w.pcr, client_id=str(uuid.uuid4()), barcode="T0001", person=w.yu.token)
    station.seal_tube(staff, Tube.objects.get(round=w.pcr, barcode="T0001"))
    Sample.objects.filter(round=w.pcr).update(sampled_at=at(w.d1, 9))
    Tube.objects.filter(round=w.pcr).update(opened_at=at(w.d1, 9), sealed_at=at(w.d1, 9, 30),
                                            at_lab_at=at(w.d1, 11))
    lab.record_results(Actor.system(w.users.lab), [{"barcode": "T0001", "result": "positive"}])
    FollowUp.objects.filter(round=w.pcr).update(created_at=at(w.d1, 12), status=FollowUp.Status.CASE,
                                                closed_at=at(w.d1, 16))
    w.antigen = planning.plan_round(staff, w.community, {
        "name": "抗原自测", "kind": "antigen", "starts_at": at(w.d1, 18, 17), "ends_at": at(w.d2, 6, 17),
        "pool_size": 1})
    planning.set_status(staff, w.antigen, "running")
    for person, when in ((w.su, at(w.d1, 19)), (w.xia, at(w.d2, 2))):
        antigen.record_result(staff, w.antigen, person, Result.NEGATIVE, client_id=str(uuid.uuid4()))
        AntigenResult.objects.filter(round=w.antigen, resident=person).update(tested_at=when)
    # the evening of day 2: nobody ended either round
    monkeypatch.setattr(timezone, "now", lambda: at(w.d2, 22, 30))
    return w


def test_the_rounds_of_a_day_are_chosen_by_their_window_not_their_status(two_days):
    w = two_days
    assert {r.id for r in node_figures.rounds_of_day([w.community], at(w.d1, 20))} == {w.pcr.id, w.antigen.id}
    # both still "running" on day 2: only the antigen round's window reaches into it
    assert [r.id for r in node_figures.rounds_of_day([w.community], at(w.d2, 20))] == [w.antigen.id]


def test_a_days_figures_count_that_days_tests_and_cases_only(two_days):
    w = two_days
    d1 = figures.of(w.community, at(w.d1, 20))
    assert (d1["sampled"], d1["cases"]) == (2, 1)  # 于海涛 (PCR) and 苏霞 (antigen); his case
    d2 = figures.of(w.community, at(w.d2, 20))
    # day 2: 夏明's result at 02:00, nobody done on day 1 again, no case of day 1
    assert (d2["sampled"], d2["cases"]) == (1, 0), d2
    assert d2["_rounds"] == [w.antigen.id]
    # 苏霞, done on day 1, is neither to be tested nor tested again on day 2 (4 people less her)
    assert d2["expected"] == 3 and d2["missing"] == 3 - 1 - d2["exempt"]


def test_the_period_export_lists_each_test_once(two_days):
    """Each day's report of the community, and the street's summing it, over the two days:
    the community's 'tested' of the two days add up to the three tests done."""
    w = two_days
    staff, street = Actor.system(w.users.staff), Actor.system(w.users.street)
    for day in (w.d1, w.d2):
        actions.submit(staff, actions.prepare(staff, w.community, day), "")
        actions.submit(street, actions.prepare(street, w.street, day), "")
    c = Client()
    c.force_login(w.users.street)
    r = c.get(f"/reports/places/{w.street.id}/export.xlsx?from={w.d1}&to={w.d2}")
    assert r.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)
    sheet = book["社区"]
    rows = list(sheet.iter_rows(values_only=True))
    col = rows[0].index("已检")
    tested = {row[1]: row[col] for row in rows[1:] if row[0] == w.community.name}
    assert tested == {w.d1.isoformat(): 2, w.d2.isoformat(): 1}, tested
    cases = rows[0].index("阳性病例")
    assert [row[cases] for row in rows[1:] if row[0] == w.community.name] == [1, 0]


def test_day_twos_dashboard_and_chart_agree(two_days):
    """The dashboard of day 2 counts day 2's tests, as its 'tests by hour' chart does (the
    chart said 暂无记录 beside 已检 367 from the day before)."""
    w = two_days
    c = Client()
    c.force_login(w.users.staff)
    html = c.get(f"/reports/places/{w.community.id}/").content.decode()
    from tests.reports.test_pages import _shown

    assert _shown(html)["sampled"] == "1" and _shown(html)["cases"] == "0", _shown(html)
    chart = node_figures.progress_chart(w.community, at(w.d2, 22, 30))
    assert sum(n for _h, n, _s in chart.rows) == 1
