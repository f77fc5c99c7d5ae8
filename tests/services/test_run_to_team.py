"""Found walking the demo: no page gave a delivery run to a team, nor handed it over from one
team to another (only the action existed, no API either). Now the run's page has "由谁配送"
with the community's teams and a confirm step (it is taken from who had it), staff and grid
workers only; the API's `GET /services/runs/{pk}/teams` and `POST /services/runs/{pk}/assign`
call the same action (`handoff.assign_run`): audited with what it was, the new team's
volunteers and leader told, the team it was taken from told to stop; a finished run refused."""

from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.notify.models import Notification
from fangkong.services.actions import delivery, handoff, orders
from fangkong.volunteers.actions import teams
from tests.conftest import actor_for
from tests.conftest import client_of as _client
from tests.services.conftest import volunteer


def _text(response) -> str:
    return response.content.decode()


def _run(w, svc):
    """Building 1's run (doors 101 and 102) of a batch split with 封控五组 on duty."""
    staff = actor_for(w.users.staff)
    for h in (w.hh101, w.hh102):
        orders.place_order(staff, h, svc.supplier, [(svc.veg.id, 1)])
    b = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    handoff.receive_rest(staff, b)
    handoff.sign(staff, b, supplier_name="李师傅")
    return handoff.split(staff, b, teams=[svc.team])[0]


def _second_team(w):
    """封控三组: its leader 志愿者11 and 志愿者12, both approved."""
    staff = actor_for(w.users.staff)
    lead = volunteer(w, 11)
    team = teams.create_team(staff, w.community, "封控三组", leader=lead)
    mate = volunteer(w, 12, team)
    return team, lead.user, mate.user


def _told(user, kind="services.run"):
    return list(Notification.objects.filter(user=user, kind=kind).order_by("id").values_list("title", "body", "url"))


def test_staff_hand_a_run_over_to_another_team_from_its_page_asked_first(world, svc):
    w = world
    run = _run(w, svc)
    team, leader, mate = _second_team(w)
    s = _client(w.users.staff)
    url = f"/services/runs/{run.id}/"
    page = _text(s.get(url))
    give = page.split('id="give"')[1].split("</section>")[0]
    assert "负责配送：" in give and "封控五组" in give and "转交给另一个队伍" in give
    assert f'<option value="{svc.team.id}" disabled>封控五组 · 正在配送</option>' in give
    assert f'<option value="{team.id}">封控三组</option>' in give
    # asked first: from whom it is taken, the doors left, who is told
    asked = _text(s.post(url, {"do": "team", "team": team.id}))
    assert "把1号楼的配送交给封控三组？" in asked
    assert "将从封控五组手中收回：他们不再看到这些住户，并会收到停止配送的通知。" in asked
    assert "还有 2 户待送。" in asked and "封控三组的 2 名志愿者会立即收到通知和配送链接。" in asked
    run.refresh_from_db()
    assert run.team_id == svc.team.id  # nothing yet
    r = s.post(url, {"do": "team", "team": team.id, "confirm": "1"}, follow=True)
    assert r.redirect_chain[-1][0] == url and "已交给封控三组：已通知 2 名队员。" in _text(r)
    run.refresh_from_db()
    assert run.team_id == team.id and run.carrier_id is None
    event = AuditEvent.objects.filter(action="services.run.assign").latest("id")
    assert event.changes == {"team": team.id, "carrier": None, "was": {"team": svc.team.id, "carrier": None}}
    assert event.actor == w.users.staff
    # the leader in words of their own, the other volunteer as any carrier, the old team told to stop
    assert _told(leader) == [("您的队伍封控三组接手了1号楼的配送",
                              "从封控五组转交过来，他们不再配送。还有 2 户待送：请打开配送任务，按顺序送到各户门口。", url)]
    assert _told(mate) == [("配送任务：1号楼，2 户", "美特好超市的物资，在东门交接：打开配送任务，按顺序查看各户。", url)]
    assert _told(svc.vol_user)[-1] == ("1号楼的配送已不再由您负责",
                                       "已转交给封控三组：请不要再送。已确认送达的住户不受影响。", "")
    # the old team's volunteer no longer sees the doors; the new ones do
    assert _client(svc.vol_user).get(url).status_code == 404
    assert _client(mate).get(url).status_code == 200 and _client(leader).get(url).status_code == 200
    # a retry (a double tap on "yes"): nothing more written, nobody told twice
    s.post(url, {"do": "team", "team": team.id, "confirm": "1"})
    assert AuditEvent.objects.filter(action="services.run.assign").count() == 1
    assert len(_told(leader)) == 1 and len(_told(mate)) == 1 and len(_told(svc.vol_user)) == 2
    assert "封控三组已经在配送这条路线。" in _text(s.post(url, {"do": "team", "team": team.id}, follow=True))


