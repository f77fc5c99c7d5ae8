"""The staff's home alert of new cases listed screening's re-test positives only: a case the
health authority reported by hand (`/zones/p/<id>/cases/new/`, `POST /api/v1/zones/cases`)
was missing there, though the dashboard's figure `cases` counted it. The alert lists the
place's new cases of the last CASE_ALERT_HOURS by the figure's one definition
(`day_cases`): both ways, each person once."""

import datetime

from django.urls import reverse
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.screening import node_figures, queries
from fangkong.screening.actions import followup, lab
from fangkong.screening.models import FollowUp

from .test_alert import alert_of, positive_pool

NOTICE = "迎泽区疾控中心 2022-0412号"


def _hand(client, person, source=NOTICE):
    return client.post("/api/v1/zones/cases", {"resident": person.id, "source": source},
                       content_type="application/json")


def _retest_positive(w, rnd, person, barcode="S0001"):
    staff = Actor.system(w.users.staff)
    followup.record_retest(staff, FollowUp.objects.get(resident=person), barcode)
    lab.record_results(Actor.system(w.users.lab), [
        {"_row": 1, "barcode": barcode, "result": "positive"}], source="upload")


def _figure(node):
    return node_figures.compute([node], timezone.now())[node.id]["cases"]


def test_a_case_reported_by_hand_is_in_the_staff_alert(world, login):
    w = world
    staff = login(w.users.staff)
    assert _hand(staff, w.xia).status_code == 201
    home = alert_of(staff.get(reverse("home"), follow=True).content.decode())
    assert 'role="alert"' in home and "夏明" in home and "1号楼 1单元 102" in home, home
    assert NOTICE in home  # how it was confirmed: the notice
    for who in ("grid", "street"):
        html = login(getattr(w.users, who)).get(reverse("home"), follow=True).content.decode()
        assert "夏明" in alert_of(html), who
    for who in ("other_staff", "lab", "volunteer"):
        html = login(getattr(w.users, who)).get(reverse("home"), follow=True).content.decode()
        assert "夏明" not in alert_of(html), who
    # no source given: the stored words (the site's language) said in the reader's
    staff = login(w.users.staff)
    assert staff.post("/api/v1/zones/cases", {"resident": w.yu.id}, content_type="application/json").status_code == 201
    assert "卫健部门通报" in alert_of(staff.get(reverse("home"), follow=True).content.decode())
    staff.cookies["django_language"] = "en"
    english = alert_of(staff.get(reverse("home"), follow=True).content.decode())
    assert "Confirmed positive: 2 people" in english and "Reported by the health authority" in english, english


def test_the_alert_lists_each_new_case_once_as_the_figure_counts_them(world, rnd, login, monkeypatch):
    w = world
    positive_pool(w, rnd)  # 苏霞 and 于海涛 held
    _retest_positive(w, rnd, w.su)  # 苏霞: a case by screening
    staff = login(w.users.staff)
    assert _hand(staff, w.su, "区疾控通报").json()["already_reported"] is True  # the same person
    assert _hand(staff, w.xia).status_code == 201  # 夏明: by hand only
    url = reverse("screening_alert") + f"?place={w.community.id}"
    cases = staff.get(url).content.decode().split("确诊阳性：")[1]  # the new cases' part
    assert cases.startswith("2 人") and cases.count(">苏霞<") == 1 and cases.count(">夏明<") == 1, cases
    assert "于海涛" not in cases  # still held, not a case
    assert "单采复核阳性" in cases and NOTICE in cases  # how each was confirmed
    from fangkong.accounts.scope import Scope

    listed = queries.recent_cases(Scope.for_user(w.users.staff), w.community)
    assert sorted(c.resident_id for c in listed) == sorted([w.su.id, w.xia.id])
    assert len(listed) == _figure(w.community) == 2  # the panel and the dashboard agree
    # a day later, gone from the alert (the hand case too)
    later = timezone.now() + datetime.timedelta(hours=queries.CASE_ALERT_HOURS, minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    gone = staff.get(url).content.decode()
    assert "夏明" not in gone and "苏霞" not in gone and 'role="alert"' not in gone
