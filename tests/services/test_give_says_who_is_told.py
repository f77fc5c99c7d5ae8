"""Found on the walk of a sealed building's vulnerable people (wip/walk_vulnerable.md, defects
2 and 3): a request or a run given to a team whose volunteers are all sealed in told nobody,
while the page said "队员已收到通知"; the request page could give only to teams (the free
volunteers were in none); a pet's feeding went to a sealed-in volunteer. Now giving says how
many were told (page and API: `told`), a team nobody of which may go out is asked first and
warned about, the request page gives to a person too (a volunteer of the community who may go
out), and feedings go only to those who may go out (none: unassigned, staff and grid told once)."""

import datetime

from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.core import pii
from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.registry import actions as reg
from fangkong.services.actions import care, handoff, orders, requests
from fangkong.services.models import Category, Feeding
from fangkong.volunteers.actions import registration as va
from fangkong.volunteers.actions import teams
from tests.conftest import actor_for, seal_now
from tests.conftest import client_of as _client
from tests.services.conftest import households, volunteer

NOBODY = "封控五组现在没有能外出的队员，没有人会收到通知：请交给其他队伍或个人。"



def _text(response) -> str:
    return response.content.decode()


def _free(w, n, community=None, household=None):
    """A volunteer living outside 1号楼 (free to go out when it is sealed), in no team."""
    staff = Actor.system(w.users.other_staff if community is not None else w.users.staff)
    hh = household or households(w, 1, buildings=1)[0]
    v = va.add_volunteer(staff, community or w.community, {
        "name": f"赵佳{n}", "phone": f"138{n:08d}",
        "id_number": pii.make_id_number("140106", datetime.date(1990, 1, 1) + datetime.timedelta(days=n), n),
        "household": hh.id, "consent": "1", "days": ["mon"], "hours_from": "07:00", "hours_to": "19:00"})
    return va.approve(staff, v)


def _request(w):
    return requests.raise_request(actor_for(w.users.resident), w.hh101, Category.objects.get(code="medicine"),
                                  "降压药断了，今天中午前要送到")


def _told(user, kind="services.request"):
    return Notification.objects.filter(user=user, kind=kind).count()


def test_a_request_given_to_a_team_nobody_of_which_may_go_out_is_asked_first_and_says_nobody_is_told(world, svc):
    w = world
    seal_now(w)  # 封控五组's only volunteer lives in 1号楼: kept home
    req = _request(w)
    g = _client(w.users.grid)
    url = f"/services/requests/{req.id}/"
    page = _text(g.get(url))
    assert f'<option value="{svc.team.id}">封控五组 · 无人能外出</option>' in page
    asked = _text(g.post(url, {"step": "assign", "team": svc.team.id}))
    assert "把这条诉求交给封控五组？" in asked and NOBODY in asked and "confirm-yes" in asked
    req.refresh_from_db()
    assert req.team_id is None  # nothing yet
    r = g.post(url, {"step": "assign", "team": svc.team.id, "confirm": "1"}, follow=True)
    page = _text(r)
    assert NOBODY in page and "队员已收到通知" not in page and "已通知" not in page.split(NOBODY)[0][-200:]
    req.refresh_from_db()
    assert req.team_id == svc.team.id
    assert _told(svc.vol_user) == 0
    assert AuditEvent.objects.filter(action="services.request.assign").count() == 1
    # the API says the same: nobody told
    got = g.post(f"/api/v1/services/requests/{req.id}/assign", {"team": svc.team.id},
                 content_type="application/json")
    assert got.status_code == 200 and got.json()["told"] == 0
    assert g.get(f"/api/v1/services/requests/{req.id}").json()["told"] is None


def test_a_request_given_to_a_team_says_how_many_were_told_at_once(world, svc):
    w = world
    volunteer(w, 8, svc.team)
    req = _request(w)
    s = _client(w.users.staff)
    url = f"/services/requests/{req.id}/"
    assert f'<option value="{svc.team.id}">封控五组 · 2 人能外出</option>' in _text(s.get(url))
    r = s.post(url, {"step": "assign", "team": svc.team.id}, follow=True)  # not asked: someone is told
    assert "已交给封控五组：已通知 2 名队员。" in _text(r)
    assert _told(svc.vol_user) == 1
    r = s.post(f"/api/v1/services/requests/{req.id}/assign", {"team": svc.team.id}, content_type="application/json")
    assert r.status_code == 200 and r.json()["told"] == 2
    assert _told(svc.vol_user) == 1  # given again as it was: nobody told twice


def test_the_request_page_gives_it_to_a_volunteer_who_may_go_out(world, svc):
    w = world
    seal_now(w)
    free = _free(w, 21)
    _free(w, 22, community=w.other, household=w.other_hh)  # another community's
    req = _request(w)
    g = _client(w.users.grid)
    url = f"/services/requests/{req.id}/"
    page = _text(g.get(url))
    person = page.split('id="give-person"')[1].split("</form>")[0]
    assert "交给个人（能外出的志愿者）" in person and f'value="{free.user_id}"' in person and "赵佳21" in person
    assert "志愿者7" not in person and "赵佳22" not in person  # sealed in; another community's
    r = g.post(url, {"step": "assign", "assignee": free.user_id}, follow=True)
    assert "已交给赵佳21：已通知本人。" in _text(r)
    req.refresh_from_db()
    assert (req.assignee_id, req.team_id, req.state) == (free.user_id, None, "new")
    assert _told(free.user) == 1
    event = AuditEvent.objects.filter(action="services.request.assign").latest("id")
    assert event.changes["assignee"] == free.user_id and event.actor == w.users.grid
    # theirs to open and take
    v = _client(free.user)
    assert v.get(url).status_code == 200
    v.post(url, {"step": "take"})
    req.refresh_from_db()
    assert (req.state, req.assignee_id) == ("taken", free.user_id)
    # the API gives to the same people (a free volunteer in no team), and refuses the sealed one
    api = f"/api/v1/services/requests/{req.id}/assign"
    r = g.post(api, {"assignee": svc.vol_user.id}, content_type="application/json")
    assert r.status_code == 400 and "assignee" in r.json()["error"]["fields"]
    r = g.post(url, {"step": "assign", "assignee": svc.vol_user.id}, follow=True)  # a page left open
    assert requests.refused_assignee() in _text(r)
    req.refresh_from_db()
    assert req.assignee_id == free.user_id
    r = g.post(api, {"assignee": free.user_id}, content_type="application/json")
    assert r.status_code == 200 and r.json()["told"] == 1 and r.json()["assignee"] == free.user_id


