"""A case the health authority confirmed, reported by hand (`/zones/p/<id>/cases/new/`, `POST
/api/v1/zones/cases`), was in no day's positive cases (walked 2026-12-07 as 光明社区's staff:
the dashboard, the nightly report "阳性病例 0", the API's figures and the chart "每日阳性病例"
counted screening's re-tests only). The day's cases are one figure (`screening.day_cases`):
both ways, a person found both ways once."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.reports import actions as reports
from fangkong.screening import node_figures
from fangkong.screening.actions import planning
from fangkong.screening.models import FollowUp
from fangkong.zones.actions import escalate

pytestmark = pytest.mark.django_db


def _case_by_hand(w, person, at=None, source="迎泽区疾控中心 2022-0412号"):
    case, _p = escalate.record_case(Actor.system(w.users.staff), person, confirmed_at=at, source=source)
    return case


def _retest_positive(w, person, at):
    staff = Actor.system(w.users.staff)
    rnd = planning.plan_round(staff, w.community, {
        "name": f"第{person.id}轮核酸", "kind": "pcr", "starts_at": at - datetime.timedelta(hours=3),
        "ends_at": at - datetime.timedelta(hours=1), "pool_size": 10})
    fu = FollowUp(round=rnd, resident=person, household_id=person.household_id, status=FollowUp.Status.CASE,
                  created_at=at - datetime.timedelta(hours=2), closed_at=at)
    fu.copy_levels(person)
    fu.save()
    return fu


def _cases(node, at=None):
    return node_figures.compute([node], at or timezone.now())[node.id]["cases"]


def test_a_case_reported_by_hand_is_in_the_days_positive_cases(world):
    w = world
    assert _cases(w.community) == 0
    _case_by_hand(w, w.xia)
    assert _cases(w.community) == 1 and _cases(w.grid) == 1 and _cases(w.other) == 0
    # a street's figures with its communities (the parent and its children, one pass)
    both = node_figures.compute([w.community, w.other], timezone.now(), parent=w.street)
    assert (both[w.street.id]["cases"], both[w.community.id]["cases"], both[w.other.id]["cases"]) == (1, 1, 0)
    # the API's figures, and the chart's bar of today
    c = Client()
    c.force_login(w.users.staff)
    got = c.get(f"/api/v1/reports/places/{w.community.id}/figures").json()
    assert {f["key"]: f["value"] for f in got["figures"]}["cases"] == 1
    chart = node_figures.cases_chart(w.community, timezone.now())
    assert chart.rows[-1][1] == 1 and sum(r[1] for r in chart.rows) == 1


def test_a_person_found_both_ways_counts_once(world):
    w = world
    now = timezone.now()
    _retest_positive(w, w.xia, now - datetime.timedelta(minutes=1))
    _case_by_hand(w, w.xia)  # the health authority's notice of the same person
    _case_by_hand(w, w.yu)
    assert _cases(w.community) == 2
    assert sum(r[1] for r in node_figures.cases_chart(w.community, timezone.now()).rows) == 2
    # the health authority's notice of someone screening confirmed yesterday: not a new case today
    yesterday = now - datetime.timedelta(days=1)
    _retest_positive(w, w.wang, yesterday)
    _case_by_hand(w, w.wang)
    assert _cases(w.community) == 2
    assert _cases(w.community, yesterday) == 1  # 王新勇 on his first day


def test_the_nightly_report_counts_a_case_reported_by_hand(world, monkeypatch):
    w = world
    d = timezone.localdate() - datetime.timedelta(days=1)
    noon = timezone.make_aware(datetime.datetime.combine(d, datetime.time(12)))
    _entered(_case_by_hand(w, w.xia, at=noon), noon)  # typed in when the notice came
    staff = Actor.system(w.users.staff)
    r = reports.submit(staff, reports.prepare(staff, w.community, d), "")
    assert r.figures["cases"] == 1, r.figures


def _entered(case, at):
    type(case).objects.filter(pk=case.pk).update(created_at=at)


def test_a_notice_typed_in_with_a_past_confirmation_time_counts_when_it_became_known(world):
    """Review finding 1: a notice typed in on day D (10:00) dated D−1 15:00 fell before D's
    window (strictly after D−1's 20:00 cut-off) and after D−1's report was locked: in no
    report. It counts in the window it was entered in, and only there."""
    w = world
    d = timezone.localdate() - datetime.timedelta(days=1)

    def t(day, hour):
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))

    prev = d - datetime.timedelta(days=1)
    _entered(_case_by_hand(w, w.xia, at=t(prev, 15)), t(d, 10))
    day_d = node_figures.compute([w.community], t(d, 20), after=t(prev, 20))[w.community.id]["cases"]
    day_before = node_figures.compute([w.community], t(prev, 20), after=t(prev, 20) - datetime.timedelta(days=1))
    assert (day_d, day_before[w.community.id]["cases"]) == (1, 0)
    # screening confirmed 余 at D 09:00; the back-dated notice of the same person, entered at
    # 11:00, does not take the case away from D (once per person)
    _retest_positive(w, w.yu, t(d, 9))
    _entered(_case_by_hand(w, w.yu, at=t(prev, 15)), t(d, 11))
    day_d = node_figures.compute([w.community], t(d, 20), after=t(prev, 20))[w.community.id]["cases"]
    assert day_d == 2
    assert sum(r[1] for r in node_figures.cases_chart(w.community, timezone.now()).rows) == 2