def test_a_finished_run_is_refused_in_words_on_the_page_and_the_api(world, svc):
    w = world
    run = _run(w, svc)
    team, _leader, _mate = _second_team(w)
    staff = actor_for(w.users.staff)
    for i, stop in enumerate(run.stops.all()):
        delivery.confirm_stop(staff, stop, delivered=True, client_id=f"00000000-0000-4000-8000-00000000000{i}")
    run.refresh_from_db()
    assert run.state == "done"
    s = _client(w.users.staff)
    url = f"/services/runs/{run.id}/"
    assert 'id="give"' not in _text(s.get(url))  # nothing to give
    said = "这条配送路线已完成：每户都已确认，不能再交给别的队伍。"
    r = s.post(url, {"do": "team", "team": team.id}, follow=True)  # a page left open
    assert said in _text(r)
    r = s.post(f"/api/v1/services/runs/{run.id}/assign", {"team": team.id}, content_type="application/json")
    assert r.status_code == 409 and r.json()["error"]["message"] == said
    run.refresh_from_db()
    assert run.team_id == svc.team.id
    assert not AuditEvent.objects.filter(action="services.run.assign").exists()


def test_only_staff_and_grid_workers_give_a_run(world, svc):
    w = world
    run = _run(w, svc)
    team, _leader, _mate = _second_team(w)
    url = f"/services/runs/{run.id}/"
    # the carrier sees the run but may not give it away; nor the leader of the building
    for user in (svc.vol_user, w.users.leader):
        c = _client(user)
        assert 'id="give"' not in _text(c.get(url))
        assert c.post(url, {"do": "team", "team": team.id, "confirm": "1"}).status_code == 403
        assert c.post(f"/api/v1/services/runs/{run.id}/assign", {"team": team.id},
                      content_type="application/json").status_code == 403
    # another community's staff: as a missing run
    o = _client(w.users.other_staff)
    assert o.post(url, {"do": "team", "team": team.id, "confirm": "1"}).status_code == 404
    run.refresh_from_db()
    assert run.team_id == svc.team.id
    # the grid worker over the building may
    g = _client(w.users.grid)
    assert 'id="give"' in _text(g.get(url))
    g.post(url, {"do": "team", "team": team.id, "confirm": "1"})
    run.refresh_from_db()
    assert run.team_id == team.id


def test_a_team_of_another_community_or_none_is_refused(world, svc):
    w = world
    run = _run(w, svc)
    theirs = teams.create_team(actor_for(w.users.other_staff), w.other, "惠泽苑一组")
    s = _client(w.users.staff)
    url = f"/services/runs/{run.id}/"
    for team in (theirs.id, "", "abc", 2**70):
        assert "请选择队伍。" in _text(s.post(url, {"do": "team", "team": team, "confirm": "1"}, follow=True))
    r = s.post(f"/api/v1/services/runs/{run.id}/assign", {"team": theirs.id}, content_type="application/json")
    assert r.status_code == 400 and r.json()["error"]["fields"]["team"] == ["这里没有这个队伍。"]
    run.refresh_from_db()
    assert run.team_id == svc.team.id


def test_a_team_nobody_of_which_may_go_out_is_warned_of_first(world, svc):
    w = world
    run = _run(w, svc)
    empty = teams.create_team(actor_for(w.users.staff), w.community, "消杀队")
    asked = _text(_client(w.users.staff).post(f"/services/runs/{run.id}/", {"do": "team", "team": empty.id}))
    assert "消杀队现在没有能外出的志愿者" in asked and "没有人会收到通知" in asked


def test_the_api_lists_the_teams_and_gives_the_run_as_the_page_does(world, svc):
    w = world
    run = _run(w, svc)
    team, leader, mate = _second_team(w)
    s = _client(w.users.staff)
    got = s.get(f"/api/v1/services/runs/{run.id}/teams")
    assert got.status_code == 200
    assert got.json() == [{"id": team.id, "name": "封控三组", "current": False},
                          {"id": svc.team.id, "name": "封控五组", "current": True}]
    r = s.post(f"/api/v1/services/runs/{run.id}/assign", {"team": team.id}, content_type="application/json")
    assert r.status_code == 200
    out = r.json()
    assert (out["id"], out["team"], out["carrier"], out["state"], out["stops"], out["pending"]) == (
        run.id, team.id, None, "open", 2, 2)
    assert [t for t, _b, _u in _told(leader)] == ["您的队伍封控三组接手了1号楼的配送"]
    assert [t for t, _b, _u in _told(mate)] == ["配送任务：1号楼，2 户"]
    assert _told(svc.vol_user)[-1][0] == "1号楼的配送已不再由您负责"
    assert AuditEvent.objects.filter(action="services.run.assign", via="api").count() == 1
    # unknown fields are refused, not ignored
    r = s.post(f"/api/v1/services/runs/{run.id}/assign", {"team": team.id, "carrier": 1},
               content_type="application/json")
    assert r.status_code in (400, 422)
