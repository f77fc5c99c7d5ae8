"""The demo has volunteers: approved and pending people, a team led by volunteer_demo, an
open call it sees and this morning's round with credited hours."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from fangkong.accounts.models import User
from fangkong.registry.models import Kind, Place
from fangkong.volunteers.models import Call, Team, Volunteer

pytestmark = pytest.mark.django_db


def test_demo_has_volunteers_a_team_and_an_open_call(client):
    call_command("demo", verbosity=0)
    c = Place.objects.get(kind=Kind.COMMUNITY, name="光明社区")
    assert Volunteer.objects.filter(community_id=c.id, status="approved").count() == 15
    assert Volunteer.objects.filter(community_id=c.id, status="pending").count() == 3
    me = User.objects.get(username="volunteer_demo")
    team = Team.objects.get(name="封控五组")
    assert team.leader.user == me and team.memberships.count() >= 5
    open_call = Call.objects.get(title__startswith="明早7点")
    assert 0 < open_call.confirmed < open_call.slots
    assert Volunteer.objects.get(user=me).minutes > 0  # this morning's round
    from fangkong.volunteers.models import Assignment

    came = Assignment.objects.exclude(check_in_at=None)  # placed before they came, not after
    assert came.exists() and all(a.signed_at <= a.check_in_at for a in came)
    client.force_login(me)
    page = client.get(reverse("volunteers_home")).content.decode()
    assert "明早7点" in page and "封控五组" in page and "15:30 保供物资送上门" in page
    staff = User.objects.get(username="staff_guangming")
    client.force_login(staff)
    page = client.get(reverse("volunteers_community", args=[c.id])).content.decode()
    assert "明早7点" in page
    # building again over the same data does not duplicate anyone
    call_command("demo", "--flush", verbosity=0)
    assert Volunteer.objects.filter(status="approved").count() == 15
