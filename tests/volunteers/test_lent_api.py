"""The API's people list says who is lent in, as the page does (found integrating: the
borrowing community's `/api/v1/volunteers/people` listed 李秀英 like one of its own, while
its page marks her "借调自 光明社区 until …"): `lent_until` and `lent_from`, null and "" for
the community's own people — the home community's list too."""

import datetime

from django.test import Client
from django.utils import timezone

from fangkong.volunteers.actions import registration
from tests.conftest import actor_for


def people(user, community):
    c = Client()
    c.force_login(user)
    r = c.get(f"/api/v1/volunteers/people?community={community.id}&status=approved")
    assert r.status_code == 200, r.content
    return {x["name"]: x for x in r.json()["results"]}


def test_the_people_list_says_who_is_lent_in_and_until_when(world, make_volunteer):
    v = make_volunteer(1, name="李秀英")
    until = (timezone.now() + datetime.timedelta(days=2)).replace(microsecond=0)
    registration.lend(actor_for(world.users.staff), v, world.other, until)
    there = people(world.users.other_staff, world.other)["李秀英"]
    assert datetime.datetime.fromisoformat(there["lent_until"]) == until
    assert there["lent_from"] == world.community.name and there["community"] == world.community.id
    home = people(world.users.staff, world.community)["李秀英"]  # at home: one of its own, unmarked
    assert home["lent_until"] is None and home["lent_from"] == ""
