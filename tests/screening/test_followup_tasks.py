"""The follow-up list is a volunteer's task, not the round's results (walk "lab", defects 2
and 3, 2026-12).

- #2: any volunteer given a sampling table saw the whole follow-up list — every held person's
  name, door and tags, who became a case (阳性病例) and who was released — page and API. A
  volunteer now sees only the held people whose single re-test is her task (the re-test visit
  given to her, or every one awaiting it when she is on the round's emergency sampling team),
  and only while they wait; staff and grid workers keep the whole list.
- #3: the round's emergency sampling team was told of a positive pool, but the link was a 404
  for a member without a table and the message named nobody and nowhere. Being the round's
  emergency team is now the follow-up task of that round: the link opens the held people's
  doors, the member records the single swab; the message says how many and which building(s),
  no names."""

import re

import pytest

from fangkong.accounts.models import Membership
from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.screening.actions import home_assign, planning, station
from fangkong.screening.actions import lab as lab_actions
from fangkong.screening.models import FollowUp, HomeVisit
from fangkong.volunteers.actions import teams
from tests.conftest import actor_for
from tests.volunteers.conftest import codes, make_volunteer  # noqa: F401 (fixtures)

from .conftest import api, cid, to_lab
from .test_alert import positive_pool

pytestmark = pytest.mark.django_db


def _names(html):
    return re.findall(r'<li class="row"[^>]*>.*?<strong>(.*?)</strong>', html, re.S)


def _sampler(world, rnd, user=None):
    return planning.assign_sampler(Actor.system(world.users.staff), rnd, world.point,
                                   user or world.users.volunteer, 1)


def _give(world, rnd, sampler, *people):
    visits = HomeVisit.objects.filter(round=rnd, resident__in=people, source=HomeVisit.Source.RETEST)
    home_assign.assign_home_visits(Actor.system(world.users.staff), rnd, [v.id for v in visits], sampler)


def test_a_sampler_with_no_re_test_given_sees_nobody(world, rnd, client):
    positive_pool(world, rnd)  # 苏霞 and 于海涛 held
    _sampler(world, rnd)
    client.force_login(world.users.volunteer)
    page = client.get(f"/screening/rounds/{rnd.id}/followups/")
    assert page.status_code == 200
    html = page.content.decode()
    assert _names(html) == []
    assert "苏霞" not in html and "于海涛" not in html and "T0001" not in html
    assert "没有交给您的单采复核" in html
    out = api(client, "get", f"/rounds/{rnd.id}/followups").json()
    assert (out["count"], out["results"]) == (0, [])


def test_a_sampler_sees_only_the_re_test_given_to_her_and_only_while_it_waits(world, rnd, client):
    positive_pool(world, rnd)
    s = _sampler(world, rnd)
    _give(world, rnd, s, world.su)
    client.force_login(world.users.volunteer)
    url = f"/screening/rounds/{rnd.id}/followups/"
    assert _names(client.get(url).content.decode()) == ["苏霞"]
    out = api(client, "get", f"/rounds/{rnd.id}/followups").json()["results"]
    assert [(f["resident"]["name"], f["status"], f["close_contact"]) for f in out] == [("苏霞", "awaiting", False)]

    # 于海涛's re-test is not hers: recording it is refused as if he did not exist
    yu = FollowUp.objects.get(round=rnd, resident=world.yu)
    assert client.post(url, {"followup": yu.id, "barcode": "R0009"}).status_code == 404
    assert api(client, "post", f"/followups/{yu.id}/retest", {"barcode": "R0009"}).status_code == 404

    # she records 苏霞's swab at the door: the row leaves her list
    su = FollowUp.objects.get(round=rnd, resident=world.su)
    key = cid()
    r = api(client, "post", f"/followups/{su.id}/retest", {"barcode": "R0001", "client_id": key})
    assert r.status_code == 200 and r.json()["followup"]["status"] == "resampled"
    again = api(client, "post", f"/followups/{su.id}/retest", {"barcode": "R0001", "client_id": key})
    assert again.status_code == 200 and again.json()["tube"]["barcode"] == "R0001"  # a retry: recorded once
    assert _names(client.get(url).content.decode()) == []
    assert api(client, "get", f"/rounds/{rnd.id}/followups").json()["count"] == 0

    # the lab finds her positive, 于海涛 released: the sampler reads neither
    lab_actions.record_results(Actor.system(world.users.lab), [{"barcode": "R0001", "result": "positive"}],
                               source="api")
    yu.refresh_from_db()
    html = client.get(url).content.decode()
    assert _names(html) == [] and "阳性病例" not in html and "已解除" not in html and "苏霞" not in html
    assert api(client, "get", f"/rounds/{rnd.id}/followups").json()["count"] == 0
    assert api(client, "post", f"/followups/{su.id}/retest", {"barcode": "R0002"}).status_code == 404

    # staff keep the whole list, the case said
    client.force_login(world.users.staff)
    html = client.get(url).content.decode()
    assert sorted(_names(html)) == ["于海涛", "苏霞"] and "阳性病例" in html


