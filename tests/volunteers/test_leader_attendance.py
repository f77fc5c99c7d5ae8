"""A team leader confirms attendance (found walking the demo on a phone): for her own team's
members on a community-wide call too, from the call's page (their rows only) and the API."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.volunteers.actions import answers, teams
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
    r = client.post(attend, {"check_in_at": ""})
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
    assert client.get(url).status_code == 404  # nothing of hers on it yet
    a = answers.sign_up(actor_for(driver.user), call)
    page = client.get(url).content.decode()
    assert driver.name in page and reverse("volunteers_attend", args=[a.id]) in page