def test_only_who_runs_the_requests_gives_them_another_community_sees_nothing(world, svc):
    w = world
    free = _free(w, 23)
    req = _request(w)
    url = f"/services/requests/{req.id}/"
    for user in (w.users.other_staff, w.users.supplier, w.users.lab):
        c = _client(user)
        assert c.get(url).status_code == 404
        assert c.post(url, {"step": "assign", "assignee": free.user_id}).status_code == 404
        assert c.post(f"/api/v1/services/requests/{req.id}/assign", {"assignee": free.user_id},
                      content_type="application/json").status_code == 404
    # the household sees its request but no giving, and may not give it
    res = _client(w.users.resident)
    page = _text(res.get(url))
    assert 'id="give-person"' not in page and 'id="give-team"' not in page
    assert res.post(url, {"step": "assign", "assignee": free.user_id}).status_code in (403, 404)
    req.refresh_from_db()
    assert req.assignee_id is None and _told(free.user) == 0


def _run(w, svc):
    staff = actor_for(w.users.staff)
    for h in (w.hh101, w.hh102):
        orders.place_order(staff, h, svc.supplier, [(svc.veg.id, 1)])
    b = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    handoff.receive_rest(staff, b)
    handoff.sign(staff, b, supplier_name="李师傅")
    return handoff.split(staff, b, teams=[svc.team])[0]


def test_a_run_given_to_a_team_nobody_of_which_may_go_out_says_nobody_was_told(world, svc):
    w = world
    run = _run(w, svc)
    staff = actor_for(w.users.staff)
    sealed = teams.create_team(staff, w.community, "封控三组")
    volunteer(w, 12, sealed)
    seal_now(w)
    s = _client(w.users.staff)
    url = f"/services/runs/{run.id}/"
    asked = _text(s.post(url, {"do": "team", "team": sealed.id}))
    assert "封控三组现在没有能外出的志愿者" in asked
    r = s.post(url, {"do": "team", "team": sealed.id, "confirm": "1"}, follow=True)
    page = _text(r)
    assert "封控三组现在没有能外出的队员，没有人会收到通知：请交给其他队伍或个人。" in page
    assert "已通知该队志愿者" not in page
    run.refresh_from_db()
    assert run.team_id == sealed.id
    r = s.post(f"/api/v1/services/runs/{run.id}/assign", {"team": svc.team.id}, content_type="application/json")
    assert r.status_code == 200 and r.json()["told"] == 0  # 封控五组 is sealed in too


def test_a_pets_feeding_goes_only_to_a_volunteer_who_may_go_out_else_staff_and_grid_are_told_once(world, svc):
    w = world
    staff = actor_for(w.users.staff)
    pet = care.add_pet(staff, w.hh102, {"name": "豆豆", "species": "狗", "care": "狗粮"})
    for r in w.hh102.residents.all():
        reg.update_resident(staff, r, {"presence": "quarantine"})
    seal_now(w)  # 封控五组's 志愿者7 lives in 1号楼
    today = timezone.localdate()
    care.feed_today(today)
    f = Feeding.objects.get(pet=pet, day=today)
    assert f.volunteer_id is None
    for user in (w.users.staff, w.users.grid):
        assert _told(user, "services.feeding") == 1
    care.feed_today(today)  # the next pass: still nobody, nobody told twice
    assert _told(w.users.staff, "services.feeding") == 1 and _told(w.users.grid, "services.feeding") == 1
    told = Notification.objects.filter(user=w.users.grid, kind="services.feeding").get()
    assert "豆豆" in told.title
    # a free volunteer joins the team: the next pass gives it to them, never to the sealed one
    free = _free(w, 24)
    teams.add_member(Actor.system(w.users.staff), svc.team, free)
    care.feed_today(today)
    assert Feeding.objects.get(pk=f.pk).volunteer_id == free.user_id
    # one who no longer holds the role is not chosen either
    assert care.on_duty_volunteer(pet, today + datetime.timedelta(days=1)).id == free.user_id


def test_the_team_pages_add_a_member_list_marks_who_must_stay_home(world, svc):
    w = world
    sealed = volunteer(w, 13)  # lives in 1号楼, in no team
    free = _free(w, 25)
    seal_now(w)
    page = _text(_client(w.users.staff).get(f"/volunteers/teams/{svc.team.id}/"))
    add = page.split('id="f-v"')[1].split("</select>")[0]
    assert f'<option value="{sealed.id}">志愿者13 · ' in add
    assert add.split(f'value="{sealed.id}">')[1].split("</option>")[0].endswith(" · 须居家")
    assert "须居家" not in add.split(f'value="{free.id}">')[1].split("</option>")[0]
