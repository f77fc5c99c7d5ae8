"""A terminal disinfection made after a case with no team (尚未指定队伍): the staff give it a
team on the disinfection page or through the API; its members who may go out are told, the page
says how many; a user of another community or a volunteer finds no such disinfection (404); a
disinfection already done refuses, in Chinese."""

import datetime

from django.test import Client
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.services.actions import disinfection as dis
from fangkong.services.models import Disinfection
from fangkong.volunteers.actions import teams
from tests.conftest import actor_for


def _terminal(w):
    d = dis.schedule(actor_for(w.users.staff), w.building, kind=Disinfection.Kind.TERMINAL,
                     due_at=timezone.now() + datetime.timedelta(hours=4))
    assert d.team_id is None
    return d


def test_the_staff_give_a_team_on_the_page_and_its_members_who_may_go_out_are_told(world, svc):
    w = world
    d = _terminal(w)
    c = Client()
    c.force_login(w.users.staff)
    url = f"/services/p/{w.community.id}/disinfection/"
    page = c.get(url).content.decode()
    assert f'id="dis-give-{d.id}"' in page and "封控五组 · 1 人能外出" in page
    r = c.post(url, {"do": "team", "disinfection": d.id, "team": svc.team.id}, follow=True)
    html = r.content.decode()
    assert "已交给封控五组：已通知 1 名队员。" in html
    d.refresh_from_db()
    assert d.team_id == svc.team.id
    assert html.split(f'id="dis-team-{d.id}">')[1].startswith("由封控五组负责")
    (m,) = Notification.objects.filter(user=svc.vol_user, kind="services.disinfection")
    assert "1号楼" in m.title
    assert AuditEvent.objects.filter(action="services.disinfection.team").exists()


def test_a_team_nobody_of_which_may_go_out_is_given_and_the_page_says_nobody_was_told(world, svc):
    w = world
    d = _terminal(w)
    empty = teams.create_team(Actor.system(w.users.staff), w.community, "空队")
    c = Client()
    c.force_login(w.users.staff)
    url = f"/services/p/{w.community.id}/disinfection/"
    assert "空队 · 无人能外出" in c.get(url).content.decode()
    html = c.post(url, {"do": "team", "disinfection": d.id, "team": empty.id}, follow=True).content.decode()
    assert "已交给空队：该队现在无人能外出，没有通知任何人。" in html


def test_the_api_gives_a_team_and_others_find_no_such_disinfection(world, svc):
    w = world
    d = _terminal(w)
    for user in (w.users.other_staff, w.users.volunteer):
        c = Client()
        c.force_login(user)
        r = c.post(f"/api/v1/services/disinfections/{d.id}/team", {"team": svc.team.id},
                   content_type="application/json")
        assert r.status_code == 404, (user, r.status_code)
    c = Client()
    c.force_login(w.users.grid)
    r = c.post(f"/api/v1/services/disinfections/{d.id}/team", {"team": svc.team.id},
               content_type="application/json")
    assert r.status_code == 200 and r.json()["team"] == svc.team.id
    assert Notification.objects.filter(user=svc.vol_user, kind="services.disinfection").count() == 1


def test_a_done_disinfection_refuses_a_team_in_chinese(world, svc):
    w = world
    d = _terminal(w)
    dis.sign_off(actor_for(w.users.staff), d, area="1号楼楼道", agent="含氯消毒剂")
    c = Client()
    c.force_login(w.users.staff)
    r = c.post(f"/api/v1/services/disinfections/{d.id}/team", {"team": svc.team.id},
               content_type="application/json")
    assert r.status_code in (400, 409, 422), r.status_code
    assert r.json()["error"]["message"] == "这次消杀已经完成，不能再更换队伍。"
    d.refresh_from_db()
    assert d.team_id is None


def test_a_routine_disinfection_given_later_is_not_called_a_case_in_the_message(world, svc):
    w = world
    d = dis.schedule(actor_for(w.users.staff), w.building, due_at=timezone.now() + datetime.timedelta(hours=4))
    dis.give_team(actor_for(w.users.staff), d, svc.team)
    (m,) = Notification.objects.filter(user=svc.vol_user, kind="services.disinfection")
    assert m.title.startswith("1号楼消杀：") and "终末" not in m.title
    assert "病例" not in m.body and "已交给你们队（封控五组）" in m.body


def test_a_team_of_another_community_is_refused(world, svc):
    import pytest

    from fangkong.core.errors import Invalid

    w = world
    d = _terminal(w)
    theirs = teams.create_team(actor_for(w.users.other_staff), w.other, "惠泽苑一组")
    with pytest.raises(Invalid) as e:
        dis.give_team(actor_for(w.users.staff), d, theirs)
    assert "team" in e.value.fields
    d.refresh_from_db()
    assert d.team_id is None
