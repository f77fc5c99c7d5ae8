"""A call's link forwarded to a volunteer of the same community outside its audience
(found walking the demo: a bare 404) shows the call and why they cannot answer it; outside
the community it stays a plain 404."""

import datetime

from django.urls import reverse
from django.utils import timezone

from fangkong.volunteers.actions import calls as vol_calls
from fangkong.volunteers.actions import registration, teams
from tests.conftest import actor_for
from tests.volunteers.conftest import register


def new_call(world, hours=3, **over):
    start = timezone.now() + datetime.timedelta(hours=hours)
    data = {"task": "door_check", "place": world.building.id, "starts_at": start.isoformat(),
            "ends_at": (start + datetime.timedelta(hours=2)).isoformat(), "slots": 3}
    data.update(over)
    return vol_calls.create_call(actor_for(world.users.staff), world.community, data)


def test_outside_the_audience_the_page_says_why(world, make_volunteer, login):
    v = make_volunteer(1)  # n=1: no skill, not a Party member
    leader = make_volunteer(4)
    team = teams.create_team(actor_for(world.users.staff), world.community, "消杀队", leader=leader)
    cases = [(new_call(world, audience="skill", audience_skill="sampling"), "采样"),
             (new_call(world, hours=6, audience="team", team=team.id), "消杀队"),
             (new_call(world, hours=9, audience="party"), None),
             (new_call(world, hours=12, skills=["medical"]), None)]
    client = login(v.user)
    for call, word in cases:
        r = client.get(reverse("volunteers_call", args=[call.id]))
        assert r.status_code == 200, call.audience
        page = r.content.decode()
        assert 'id="outside"' in page and call.title in page
        assert reverse("volunteers_call_sign_up", args=[call.id]) not in page
        if word:
            assert word in page


def test_outside_the_community_it_is_still_missing(world, codes, login):
    call = new_call(world, audience="party")
    other_staff = actor_for(world.users.other_staff)
    link = registration.join_link(other_staff, world.other)
    v = registration.approve(other_staff, register(world, codes, 2, link=link, household=world.other_hh.id))
    assert login(v.user).get(reverse("volunteers_call", args=[call.id])).status_code == 404