def test_the_page_post_records_only_her_task(world, rnd, client):
    positive_pool(world, rnd)
    s = _sampler(world, rnd)
    _give(world, rnd, s, world.su)
    client.force_login(world.users.volunteer)
    su = FollowUp.objects.get(round=rnd, resident=world.su)
    asked = client.post(f"/screening/rounds/{rnd.id}/followups/", {"followup": su.id, "barcode": "R0001"})
    assert asked.status_code == 200 and "将试管 R0001 记为 苏霞 的单采复核？" in asked.content.decode()
    assert FollowUp.objects.get(pk=su.pk).status == FollowUp.Status.AWAITING  # only asked
    r = client.post(f"/screening/rounds/{rnd.id}/followups/", {"followup": su.id, "barcode": "R0001",
                                                               "confirm": "1"})
    assert r.status_code == 302 and r["Location"].endswith(f"#fu-r{world.su.id}")
    su.refresh_from_db()
    assert su.status == FollowUp.Status.RESAMPLED and su.retest_tube.barcode == "R0001"


def test_a_volunteer_without_a_table_or_team_gets_404(world, rnd, client):
    positive_pool(world, rnd)
    su = FollowUp.objects.get(round=rnd, resident=world.su)
    for user in (world.users.volunteer, world.users.leader, world.users.other_staff, world.users.resident):
        client.force_login(user)
        assert client.get(f"/screening/rounds/{rnd.id}/followups/").status_code == 404, user
        assert api(client, "get", f"/rounds/{rnd.id}/followups").status_code == 404, user
        assert api(client, "post", f"/followups/{su.id}/retest", {"barcode": "R0001"}).status_code == 404, user


# --- the round's emergency sampling team ------------------------------------------------

@pytest.fixture
def team(world, rnd, make_volunteer):  # noqa: F811
    staff = actor_for(world.users.staff)
    leader, member = make_volunteer(1), make_volunteer(2)
    t = teams.create_team(staff, world.community, "封控五组", leader=leader)
    teams.add_member(staff, t, member)
    planning.set_emergency_team(staff, rnd, t.id)
    rnd.refresh_from_db()
    t.leader_v, t.member_v, t.outsider_v = leader, member, make_volunteer(3)
    return t


def _building_2(world, system):
    b2 = reg.create_place(system, world.compound, Kind.BUILDING, "2号楼")
    unit = reg.create_place(system, b2, Kind.UNIT, "1单元")
    hh = reg.create_household(system, unit, "301")
    return reg.create_resident(system, hh, {"name": "石卫东", "id_number": "140106198001010018",
                                            "phone": "15700001111"})


