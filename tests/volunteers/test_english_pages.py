"""The team page in English (found by a demo walker): a member's skills are joined as
English writes a list ("Driving, IT", not "Driving、IT"), and a member without skills has
no dangling "·" after the phone."""

import re

from django.urls import reverse

from fangkong.volunteers.actions import teams
from tests.conftest import actor_for


def _member_lines(page):
    return [re.sub(r"<[^>]+>", "", m).strip() for m in re.findall(r"<small>(.*?)</small>", page, re.S)]


def test_skills_are_listed_in_the_pages_language_and_no_dot_dangles(world, make_volunteer, login):
    staff = actor_for(world.users.staff)
    skilled = make_volunteer(1, skills=["driving", "it"])
    plain = make_volunteer(2, skills=[])
    team = teams.create_team(staff, world.community, "封控五组", leader=skilled)
    teams.add_member(staff, team, plain)
    client = login(world.users.staff)
    url = reverse("volunteers_team", args=[team.id])
    zh = _member_lines(client.get(url).content.decode())
    assert f"{skilled.phone} · 驾驶、信息技术" in zh, zh
    assert plain.phone in zh, zh  # the phone, and nothing after it
    client.cookies["django_language"] = "en"
    en = _member_lines(client.get(url).content.decode())
    assert f"{skilled.phone} · Driving, IT" in en, en
    assert plain.phone in en, en
