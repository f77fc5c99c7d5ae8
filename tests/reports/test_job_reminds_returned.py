"""The scheduled job reminds a returned nightly report (found 2026-12): it read "submitted"
by the first submission (`first_submissions`), so a community report the street returned and
not submitted again — outstanding on the completeness page and for a person's reminder
(`queries.OUTSTANDING`) — was never reminded by the job, and would have been told "not
submitted yet"; and its key per place, day and stage meant a report returned after the job's
overdue reminder got nothing more. Now the job reads every node of a level as the
completeness page does (`queries.node_states`): a returned report is reminded once per return
(its key names the version returned), saying it was returned, `AGAIN` after the return (the
return itself told them why), unless someone reminded the place since; a double run sends
nothing more; the reads cost the same for a whole city's level."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from fangkong.accounts.roles import Role
from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind, Place
from fangkong.reports import actions, queries
from fangkong.reports.actions import reminders, schedule
from tests.conftest import make_user

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
    w.clock = Clock(monkeypatch, at(w.d, 20, 25))
    w.staff_a, w.staff_b = Actor.system(w.users.staff), Actor.system(w.users.other_staff)
    w.street_a = Actor.system(w.users.street)
    return w


def _notes(user):
    return list(Notification.objects.filter(kind="report.reminder", user=user).order_by("id"))


def _run(w, hh, mm=0):
    w.clock.t = at(w.d, hh, mm)
    return schedule.run(now=w.clock.t)


def _submit(w, actor, report, hh, mm):
    w.clock.t = at(w.d, hh, mm)
    return actions.submit(actor, report, "", now=w.clock.t)


def _return(w, report, hh, mm, reason="户数有误"):
    w.clock.t = at(w.d, hh, mm)
    return actions.return_report(w.street_a, report, reason)


def test_a_report_returned_after_the_overdue_reminder_is_reminded_once_per_return(w):
    _submit(w, w.staff_a, actions.prepare(w.staff_a, w.community, w.d, now=w.clock.t), 20, 25)
    _run(w, 21, 5)  # the job's overdue reminder: B had not submitted
    assert len(_notes(w.users.other_staff)) == 1 and _notes(w.users.staff) == []
    b1 = _submit(w, w.staff_b, actions.prepare(w.staff_b, w.other, w.d, now=w.clock.t), 21, 20)
    _return(w, b1, 21, 40)
    _run(w, 21, 45)  # just returned: the return itself told them, with why
    assert len(_notes(w.users.other_staff)) == 1
    _run(w, 22, 15)  # still not submitted again: reminded, as returned
    notes = _notes(w.users.other_staff)
    assert len(notes) == 2, [n.title for n in notes]
    note = notes[-1]
    assert "退回" in note.title and "惠泽苑社区" in note.body and "重新上报" in note.body, (note.title, note.body)
    assert note.key == f"report.remind:{w.d}:returned:{w.other.id}:v1"
    with translation.override("en"):
        assert "returned: please report again" in note.said()[0]
    # a double run, and the next passes, send nothing more for the same return
    for hh, mm in ((22, 15), (22, 20)):
        assert _run(w, hh, mm)["reminded"] == 0
    assert len(_notes(w.users.other_staff)) == 2 and _notes(w.users.staff) == []
    # submitted again and returned again: the new return is reminded once more
    b2 = _submit(w, w.staff_b, actions.correct(w.staff_b, b1, "已核对", now=w.clock.t), 22, 25)
    _return(w, b2, 22, 30, "仍有误")
    _run(w, 22, 35)
    assert len(_notes(w.users.other_staff)) == 2
    _run(w, 23, 5)
    assert [n.key.rsplit(":", 1)[-1] for n in _notes(w.users.other_staff)[1:]] == ["v1", "v2"]
    assert _run(w, 23, 5)["reminded"] == 0
    # submitted again: nothing owed, nothing sent
    _submit(w, w.staff_b, actions.correct(w.staff_b, b2, "再核对", now=w.clock.t), 23, 10)
    _run(w, 23, 50)
    assert len(_notes(w.users.other_staff)) == 3 and _notes(w.users.staff) == []


def test_a_report_returned_before_the_due_time_is_reminded_as_returned_not_missing(w):
    _run(w, 19, 35)  # the job's "before" pass: A and B missing
    assert len(_notes(w.users.staff)) == 1 and len(_notes(w.users.other_staff)) == 1
    b1 = _submit(w, w.staff_b, actions.prepare(w.staff_b, w.other, w.d, now=at(w.d, 20, 5)), 20, 5)
    _return(w, b1, 20, 10)
    _run(w, 20, 45)  # still before the due time (21:00): B is reminded, as returned
    b = _notes(w.users.other_staff)[-1]
    assert len(_notes(w.users.other_staff)) == 2
    assert "退回" in b.title and "请于" not in b.body, (b.title, b.body)
    _run(w, 21, 5)  # overdue: A again; B was reminded of this return already
    assert len(_notes(w.users.staff)) == 2 and len(_notes(w.users.other_staff)) == 2
    assert "尚未上报" in _notes(w.users.staff)[-1].title


def test_a_persons_reminder_after_the_return_counts_for_the_job(w):
    _submit(w, w.staff_a, actions.prepare(w.staff_a, w.community, w.d, now=w.clock.t), 20, 25)
    b1 = _submit(w, w.staff_b, actions.prepare(w.staff_b, w.other, w.d, now=w.clock.t), 20, 30)
    _return(w, b1, 21, 40)
    w.clock.t = at(w.d, 21, 50)
    out = actions.remind(w.street_a, w.street, w.d, now=w.clock.t)  # the street chief, by hand
    assert out["sent"] == 1 and len(_notes(w.users.other_staff)) == 1
    _run(w, 22, 15)  # the job: this return was reminded (by hand), nothing more
    assert len(_notes(w.users.other_staff)) == 1
    # the person's next tap says the last reminder was by hand; a job's reminder reads automatic
    assert not reminders._by_job(_notes(w.users.other_staff)[0].key, w.d, w.other.id)
    assert reminders._by_job(f"report.remind:{w.d}:returned:{w.other.id}:v1", w.d, w.other.id)


def _more_communities(w, system, n):
    """n more communities under the street, each with its staff: half submitted and returned,
    half missing."""
    for i in range(n):
        c = reg.create_place(system, w.street, Kind.COMMUNITY, f"新建{i}社区")
        user = make_user(system, f"staff_more_{i}", Role.STAFF, c)
        if i % 2:
            me = Actor.system(user)
            r = _submit(w, me, actions.prepare(me, c, w.d, now=at(w.d, 20, 10)), 20, 10)
            _return(w, r, 20, 20)


def _job_reminders(w, now):
    nodes = list(Place.objects.filter(kind=Kind.COMMUNITY).order_by("id"))
    return reminders.remind_scheduled(Actor.system(via="task"), queries.node_states(nodes, w.d), w.d,
                                      "overdue", now=now)


def test_the_jobs_reminders_cost_the_same_for_a_whole_level(w, system):
    """The job reads who owes what for every community of the city at once: the reads do not
    grow with the communities (a double run sends nothing, in the same few queries); a first
    run adds only each notification's own writes."""
    later = at(w.d, 21, 30)
    with CaptureQueriesContext(connection) as first_small:
        assert _job_reminders(w, later) == 2  # A and B, missing
    with CaptureQueriesContext(connection) as small:
        assert _job_reminders(w, later) == 0
    _more_communities(w, system, 8)
    w.clock.t = later
    with CaptureQueriesContext(connection) as first_big:
        assert _job_reminders(w, later) == 8  # 4 missing, 4 returned
    with CaptureQueriesContext(connection) as big:
        assert _job_reminders(w, later) == 0
    assert len(big) == len(small) <= 8, [q["sql"] for q in big.captured_queries]
    # a first run: each place reminded costs its notification's writes, nothing more
    assert len(first_small) - len(small) <= 2 * 6 and len(first_big) - len(big) <= 8 * 6, (
        len(first_small), len(first_big))
