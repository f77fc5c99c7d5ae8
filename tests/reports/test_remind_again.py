"""A person's reminder after the job's (walked 2026-12-07, "command" defect 4): the manual
button shared the job's key per place, day and stage, so after the job's overdue reminder at
21:00 a street chief tapping "remind" at 02:00 sent nothing and read "刚刚已提醒过". Now a tap
sends again once `reminders.AGAIN` (30 minutes) has passed since the last reminder to that
place; a double tap or a retry within it sends nothing and says when and how the last one
went ("已于 12-06 21:00 自动提醒"). The job still reminds once per stage, whoever sent it."""

import datetime
import re

import pytest
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.core.when import short_time
from fangkong.notify.models import Notification
from fangkong.reports import actions
from fangkong.reports.actions import reminders, schedule
from tests.conftest import client_of as _client

pytestmark = pytest.mark.django_db


def at(day, hh, mm=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hh, mm)))



class Clock:
    def __init__(self, monkeypatch, t):
        self.t = t
        monkeypatch.setattr(timezone, "now", lambda: self.t)


@pytest.fixture
def w(world, monkeypatch):
    w = world
    w.d = timezone.localdate() - datetime.timedelta(days=1)
    w.street_a = Actor.system(w.users.street)
    w.clock = Clock(monkeypatch, at(w.d, 21, 0))
    return w


def _count(user):
    return Notification.objects.filter(kind="report.reminder", user=user).count()


def _messages(html):
    return [re.sub(r"<[^>]+>", "", m) for m in re.findall(r'<p class="msg[^"]*"[^>]*>(.*?)</p>', html, re.S)]


def test_a_tap_after_the_jobs_reminder_sends_again_once_the_interval_has_passed(w):
    assert reminders.AGAIN == datetime.timedelta(minutes=30)
    schedule.run(now=at(w.d, 21, 0))  # the job's overdue reminder, 21:00
    assert (_count(w.users.staff), _count(w.users.other_staff)) == (1, 1)
    c = _client(w.users.street)
    # 21:05: a tap five minutes later sends nothing, and says when and how the last one went
    w.clock.t = at(w.d, 21, 5)
    out = actions.remind(w.street_a, w.street, w.d, now=w.clock.t)
    assert (out["places"], out["sent"]) == (2, 0)
    assert [(s["name"], s["automatic"]) for s in out["skipped"]] == [("光明社区", True), ("惠泽苑社区", True)]
    html = c.post(f"/reports/places/{w.street.id}/remind/", {"day": str(w.d)}, follow=True).content.decode()
    said = " ".join(_messages(html))
    want = f"光明社区、惠泽苑社区：已于 {short_time(at(w.d, 21, 0))} 自动提醒，{short_time(at(w.d, 21, 30))} 后可再次提醒。"
    assert want in said, said
    assert "刚刚已提醒过" not in said
    assert (_count(w.users.staff), _count(w.users.other_staff)) == (1, 1)
    # 02:00 the next night: a tap sends again, to each place's submitters
    w.clock.t = at(w.d, 21, 0) + datetime.timedelta(hours=5)
    html = c.post(f"/reports/places/{w.street.id}/remind/", {"day": str(w.d), "confirm": "1"},
                  follow=True).content.decode()
    assert "已提醒 2 个单位" in " ".join(_messages(html)), _messages(html)
    assert (_count(w.users.staff), _count(w.users.other_staff)) == (2, 2)
    # a double tap, and a retry through the API, send nothing more and say it was by hand
    api = c.post(f"/api/v1/reports/places/{w.street.id}/remind", {"day": str(w.d)},
                 content_type="application/json").json()
    assert api["sent"] == 0 and [s["automatic"] for s in api["skipped"]] == [False, False], api
    assert datetime.datetime.fromisoformat(api["skipped"][0]["last_at"]) == w.clock.t
    assert datetime.datetime.fromisoformat(api["skipped"][0]["again_at"]) == w.clock.t + reminders.AGAIN
    html = c.post(f"/reports/places/{w.street.id}/remind/", {"day": str(w.d)}, follow=True).content.decode()
    assert f"已于 {short_time(w.clock.t)} 手动提醒" in " ".join(_messages(html)), _messages(html)
    assert (_count(w.users.staff), _count(w.users.other_staff)) == (2, 2)
    # in English, the time as English writes it
    en = _client(w.users.street)
    en.cookies["django_language"] = "en"
    html = en.post(f"/reports/places/{w.street.id}/remind/", {"day": str(w.d)}, follow=True,
                   HTTP_ACCEPT_LANGUAGE="en").content.decode()
    from django.utils import translation

    with translation.override("en"):
        when = short_time(w.clock.t)
    assert f"reminded by hand at {when}" in " ".join(_messages(html)), _messages(html)


def test_the_job_still_reminds_once_a_stage_whoever_sent_it(w):
    w.clock.t = at(w.d, 18, 0)
    actions.remind(w.street_a, w.street, w.d, now=w.clock.t)  # by hand, before the due time
    assert _count(w.users.staff) == 1
    w.clock.t = at(w.d, 19, 35)
    schedule.run(now=w.clock.t)  # the job's "before" reminder: that stage was sent
    assert _count(w.users.staff) == 1
    w.clock.t = at(w.d, 21, 5)
    schedule.run(now=w.clock.t)  # overdue: another stage
    assert _count(w.users.staff) == 2
    schedule.run(now=at(w.d, 21, 20))
    assert _count(w.users.staff) == 2
