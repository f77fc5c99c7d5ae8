"""A team leader confirms attendance (found walking the demo on a phone): for her own team's
members on a community-wide call too, from the call's page (their rows only) and the API;
with the time they actually arrived; and lateness counts from when the person was given the
place, not from a start that was already past."""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from fangkong.core.errors import Invalid
from fangkong.volunteers.actions import answers, attendance, teams
from fangkong.volunteers.actions import calls as vol_calls
from fangkong.volunteers.models import Assignment
from tests.conftest import actor_for


def at(monkeypatch, when):
    monkeypatch.setattr(timezone, "now", lambda: when)


def call_at(world, start, end, **over):
    data = {"task": "order", "place": world.building.id, "starts_at": start.isoformat(),
            "ends_at": end.isoformat(), "slots": 5}
    data.update(over)
    return vol_calls.create_call(actor_for(world.users.staff), world.community, data)


def hm(t):
    return timezone.localtime(t).strftime("%H:%M")


@pytest.fixture
def scene(world, make_volunteer, monkeypatch):
    """田晓燕 leads 封控五组 (member 赵文静); 李强 is in no team. A community-wide call
    starting at T, both members answered; now is T+20 min."""
    staff = actor_for(world.users.staff)
    t = (timezone.now() + datetime.timedelta(days=1)).replace(second=0, microsecond=0)
    leader, member, outsider = (make_volunteer(1, name="田晓燕"), make_volunteer(2, name="赵文静"),
                                make_volunteer(3, name="李强"))
    team = teams.create_team(staff, world.community, "封控五组", leader=leader)
    teams.add_member(staff, team, member)
    at(monkeypatch, t - datetime.timedelta(hours=1))
    call = call_at(world, t, t + datetime.timedelta(hours=2))
    mine = answers.sign_up(actor_for(member.user), call)
    theirs = answers.sign_up(actor_for(outsider.user), call)
    at(monkeypatch, t + datetime.timedelta(minutes=20))
    return dict(t=t, leader=leader, member=member, outsider=outsider, team=team, call=call,
                mine=mine, theirs=theirs)


def test_a_leader_sees_and_confirms_her_members_on_a_community_call_from_its_page(scene, login):
    client = login(scene["leader"].user)
    page = client.get(reverse("volunteers_call", args=[scene["call"].id])).content.decode()
    attend = reverse("volunteers_attend", args=[scene["mine"].id])
    assert "赵文静" in page and f'action="{attend}"' in page and "确认签到" in page
    # only her own team's members: not 李强's row, nor a button for it
    assert "李强" not in page
    assert reverse("volunteers_attend", args=[scene["theirs"].id]) not in page
    r = client.post(attend, {"check_in_at": ""})  # asked first, naming the person
    assert r.status_code == 200 and "确认 赵文静 已到岗？" in r.content.decode()
    assert Assignment.objects.get(pk=scene["mine"].id).check_in_at is None
    r = client.post(attend, {"check_in_at": "", "confirm": "1"})
    assert r.status_code == 302
    a = Assignment.objects.get(pk=scene["mine"].id)
    assert a.check_in_at == scene["t"] + datetime.timedelta(minutes=20) and a.check_in_by == scene["leader"].user
    # another member's row stays hers only: 李强's attendance is refused (not hers to see)
    assert client.post(reverse("volunteers_attend", args=[scene["theirs"].id])).status_code == 404


def test_a_leader_reads_her_members_rows_of_a_community_call_in_the_api(scene, login):
    r = login(scene["leader"].user).get(f"/api/v1/volunteers/calls/{scene['call'].id}")
    names = [p["volunteer_name"] for p in r.json()["confirmed_people"]]
    assert names == ["赵文静"]
    # a volunteer who leads no team reads no roster
    r = login(scene["outsider"].user).get(f"/api/v1/volunteers/calls/{scene['call'].id}")
    assert r.json()["confirmed_people"] is None


def test_a_leader_sees_a_call_her_member_holds_even_when_it_is_not_for_her(world, make_volunteer, login):
    """A call for drivers: the leader is no driver, her member is; she confirms his
    attendance (the server allowed it), so she sees the call and his row."""
    staff = actor_for(world.users.staff)
    leader, driver = make_volunteer(1), make_volunteer(4)  # number 4 drives (conftest.form)
    team = teams.create_team(staff, world.community, "运输队", leader=leader)
    teams.add_member(staff, team, driver)
    start = timezone.now() + datetime.timedelta(hours=2)
    call = call_at(world, start, start + datetime.timedelta(hours=2), audience="skill", audience_skill="driving")
    url = reverse("volunteers_call", args=[call.id])
    client = login(leader.user)
    # nothing of hers on it yet: the call (a forwarded link) and why she cannot answer, no roster
    page = client.get(url).content.decode()
    assert 'id="outside"' in page and driver.name not in page
    a = answers.sign_up(actor_for(driver.user), call)
    page = client.get(url).content.decode()
    assert driver.name in page and reverse("volunteers_attend", args=[a.id]) in page