def test_the_team_is_told_how_many_and_where_and_its_link_opens_their_list(world, rnd, team, system, client):
    shi = _building_2(world, system)
    positive_pool(world, rnd, people=(world.su, world.yu, shi))
    note = Notification.objects.get(kind="screening.positive_pool", user=team.member_v.user)
    said = f"{note.title} {note.body}"
    assert "3" in note.title and "1号楼" in note.body and "2号楼" in note.body
    assert "苏霞" not in said and "于海涛" not in said and "石卫东" not in said
    assert Notification.objects.filter(kind="screening.positive_pool", user=team.leader_v.user).exists()
    assert not Notification.objects.filter(kind="screening.positive_pool", user=team.outsider_v.user).exists()

    client.force_login(team.member_v.user)  # no table in the round
    page = client.get(note.url)
    assert page.status_code == 200
    html = page.content.decode()
    assert sorted(_names(html)) == ["于海涛", "石卫东", "苏霞"]
    assert "1号楼" in html and "101" in html  # their doors
    assert "封控五组" in html
    out = api(client, "get", f"/rounds/{rnd.id}/followups").json()
    assert out["count"] == 3 and {f["status"] for f in out["results"]} == {"awaiting"}

    # she records 石卫东's single swab at his door: his row leaves her list
    fu = FollowUp.objects.get(round=rnd, resident=shi)
    assert client.post(note.url, {"followup": fu.id, "barcode": "R0003", "confirm": "1"}).status_code == 302
    fu.refresh_from_db()
    assert fu.status == FollowUp.Status.RESAMPLED
    assert sorted(_names(client.get(note.url).content.decode())) == ["于海涛", "苏霞"]
    yu = FollowUp.objects.get(round=rnd, resident=world.yu)
    r = api(client, "post", f"/followups/{yu.id}/retest", {"barcode": "R0004", "client_id": cid()})
    assert r.status_code == 200 and r.json()["followup"]["status"] == "resampled"

    # released and a case afterwards: the team reads neither
    lab_actions.record_results(Actor.system(world.users.lab), [
        {"barcode": "R0003", "result": "positive"}, {"barcode": "R0004", "result": "negative"}], source="api")
    html = client.get(note.url).content.decode()
    assert _names(html) == ["苏霞"] and "阳性病例" not in html and "已解除" not in html


def test_team_members_outside_the_rule_get_404(world, rnd, team, client):
    positive_pool(world, rnd)
    su = FollowUp.objects.get(round=rnd, resident=world.su)
    url = f"/screening/rounds/{rnd.id}/followups/"
    # a volunteer of no team, and a member whose volunteer role was taken away
    Membership.objects.filter(user=team.member_v.user).update(is_active=False)
    for user in (team.outsider_v.user, team.member_v.user):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert api(client, "get", f"/rounds/{rnd.id}/followups").status_code == 404
        assert api(client, "post", f"/followups/{su.id}/retest", {"barcode": "R0001"}).status_code == 404
    # the team taken off the round: its leader's link no longer opens
    planning.set_emergency_team(actor_for(world.users.staff), rnd, None)
    client.force_login(team.leader_v.user)
    assert client.get(url).status_code == 404
    assert api(client, "get", f"/rounds/{rnd.id}/followups").status_code == 404


def test_a_member_whose_role_ended_is_not_told(world, rnd, team):
    Membership.objects.filter(user=team.member_v.user).update(is_active=False)
    station.open_tube(Actor.system(world.users.staff), rnd, "T0009")
    station.scan(Actor.system(world.users.staff), rnd, client_id=cid(), barcode="T0009", person=world.su.token)
    from fangkong.screening import queries

    station.seal_tube(Actor.system(world.users.staff), queries.get_tube(None, rnd, "T0009"))
    to_lab(world, rnd, "T0009")
    lab_actions.record_results(Actor.system(world.users.lab), [{"barcode": "T0009", "result": "positive"}],
                               source="api")
    told = set(Notification.objects.filter(kind="screening.positive_pool").values_list("user_id", flat=True))
    assert team.leader_v.user_id in told and team.member_v.user_id not in told


def test_another_communitys_round_is_not_the_teams(world, rnd, team, system, client):
    other = planning.plan_round(system, world.other, {
        "name": "惠泽第1轮", "kind": "pcr", "starts_at": rnd.starts_at, "ends_at": rnd.ends_at, "pool_size": 3})
    client.force_login(team.leader_v.user)
    assert client.get(f"/screening/rounds/{other.id}/followups/").status_code == 404
    assert api(client, "get", f"/rounds/{other.id}/followups").status_code == 404


def test_a_team_members_home_leads_to_the_held_people(world, rnd, team, client):
    client.force_login(team.member_v.user)
    assert "应急采样队" not in client.get("/volunteers/").content.decode()  # nobody held yet
    positive_pool(world, rnd)
    html = client.get("/volunteers/").content.decode()
    card = re.search(r'<li class="emergency-team">.*?</li>', html, re.S).group(0)
    assert "第3轮核酸" in card and "2 人居家管控，待上门单采复核" in card
    assert f'href="/screening/rounds/{rnd.id}/followups/"' in card
    assert "苏霞" not in card
    client.force_login(team.outsider_v.user)
    assert "emergency-team" not in client.get("/volunteers/").content.decode()
