"""Who sees whose phone on a team's page (found walking the demo: members saw their leader's
name only, with no way to call her). Members see the leader's phone as a tel: link, shown
through audit.disclosure and audited; never each other's. The leader and the staff who
manage the team see every member's."""

import re

from django.urls import reverse

from fangkong.audit.models import AuditEvent
from fangkong.volunteers.actions import teams
from tests.conftest import actor_for


def test_a_member_sees_and_can_call_the_leaders_phone_but_not_the_other_members(world, make_volunteer,
                                                                                  login):
    staff = actor_for(world.users.staff)
    leader, member, other = make_volunteer(1), make_volunteer(2), make_volunteer(3)
    team = teams.create_team(staff, world.community, "封控五组", area=world.building, leader=leader)
    teams.add_member(staff, team, member)
    teams.add_member(staff, team, other)
    url = reverse("volunteers_team", args=[team.id])
    page = login(member.user).get(url).content.decode()
    assert f'href="tel:{leader.phone}"' in page
    assert other.phone not in page and member.phone not in page
    ev = AuditEvent.objects.filter(action="volunteer.view_phones").latest("id")
    assert ev.actor_id == member.user_id and ev.changes["volunteers"] == [leader.id]
    assert ev.changes["where"] == f"team:{team.id}"


def test_the_leader_and_staff_still_see_every_members_phone(world, make_volunteer, login):
    staff = actor_for(world.users.staff)
    leader, member, other = make_volunteer(1), make_volunteer(2), make_volunteer(3)
    team = teams.create_team(staff, world.community, "封控五组", leader=leader)
    teams.add_member(staff, team, member)
    url = reverse("volunteers_team", args=[team.id])
    for user in (leader.user, world.users.staff):
        page = login(user).get(url).content.decode()
        assert f'href="tel:{member.phone}"' in page and f'href="tel:{leader.phone}"' in page
        ev = AuditEvent.objects.filter(action="volunteer.view_phones").latest("id")
        assert sorted(ev.changes["volunteers"]) == sorted([leader.id, member.id])
    # someone in no team of theirs: not found, no phone shown
    assert login(other.user).get(url).status_code == 404


def test_a_team_without_a_leader_shows_its_members_no_phone(world, make_volunteer, login):
    staff = actor_for(world.users.staff)
    a, b = make_volunteer(1), make_volunteer(2)
    team = teams.create_team(staff, world.community, "机动组")
    teams.add_member(staff, team, a)
    teams.add_member(staff, team, b)
    before = AuditEvent.objects.filter(action="volunteer.view_phones").count()
    page = login(a.user).get(reverse("volunteers_team", args=[team.id])).content.decode()
    assert not re.search(r'href="tel:', page)
    assert AuditEvent.objects.filter(action="volunteer.view_phones").count() == before