def test_the_leader_enters_the_time_someone_actually_arrived(scene, login):
    client = login(scene["leader"].user)
    attend = reverse("volunteers_attend", args=[scene["mine"].id])
    arrived = scene["t"] + datetime.timedelta(minutes=5)
    client.post(attend, {"check_in_at": hm(arrived), "confirm": "1"})
    a = Assignment.objects.get(pk=scene["mine"].id)
    assert a.check_in_at == arrived and a.late_minutes == 5


@pytest.mark.parametrize("minutes, said", [
    (30, "晚于现在"),  # ten minutes from now
    (-90, "早一小时以上"),  # an hour and a half before the start
])
def test_an_arrival_time_in_the_future_or_long_before_the_start_is_refused_saying_why(scene, login,
                                                                                        minutes, said):
    client = login(scene["leader"].user)
    attend = reverse("volunteers_attend", args=[scene["mine"].id])
    typed = scene["t"] + datetime.timedelta(minutes=minutes)
    r = client.post(attend, {"check_in_at": hm(typed)}, follow=True)
    text = r.content.decode()
    assert said in text and hm(typed) in text, text
    assert Assignment.objects.get(pk=scene["mine"].id).check_in_at is None


def test_the_api_takes_the_arrival_time_through_the_same_action(scene, login):
    client = login(scene["leader"].user)
    url = f"/api/v1/volunteers/assignments/{scene['mine'].id}/attend"
    late = (scene["t"] + datetime.timedelta(minutes=40)).isoformat()
    r = client.post(url, json.dumps({"check_in_at": late}), content_type="application/json")
    assert r.status_code == 400 and "check_in_at" in r.json()["error"]["fields"], r.content
    arrived = (scene["t"] + datetime.timedelta(minutes=12)).isoformat()
    r = client.post(url, json.dumps({"check_in_at": arrived}), content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["late_minutes"] == 12
    r = client.post(f"/api/v1/volunteers/assignments/{scene['theirs'].id}/attend", "{}",
                    content_type="application/json")
    assert r.status_code == 404


def test_a_clock_time_is_taken_on_the_night_of_a_night_shift(world, make_volunteer, monkeypatch):
    staff = actor_for(world.users.staff)
    v = make_volunteer(1)
    tomorrow = timezone.localtime(timezone.now() + datetime.timedelta(days=1))
    start = tomorrow.replace(hour=22, minute=0, second=0, microsecond=0)
    at(monkeypatch, start - datetime.timedelta(hours=2))
    call = call_at(world, start, start + datetime.timedelta(hours=8))
    a = answers.sign_up(actor_for(v.user), call)
    at(monkeypatch, start + datetime.timedelta(hours=3))  # 01:00 the next day
    a = attendance.confirm_attendance(staff, a, "00:30")
    assert a.check_in_at == start + datetime.timedelta(minutes=150)
    with translation.override("en"), pytest.raises(Invalid) as e:
        attendance.confirm_attendance(staff, a, None, "02:00")
    assert "in the future" in e.value.fields["check_out_at"][0]


def test_lateness_counts_from_when_the_place_was_given(scene, world, make_volunteer, login, monkeypatch):
    """Assigned at T+20 to a call that began at T and checked in that minute: on time, not
    "20 min late"; checking in 15 minutes after being given the place is 15 minutes late."""
    staff = actor_for(world.users.staff)
    now = scene["t"] + datetime.timedelta(minutes=20)
    on_time, slow = make_volunteer(5, name="钱多多"), make_volunteer(6, name="孙慢慢")
    a = vol_calls.assign(staff, scene["call"], on_time)
    assert a.confirmed_at == now
    a = attendance.confirm_attendance(staff, a)
    assert a.check_in_at == now and a.late_minutes == 0 and not a.is_late
    page = login(world.users.staff).get(reverse("volunteers_call", args=[scene["call"].id])).content.decode()
    row = page[page.index("钱多多"):][:600]
    assert "迟到" not in row
    b = vol_calls.assign(staff, scene["call"], slow)
    at(monkeypatch, now + datetime.timedelta(minutes=30))
    b = attendance.confirm_attendance(staff, b, hm(now + datetime.timedelta(minutes=15)))
    assert b.late_minutes == 15 and b.is_late
    # signed up before the start and checked in at T+50: 50 minutes late, as before
    c = attendance.confirm_attendance(staff, scene["mine"])
    assert c.late_minutes == 50
