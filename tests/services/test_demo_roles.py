"""Each demo account's label is true (found walking the demo: leader_guangming was listed
"Building / team leader" but leads no team — 封控五组's leader is volunteer_demo — so when
staff gave a request to 封控五组 the tester, logged in as him, got no message). The building
leader's building page works; the team's leader is told of a request given to the team."""

import pytest
from django.core.management import call_command
from django.test import Client

from fangkong.accounts.models import User
from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.services.actions import requests
from fangkong.services.models import Request
from fangkong.volunteers.models import Team

pytestmark = pytest.mark.django_db


def test_the_demo_accounts_are_what_their_labels_say(capsys):
    call_command("demo", verbosity=0)
    capsys.readouterr()
    call_command("demo_logins")
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip() and line.startswith("  ")}
    assert "楼栋长 Building leader" in lines["leader_guangming"] and "组长" not in lines["leader_guangming"]
    assert "志愿者，封控五组组长 Volunteer, leader of 封控五组" in lines["volunteer_demo"]
    team = Team.objects.get(name="封控五组")
    assert team.leader.user.username == "volunteer_demo"

    # the building leader's building page: the batch serving his doors, calls read only, whom to call
    leader = User.objects.get(username="leader_guangming")
    building = leader.memberships.get().place
    assert building.kind == "building"
    c = Client()
    c.force_login(leader)
    page = c.get(f"/services/p/{building.id}/").content.decode()
    assert "本楼 " in page and "还没有到货批次" not in page
    assert 'id="who-answers"' in page and "郭晓东" in page and 'name="result"' not in page

    # a request given to 封控五组 reaches its leader (and not the building's leader)
    staff = User.objects.get(username="staff_guangming")
    r = Request.objects.filter(category__code="repair").first()
    requests.assign(Actor.system(staff), r, team=team)
    told = set(Notification.objects.filter(url=f"/services/requests/{r.id}/").values_list("user__username", flat=True))
    assert "volunteer_demo" in told and "leader_guangming" not in told
