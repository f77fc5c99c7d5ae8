"""Times at the place (found walking the demo): a volunteer scanning at 04:50 for a 06:00
call was told "开始前一小时起可签到（12-08 06:00）" and waited until 06:00 — the start read
as the opening time; a leader typed an arrival of 12:30 for someone who got the place at
12:45, and 0.3 h was credited for time before they had it."""

import datetime

import pytest
from django.utils import timezone, translation

from fangkong.core.errors import Conflict, Invalid
from fangkong.volunteers.actions import answers, attendance, teams
from fangkong.volunteers.actions import calls as vol_calls
from tests.conftest import actor_for


def at(monkeypatch, when):
    monkeypatch.setattr(timezone, "now", lambda: when)


def local(day, h, m=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(h, m)))


def call_at(world, start, end):
    return vol_calls.create_call(actor_for(world.users.staff), world.community, {
        "task": "order", "place": world.building.id, "slots": 3,
        "starts_at": start.isoformat(), "ends_at": end.isoformat()})


# --- the too-early check-in says when it opens ------------------------------------------

@pytest.fixture
def dawn(world, make_volunteer, monkeypatch):
    day = timezone.localdate() + datetime.timedelta(days=2)
    v = make_volunteer(1)
    at(monkeypatch, local(day, 3))
    call = call_at(world, local(day, 6), local(day, 9))
    answers.sign_up(actor_for(v.user), call)
    return dict(v=v, call=call, day=day)


@pytest.mark.parametrize("lang, words", [
    ("zh-hans", "05:00 起可签到（开始时间 06:00）"),
    ("en", "Check-in opens at 05:00 (the call starts at 06:00)."),
])
def test_a_check_in_too_early_says_the_time_it_opens_and_the_start(dawn, lang, words):
    with translation.override(lang), pytest.raises(Conflict) as e:
        attendance.check_in(actor_for(dawn["v"].user), dawn["call"].token,
                            now=local(dawn["day"], 4, 50))
    assert e.value.code == "too_early" and words in str(e.value.message)


def test_check_in_opens_at_the_time_it_said(dawn):
    a = attendance.check_in(actor_for(dawn["v"].user), dawn["call"].token, now=local(dawn["day"], 5))
    assert a.check_in_at == local(dawn["day"], 5)


def test_a_day_before_it_names_the_dates_too(dawn):
    with translation.override("zh-hans"), pytest.raises(Conflict) as e:
        attendance.check_in(actor_for(dawn["v"].user), dawn["call"].token,
                            now=local(dawn["day"] - datetime.timedelta(days=1), 23))
    d = dawn["day"]
    assert f"{d:%m-%d} 05:00 起可签到（开始时间 {d:%m-%d} 06:00）" in str(e.value.message)


# --- no arrival before the person got the place -----------------------------------------

@pytest.fixture
def noon(world, make_volunteer, monkeypatch):
    """A 12:00–15:00 call posted under way at 12:30; 周敏 (in 封控五组, led by 田晓燕) is
    given a place on it at 12:45."""
    day = timezone.localdate() + datetime.timedelta(days=2)
    staff = actor_for(world.users.staff)
    leader, member = make_volunteer(1, name="田晓燕"), make_volunteer(2, name="周敏")
    team = teams.create_team(staff, world.community, "封控五组", leader=leader)
    teams.add_member(staff, team, member)
    at(monkeypatch, local(day, 12, 30))
    call = call_at(world, local(day, 12), local(day, 15))
    at(monkeypatch, local(day, 12, 45))
    a = vol_calls.assign(staff, call, member)  # given the place now (signing up, PostgreSQL
    # stamps the database's clock: the assignment takes the action's time on both)
    at(monkeypatch, local(day, 13, 10))
    return dict(leader=leader, a=a, day=day)


def test_an_arrival_before_the_person_got_the_place_is_refused_saying_so(noon):
    with translation.override("zh-hans"), pytest.raises(Invalid) as e:
        attendance.confirm_attendance(actor_for(noon["leader"].user), noon["a"], "12:30")
    said = " ".join(str(m) for m in e.value.fields["check_in_at"])
    d = noon["day"]
    assert f"到达时间（{d:%m-%d} 12:30）早于周敏获得名额的时间（{d:%m-%d} 12:45）" in said
    noon["a"].refresh_from_db()
    assert noon["a"].check_in_at is None and noon["a"].minutes == 0


def test_an_arrival_in_the_minute_the_place_was_given_is_taken(noon):
    a = attendance.confirm_attendance(actor_for(noon["leader"].user), noon["a"], "12:45", "13:05",
                                      confirm=True)
    assert a.check_in_at == local(noon["day"], 12, 45) and a.minutes == 20
