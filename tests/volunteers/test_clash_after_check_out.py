"""A place already checked out of frees the person from then on (found walking the demo on a
phone: 赵文静 checked in to call 4 at 20:27 and out at 20:43; at 20:44 she could not answer
call 5 (20:30–22:00), told to cancel call 4 — which cannot be cancelled once checked in —
and the leader's 指派 got the same refusal). A clash is with the time still ahead of them,
and its refusal never tells anyone to cancel what cannot be cancelled."""

import datetime

import pytest
from django.utils import timezone, translation

from fangkong.core.errors import Conflict
from fangkong.volunteers.actions import answers, attendance, teams
from fangkong.volunteers.actions import calls as vol_calls
from fangkong.volunteers.models import Assignment
from tests.conftest import actor_for


def at(monkeypatch, when):
    monkeypatch.setattr(timezone, "now", lambda: when)


def call_at(world, start, end, **over):
    data = {"task": "disinfection", "place": world.building.id, "title": over.pop("title", "楼道消杀"),
            "starts_at": start.isoformat(), "ends_at": end.isoformat(), "slots": 3}
    data.update(over)
    return vol_calls.create_call(actor_for(world.users.staff), world.community, data)


@pytest.fixture
def evening(world, make_volunteer, monkeypatch):
    """Call 4 (T+0:20–T+2:30), checked in at T+0:27, out at T+0:43; call 5 (T+0:30–T+2:00)
    posted at T+0:44."""
    t = (timezone.now() + datetime.timedelta(days=1)).replace(second=0, microsecond=0)
    m = lambda n: t + datetime.timedelta(minutes=n)  # noqa: E731
    zhao, leader = make_volunteer(1, name="赵文静"), make_volunteer(2)
    team = teams.create_team(actor_for(world.users.staff), world.community, "封控五组", leader=leader)
    teams.add_member(actor_for(world.users.staff), team, zhao)
    at(monkeypatch, m(0))
    call4 = call_at(world, m(20), m(150), title="今晚8号楼楼道消杀")
    answers.sign_up(actor_for(zhao.user), call4)
    attendance.check_in(actor_for(zhao.user), call4.token, now=m(27))
    attendance.check_out(actor_for(zhao.user), call4.token, now=m(43))
    at(monkeypatch, m(44))
    call5 = call_at(world, m(30), m(120), title="紧急转运", audience="team", team=team.id)
    return dict(m=m, zhao=zhao, leader=leader, team=team, call4=call4, call5=call5)


def test_someone_checked_out_of_a_shift_answers_an_urgent_call_in_the_same_hours(evening):
    a = answers.sign_up(actor_for(evening["zhao"].user), evening["call5"])
    assert a.status == Assignment.Status.CONFIRMED


def test_the_leader_assigns_someone_checked_out_of_a_shift_to_a_call_in_the_same_hours(evening):
    a = vol_calls.assign(actor_for(evening["leader"].user), evening["call5"], evening["zhao"])
    assert a.status == Assignment.Status.CONFIRMED and a.via == Assignment.Via.ASSIGNED


def test_a_shift_over_by_now_does_not_hold_the_person_either(world, make_volunteer, monkeypatch):
    """Not checked in at all (a no-show) to a shift that ended at T+0:40: at T+0:50 a call
    that began at T+0:30 is answered (the time ahead of them is free)."""
    t = (timezone.now() + datetime.timedelta(days=1)).replace(second=0, microsecond=0)
    v = make_volunteer(1)
    at(monkeypatch, t)
    early = call_at(world, t - datetime.timedelta(minutes=60), t + datetime.timedelta(minutes=40))
    answers.sign_up(actor_for(v.user), early)
    at(monkeypatch, t + datetime.timedelta(minutes=50))
    late = call_at(world, t + datetime.timedelta(minutes=30), t + datetime.timedelta(minutes=120))
    assert answers.sign_up(actor_for(v.user), late).status == Assignment.Status.CONFIRMED


def test_someone_still_checked_in_is_told_to_check_out_not_to_cancel(world, make_volunteer, monkeypatch):
    t = (timezone.now() + datetime.timedelta(days=1)).replace(second=0, microsecond=0)
    m = lambda n: t + datetime.timedelta(minutes=n)  # noqa: E731
    zhao, other = make_volunteer(1, name="赵文静"), make_volunteer(2)
    at(monkeypatch, m(0))
    call4 = call_at(world, m(20), m(150), title="今晚8号楼楼道消杀")
    answers.sign_up(actor_for(zhao.user), call4)
    answers.sign_up(actor_for(other.user), call4)
    attendance.check_in(actor_for(zhao.user), call4.token, now=m(27))
    at(monkeypatch, m(44))
    call5 = call_at(world, m(30), m(120), title="紧急转运")
    for lang, cancel_word, check_out_word in (("zh-hans", "取消", "签退"), ("en", "Cancel", "Check out")):
        with translation.override(lang), pytest.raises(Conflict) as e:
            answers.sign_up(actor_for(zhao.user), call5)
        said = str(e.value.message)
        assert e.value.code == "clash" and "今晚8号楼楼道消杀" in said
        assert cancel_word.lower() not in said.lower() and check_out_word in said, said
        with translation.override(lang), pytest.raises(Conflict) as e:
            vol_calls.assign(actor_for(world.users.staff), call5, zhao)
        said = str(e.value.message)
        assert "赵文静" in said and cancel_word.lower() not in said.lower(), said
    # a place not checked in to can still be cancelled: that refusal says so
    with translation.override("zh-hans"), pytest.raises(Conflict) as e:
        answers.sign_up(actor_for(other.user), call5)
    assert "取消" in str(e.value.message)
