"""The round's emergency sampling team (a volunteers' team) is told of a positive pool."""

import pytest

from fangkong.audit.models import AuditEvent
from fangkong.core.errors import Invalid, NotFound
from fangkong.notify.models import Notification
from fangkong.screening.actions import lab as lab_actions
from fangkong.screening.actions import planning, station
from fangkong.screening.models import Tube
from fangkong.volunteers.actions import teams
from tests.conftest import actor_for
from tests.volunteers.conftest import codes, make_volunteer  # noqa: F401 (fixtures)

from .conftest import api, cid, to_lab

pytestmark = pytest.mark.django_db


def test_the_emergency_team_is_told_of_a_positive_pool(world, rnd, system, make_volunteer,  # noqa: F811
                                                      login):
    staff = actor_for(world.users.staff)
    leader, member, outsider = make_volunteer(1), make_volunteer(2), make_volunteer(3)
    team = teams.create_team(staff, world.community, "应急采样队", leader=leader)
    teams.add_member(staff, team, member)
    other_team = teams.create_team(actor_for(world.users.other_staff), world.other, "惠泽应急队")

    with pytest.raises(Invalid):  # another community's team
        planning.set_emergency_team(staff, rnd, other_team.id)
    with pytest.raises(NotFound):  # their staff cannot touch our round
        planning.set_emergency_team(actor_for(world.users.other_staff), rnd, team.id)

    client = login(world.users.staff)
    page = client.get(f"/screening/rounds/{rnd.id}/").content.decode()
    assert "应急采样队" in page and "惠泽应急队" not in page
    assert client.post(f"/screening/rounds/{rnd.id}/emergency-team/",
                       {"team": team.id}).status_code == 302
    rnd.refresh_from_db()
    assert rnd.emergency_team_id == team.id
    assert AuditEvent.objects.filter(action="screening.round.emergency_team").exists()
    assert api(client, "get", f"/rounds/{rnd.id}").json()["emergency_team"] == team.id

    # a pool with 苏霞 and 于海涛 comes back positive
    station.open_tube(system, rnd, "E0001")
    for r in (world.su, world.yu):
        station.scan(system, rnd, client_id=cid(), barcode="E0001", person=r.token)
    station.seal_tube(system, Tube.objects.get(round=rnd, barcode="E0001"))
    to_lab(world, rnd, "E0001")
    lab = actor_for(world.users.lab)
    lab_actions.record_results(lab, [{"barcode": "E0001", "result": "positive"}], source="api")
    told = set(Notification.objects.filter(kind="screening.positive_pool")
               .values_list("user_id", flat=True))
    assert {leader.user_id, member.user_id, world.users.staff.id, world.users.grid.id} <= told
    assert outsider.user_id not in told


def test_emergency_team_api_refuses_wrong_roles_and_bad_input(world, rnd, login):
    client = login(world.users.staff)
    r = api(client, "post", f"/rounds/{rnd.id}/emergency-team", {"team": 999999})
    assert r.status_code == 400 and "team" in r.json()["error"]["fields"]
    assert api(client, "post", f"/rounds/{rnd.id}/emergency-team", {"team": "x"}).status_code == 422
    assert api(client, "post", f"/rounds/{rnd.id}/emergency-team", {"team": None}).status_code == 200
    assert api(login(world.users.other_staff), "post", f"/rounds/{rnd.id}/emergency-team",
               {"team": None}).status_code == 404
    assert api(login(world.users.leader), "post", f"/rounds/{rnd.id}/emergency-team",
               {"team": None}).status_code == 403  # sees the round, may not run it
